"""``{% load formatting %}``: small display helpers shared by the templates."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


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
