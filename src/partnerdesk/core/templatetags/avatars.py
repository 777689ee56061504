"""``{% load avatars %}{% avatar user %}``: a person as a small round badge of their initials.

There are no profile pictures: the initials (two letters of the name, else of the email) on one
of eight colours picked by the user's id, so a person keeps their colour on every page. The
full name is the badge's title and its accessible name (``label`` says what they are to the
record, e.g. "Owner: Laura Becker"). Colours come from CSS classes (``.avatar-0`` …
``.avatar-7``), nothing inline for the CSP to refuse.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()

COLOURS = 8


def initials(user) -> str:
    """ "Laura Becker" -> "LB", "laura" -> "LA", "l.becker@x.test" -> "LB"."""
    name = (getattr(user, "full_name", "") or "").strip()
    if not name:
        name = (getattr(user, "email", "") or "").split("@")[0].replace(".", " ").replace("_", " ")
    words = [w for w in name.split() if w[:1].isalnum()]
    if len(words) >= 2:
        return (words[0][0] + words[-1][0]).upper()
    return (words[0][:2] if words else "?").upper()


@register.simple_tag
def avatar(user, label: str = "") -> str:
    if user is None:
        return ""
    name = str(user)
    return format_html(
        '<span class="avatar avatar-{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        (user.pk or 0) % COLOURS,
        label or name,
        initials(user),
        label or name,
    )
