"""Sentences for SLA timeline entries."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer

from .events import SlaEvent

register_describer(
    SlaEvent.CALENDAR_CREATED, lambda e: _("Calendar created: %(n)s") % {"n": e.data.get("name")}
)
register_describer(
    SlaEvent.CALENDAR_UPDATED, lambda e: _("Calendar updated: %(n)s") % {"n": e.data.get("name")}
)
register_describer(
    SlaEvent.POLICY_CREATED, lambda e: _("SLA policy created: %(n)s") % {"n": e.data.get("name")}
)
register_describer(
    SlaEvent.POLICY_UPDATED, lambda e: _("SLA policy updated: %(n)s") % {"n": e.data.get("name")}
)
register_describer(
    SlaEvent.TARGETS_CHANGED,
    lambda e: _("Working hours or SLA targets changed: open tickets' due times are recomputed"),
)
