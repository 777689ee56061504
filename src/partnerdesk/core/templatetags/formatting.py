"""``{% load formatting %}``: small display helpers shared by the templates."""

import datetime as dt

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerdesk.core import clock

register = template.Library()


@register.filter
def capped(figure) -> str:
    """A count that stops at a cap, ``{"count", "exact"}``, as text: "4,834", or "10,000+"
    past the cap (``core.pagination.capped_counts``)."""
    text = intcomma(figure["count"])
    return text if figure["exact"] else f"{text}+"


@register.filter
def minutes(value) -> str:
    """An effort in minutes as people say it: 45 min, 3 h, 4 h 30 min."""
    try:
        total = int(value)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 60)
    if hours and rest:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": rest}


def _relative(delta_seconds: float) -> str:
    """How far an instant is from now, as people scan it: 3 min, 5 h, 2 days (no sign)."""
    seconds = abs(delta_seconds)
    if seconds < 3600:
        count = max(1, int(seconds // 60))
        return ngettext("%(count)s min", "%(count)s min", count) % {"count": count}
    if seconds < 86400:
        count = int(seconds // 3600)
        return ngettext("%(count)s h", "%(count)s h", count) % {"count": count}
    count = int(seconds // 86400)
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}


def relative_phrase(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "3 h ago", "in 2 days", "just now"; beyond 30 days the date itself."""
    now = now or clock.now()
    delta = (value - now).total_seconds()
    if abs(delta) < 60:
        return _("just now")
    if abs(delta) >= 30 * 86400:
        return formats.date_format(timezone.localtime(value), "DATE_FORMAT")
    amount = _relative(delta)
    if delta > 0:
        return _("in %(amount)s") % {"amount": amount}
    return _("%(amount)s ago") % {"amount": amount}


@register.filter(expects_localtime=False)
def reltime(value, now=None):
    """``{{ ticket.created_at|reltime }}``: ``<time>`` saying "3 h ago" / "in 2 days", the exact
    instant (the reader's format and time zone) on hover and in ``datetime`` for machines.

    Dates (not instants) read as the date. An optional argument is the "now" to measure from
    (a page that fixes its now, such as a report).
    """
    if not value:
        return ""
    if not isinstance(value, dt.datetime):
        return formats.date_format(value, "DATE_FORMAT")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    exact = formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        exact,
        relative_phrase(value, now),
    )
