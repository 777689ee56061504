"""Article bodies: Markdown rendered to HTML that is safe to show to anyone.

Two locks, either enough on its own: markdown-it renders with raw HTML disabled (a ``<script>``
typed in a body comes out as text) and refuses ``javascript:``-like link targets; then nh3 (the
Rust ``ammonia`` sanitiser) keeps only the tags and attributes listed here, only ``http``,
``https`` and ``mailto`` links, and gives every link ``rel="noopener nofollow ugc"``. No
``style`` or event-handler attribute survives (the CSP would refuse inline styles anyway).
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_PARSER = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener nofollow ugc"
_SPACE = re.compile(r"\s+")


def _sanitise(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML, safe to put in a page as it is."""
    return mark_safe(_sanitise(_PARSER.render(text or "")))  # noqa: S308 (sanitised by nh3)


def plain_text(text: str, limit: int = 200) -> str:
    """``text`` (Markdown) as one line of plain text, cut at ``limit`` characters (excerpts)."""
    flat = html.unescape(nh3.clean(_PARSER.render(text or ""), tags=set()))
    flat = _SPACE.sub(" ", flat).strip()
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(".,;:") + "…"
