"""Article bodies are Markdown rendered to HTML that is safe to show anyone: nothing a writer
types can run a script, load a handler or link to javascript:."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerdesk.knowledge.markdown import ALLOWED_TAGS, plain_text, render_markdown

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "![x](javascript:alert(1))",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<svg onload="alert(1)"></svg>',
    "<!-- <script>alert(1)</script> -->",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=x></form>',
    "<<script>script>alert(1)<</script>/script>",
]


class Elements(HTMLParser):
    """Every element of rendered HTML with its attributes (entities decoded, as a browser
    reads them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def assert_harmless(html: str) -> None:
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name != "style", html
            if name in ("href", "src"):
                scheme = urlsplit((value or "").strip()).scheme.lower()
                assert scheme in ("", "http", "https", "mailto"), (value, html)


@pytest.mark.parametrize("text", ATTACKS)
def test_no_script_handler_or_dangerous_link_survives(text):
    assert_harmless(str(render_markdown(text)))


def test_raw_html_is_shown_as_text():
    assert str(render_markdown("<b>bold</b>")) == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"


def test_markdown_renders_and_links_get_rel():
    html = str(
        render_markdown(
            "# Title\n\nSome **bold**, *italic* and `code`.\n\n"
            "- one\n- two\n\n[Docs](https://docs.example/x) and <https://auto.example>\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n```\nprint(1)\n```"
        )
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://docs.example/x" rel="noopener nofollow ugc">Docs</a>' in html
    assert '<a href="https://auto.example" rel="noopener nofollow ugc">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>old</s>" in html
    assert "<pre><code>print(1)\n</code></pre>" in html


def test_mailto_links_stay_and_images_keep_alt():
    html = str(render_markdown("[Write](mailto:help@agency.test) ![Logo](/static/logo.png)"))
    assert 'href="mailto:help@agency.test"' in html
    assert '<img src="/static/logo.png" alt="Logo">' in html


def test_the_result_is_marked_safe_and_empty_is_empty():
    assert isinstance(render_markdown("x"), SafeString)
    assert str(render_markdown("")) == ""
    assert str(render_markdown(None)) == ""


def test_plain_text_excerpts():
    assert plain_text("# Hello\n\n**World** & <b>x</b>") == "Hello World & <b>x</b>"
    long = plain_text("word " * 100, limit=30)
    assert len(long) <= 30 and long.endswith("…")


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>\"'=/:;()[]!` \njavscriptonerlOAD&#x1")), max_size=80)
)
def test_random_markup_never_yields_a_handler_or_script(text):
    assert_harmless(str(render_markdown(text)))
