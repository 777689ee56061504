"""The event kinds the tickets app records (each one a timeline entry and an automation input)."""

from enum import StrEnum


class TicketEvent(StrEnum):
    CREATED = "ticket.created"
    UPDATED = "ticket.updated"
    # data: {"from_stage_id", "to_stage_id", "pipeline_id", ...}
    STAGE_CHANGED = "ticket.stage_changed"
    NOTE_ADDED = "ticket.note_added"
    # Recorded once per ticket and target by the SLA sweep; data: {"target", "due_at"}.
    SLA_DUE_SOON = "ticket.sla_due_soon"
    SLA_BREACHED = "ticket.sla_breached"
