"""``{% load icons %}{% icon "bell" %}``: an icon of the vendored Lucide set.

The icons are one SVG sprite in our static files (``vendor/lucide/icons.svg``, written by
``scripts/vendor-static.sh`` with only the icons we use); an icon is a small inline ``<svg>``
that points at its ``<symbol>``, so the page carries no drawing and the browser fetches and
caches the sprite once. No emoji: they are empty boxes on machines without an emoji font.

An icon is decoration (``aria-hidden``) unless it is given a ``label``, for an icon that stands
alone for a word (then ``role="img"`` and the label are its name). Its size and colour come
from CSS (``.icon``: 1em, ``currentColor``); nothing inline for the CSP to refuse.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from django import template
from django.contrib.staticfiles import finders
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SPRITE = "vendor/lucide/icons.svg"


@cache
def available() -> frozenset[str]:
    """The icon names the sprite holds."""
    path = finders.find(SPRITE)
    if not path:
        return frozenset()
    with open(path, encoding="utf-8") as sprite:
        return frozenset(re.findall(r'<symbol id="([a-z0-9-]+)"', sprite.read()))


@register.simple_tag
def icon(name: str, label: str = "", css: str = "") -> str:
    return _markup(name, conditional_escape(label), css)


@lru_cache(maxsize=1024)
def _markup(name: str, label: SafeString, css: str) -> str:
    """An icon's markup, made once per name, label and class: a board draws hundreds of
    cards with three or four icons each, and each icon cost ~20 µs (the static URL, the
    escaping) before this cache (cleared when a setting the URL depends on changes)."""
    if name not in available():
        raise template.TemplateSyntaxError(
            f"No icon {name!r} in {SPRITE}: add it to scripts/vendor-static.sh and run it."
        )
    classes = f"icon icon-{name}" + (f" {css}" if css else "")
    a11y = (
        format_html('role="img" aria-label="{}"', label)
        if label
        else mark_safe('aria-hidden="true"')
    )
    return format_html(
        '<svg class="{}" {} focusable="false" width="16" height="16" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        '<use href="{}#{}"></use></svg>',
        classes,
        a11y,
        static(SPRITE),
        name,
    )


@receiver(setting_changed)
def _static_changed(*, setting: str, **kwargs) -> None:
    if setting in {"STATIC_URL", "STORAGES", "STATICFILES_DIRS"}:
        _markup.cache_clear()
        available.cache_clear()
