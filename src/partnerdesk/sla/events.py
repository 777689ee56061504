"""The event kinds the sla app records."""

from enum import StrEnum


class SlaEvent(StrEnum):
    CALENDAR_CREATED = "calendar.created"
    CALENDAR_UPDATED = "calendar.updated"
    POLICY_CREATED = "sla_policy.created"
    POLICY_UPDATED = "sla_policy.updated"
    # Open tickets' due times depend on what changed (data: {"pipeline_ids": [...] or null for
    # all}); the tickets app recomputes them.
    TARGETS_CHANGED = "sla.targets_changed"
