"""Icons come from one vendored SVG set (Lucide), never emoji: an emoji is an empty box on a
machine without an emoji font. ``{% icon %}`` draws one from the sprite in our static files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import Context, Template, TemplateSyntaxError

from partnerdesk.core.templatetags.icons import SPRITE, available
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "partnerdesk"

# Pictographs, dingbats, technical symbols and the emoji presentation selector: the characters
# fonts without emoji draw as boxes. Typographic characters (→ ↑ · … — ×) are outside.
EMOJI = re.compile("[\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f]")
ICON_USE = re.compile(r"""\{%\s*icon\s+["']([^"']+)["']""")


def render(text: str, **context) -> str:
    return Template("{% load icons %}" + text).render(Context(context))


def test_an_icon_is_decoration_drawn_from_the_sprite():
    html = render('{% icon "bell" %}')
    sprite = f"{settings.STATIC_URL}{SPRITE}#bell"
    assert html == (
        '<svg class="icon icon-bell" aria-hidden="true" focusable="false" width="16" height="16" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
        f'stroke-linejoin="round"><use href="{sprite}"></use></svg>'
    )
    assert "style=" not in html  # nothing inline for the CSP to refuse


def test_an_icon_that_stands_for_a_word_has_its_name():
    html = render('{% icon "flag" label=why css="big" %}', why="Breached <late>")
    assert 'class="icon icon-flag big" role="img" aria-label="Breached &lt;late&gt;"' in html
    assert "aria-hidden" not in html


def test_an_unknown_icon_is_a_template_error():
    with pytest.raises(TemplateSyntaxError, match=r"vendor-static\.sh"):
        render('{% icon "unicorn" %}')


def test_every_icon_the_templates_use_is_in_the_sprite():
    used = {
        name
        for path in (SRC / "templates").rglob("*.html")
        for name in ICON_USE.findall(path.read_text(encoding="utf-8"))
    }
    assert {"bell", "menu", "paperclip", "flag"} <= used
    assert used - available() == set()


def test_no_emoji_in_templates_or_python():
    offenders = []
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in {".html", ".txt", ".py", ".js", ".css"} or "locale" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EMOJI.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "emoji used as icons (use {% icon %}):\n" + "\n".join(offenders)


def test_the_pattern_catches_emoji_and_spares_typography():
    for glyph in "☰✓✔✘✉🔔📎⚠⚑⏸":
        assert EMOJI.search(glyph), glyph
    for glyph in "→←↑↓·…—×–":
        assert not EMOJI.search(glyph), glyph


@pytest.mark.django_db
def test_pages_link_the_favicon_and_it_is_served(admin, client):
    html = login(admin).get("/app/").content.decode()
    for name in ("favicon.svg", "favicon-32.png", "apple-touch-icon.png"):
        assert f'href="{settings.STATIC_URL}partnerdesk/{name}"' in html
        assert finders.find(f"partnerdesk/{name}"), name
    response = client.get(f"/{settings.STATIC_URL.strip('/')}/partnerdesk/favicon.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    sprite = client.get(f"/{settings.STATIC_URL.strip('/')}/{SPRITE}")
    assert sprite.status_code == 200
    assert sprite["Content-Type"].startswith("image/svg+xml")


def test_the_markup_cache_escapes_a_label_once_and_follows_the_static_url(settings):
    """Icons are made once per name, label and class (a board draws hundreds): a label is
    escaped the same whether it comes plain or already safe, and a changed STATIC_URL shows."""
    from django.utils.safestring import mark_safe

    plain = render('{% icon "flag" label=label %}', label="R&D <late>")
    assert 'aria-label="R&amp;D &lt;late&gt;"' in plain
    assert render('{% icon "flag" label=label %}', label=mark_safe("R&amp;D")) == plain.replace(
        " &lt;late&gt;", ""
    )
    settings.STATIC_URL = "/assets-elsewhere/"
    assert 'href="/assets-elsewhere/vendor/lucide/icons.svg#flag"' in render('{% icon "flag" %}')
