"""Built-in reactions to events (no workflow needed): SLA alerts to the owner and the team."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partnerdesk.core.events import register_handler

from .models import Kind
from .services import notify

SLA_ALERT_KINDS = ("ticket.sla_due_soon", "ticket.sla_breached")


def handle_event(event, subject) -> None:
    if event.kind not in SLA_ALERT_KINDS or subject is None:
        return
    ticket = subject
    users = [ticket.owner] if ticket.owner_id else []
    team = ticket.pipeline.team
    if team is not None:
        users += list(team.members.filter(is_active=True))
    breached = event.kind == "ticket.sla_breached"
    target = event.data.get("target", "")

    def target_text():
        return _("first response") if target == "first_response" else _("resolution")

    def title(user):
        if breached:
            return _("SLA breached (%(target)s): %(ticket)s") % {
                "target": target_text(),
                "ticket": ticket.name,
            }
        return _("SLA due soon (%(target)s): %(ticket)s") % {
            "target": target_text(),
            "ticket": ticket.name,
        }

    def body(user):
        due = event.data.get("due_at") or ""
        return (
            _("The %(target)s target of this ticket was due at %(due)s.")
            % {"target": target_text(), "due": due}
            if breached
            else _("The %(target)s target of this ticket is due at %(due)s.")
            % {"target": target_text(), "due": due}
        )

    notify(
        users=users,
        kind=Kind.SLA_BREACHED if breached else Kind.SLA_DUE_SOON,
        title=title,
        body=body,
        url=f"/app/tickets/{ticket.pk}/",
        dedupe_key=f"event:{event.pk}",
    )


register_handler(SLA_ALERT_KINDS, handle_event)
