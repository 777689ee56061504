"""Sentences for the webhooks app's timeline entries (one per WebhookEvent)."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer

from .events import WebhookEvent

register_describer(
    WebhookEvent.CREATED, lambda e: _("Webhook “%(n)s” created") % {"n": e.data.get("name", "")}
)
register_describer(
    WebhookEvent.UPDATED,
    lambda e: (
        _("Webhook “%(n)s” changed: %(fields)s")
        % {"n": e.data.get("name", ""), "fields": ", ".join(e.data.get("changed", []))}
    ),
)
register_describer(
    WebhookEvent.SECRET_ROTATED,
    lambda e: _("Webhook “%(n)s”: new signing secret") % {"n": e.data.get("name", "")},
)
register_describer(
    WebhookEvent.DELETED, lambda e: _("Webhook “%(n)s” deleted") % {"n": e.data.get("name", "")}
)
