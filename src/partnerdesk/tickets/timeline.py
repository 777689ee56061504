"""Sentences for ticket timeline entries."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core.events import describe_changes as _changes
from partnerdesk.core.events import register_describer

TARGETS = {
    "first_response": gettext_lazy("first response"),
    "resolution": gettext_lazy("resolution"),
}


def _target(event) -> str:
    return str(TARGETS.get(event.data.get("target"), event.data.get("target", "")))


register_describer(
    "ticket.created",
    lambda e: (
        _("Ticket opened in %(pipeline)s, stage %(stage)s")
        % {"pipeline": e.data.get("pipeline"), "stage": e.data.get("stage")}
    ),
)
register_describer("ticket.updated", lambda e: _("Ticket updated: %(c)s") % {"c": _changes(e)})
register_describer(
    "ticket.stage_changed",
    lambda e: (
        _("Stage moved from %(from)s to %(to)s")
        % {"from": e.data.get("from_stage"), "to": e.data.get("to_stage")}
    ),
)
register_describer(
    "ticket.note_added",
    lambda e: (
        (
            _("Cause of delay recorded: %(t)s")
            if e.data.get("delay_cause")
            else (
                _("%(contact)s wrote by email: %(t)s")
                if e.data.get("via") == "email"
                else _("%(contact)s wrote: %(t)s")
            )
            if e.data.get("from_customer")
            else _("Reply to the customer: %(t)s")
            if e.data.get("public")
            else _("Note: %(t)s")
        )
        % {"t": e.data.get("excerpt", ""), "contact": e.data.get("contact", "")}
    ),
)
register_describer(
    "ticket.sla_due_soon", lambda e: _("SLA %(target)s target is due soon") % {"target": _target(e)}
)
register_describer(
    "ticket.sla_breached",
    lambda e: _("SLA %(target)s target was breached") % {"target": _target(e)},
)
