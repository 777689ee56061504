"""``{% load bidi %}{{ company.name|bdi }}``: user data isolated inside the page's own text.

A name, title or subject written in one direction and shown inside a sentence or heading of the
other (an English company name in an Arabic heading, an Arabic name in an English one) must not
reorder its neighbours: "#18" or a closing quote would otherwise land inside the name. The
filter wraps the value in ``<bdi>`` (escaped, so safe for any value), also inside a
``{% blocktranslate with name=company.name|bdi %}`` sentence without changing its msgid.
Blocks people write (messages, notes, descriptions) take ``dir="auto"`` instead, and
``app.css`` gives ``[dir=auto]`` per-paragraph direction.

Not for attributes (``title``, ``aria-label``) or ``<title>``: they are plain text.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bdi(value) -> SafeString:
    return format_html("<bdi>{}</bdi>", value)
