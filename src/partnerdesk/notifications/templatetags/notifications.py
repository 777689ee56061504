"""``{% load notifications %}{% notification_bell %}``: the bell in every page's header.

Its unread count arrives with the page (loaded with the signed-in user, no query of its own)
and is refreshed every 30 seconds; the bell opens a panel in place with the latest
notifications, loaded when it opens (``notifications:panel``)."""

from django import template

from ..unread import unread_for

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    user = context.get("user")
    return {"unread": unread_for(user) if user and user.is_authenticated else 0}
