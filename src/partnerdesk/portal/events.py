"""The event kinds the portal records (each one a timeline entry and an automation input).

Every task event's data holds the task's ``title`` and its ``status`` after the change.

Each status transition of a task records two events, in the transaction of the change and in
this order: ``TASK_STATE_CHANGED``, the same kind for every transition, whose data adds
``from`` (the status before, ``None`` for a new request) and ``to`` (the status after); it is
what the automation trigger *Task request state changed* listens to. Then the transition's own
event (one of ``TRANSITIONS``), with its details and its own sentence on the timeline.
"""

from enum import StrEnum


class PortalEvent(StrEnum):
    # Every status transition; data: {"title", "status", "from": status or None, "to": status}
    TASK_STATE_CHANGED = "task.state_changed"
    # The transitions, each recorded right after its TASK_STATE_CHANGED:
    TASK_SUBMITTED = "task.submitted"  # None -> triage; {"category"}
    TASK_ACCEPTED = "task.accepted"  # triage -> accepted; {"estimate_minutes", "position"}
    TASK_DECLINED = "task.declined"  # triage -> declined; {"reason"}
    TASK_WITHDRAWN = "task.withdrawn"  # triage or accepted -> withdrawn
    TASK_STARTED = "task.started"  # accepted -> working; {"automatic", "estimated_completion"}
    TASK_DELIVERED = "task.delivered"  # working -> pending_approval
    TASK_APPROVED = "task.approved"  # pending_approval -> complete
    TASK_CHANGES_REQUESTED = "task.changes_requested"  # pending_approval -> working
    # Other task events:
    TASK_ESTIMATE_ADJUSTED = (
        "task.estimate_adjusted"  # {"previous", "estimated_completion", "reason"}
    )
    TASK_APPROVAL_REMINDED = "task.approval_reminded"  # {"number"}
    TASK_MESSAGE = "task.message"  # {"message_id", "via"}
    # Consultation sessions, on the task; data: the session's id, times, consultant, sequence.
    SESSION_BOOKED = "session.booked"
    SESSION_RESCHEDULED = (
        "session.rescheduled"  # + {"previous_starts_at", "previous_consultant_id"}
    )
    SESSION_CANCELLED = "session.cancelled"
    # On the client company:
    PLAN_CHANGED = "company.plan_changed"  # {"plan", "previous"}
    QUEUE_REORDERED = "company.queue_reordered"  # {"order": [task ids]}


# The events of a task's status transitions (each one follows a TASK_STATE_CHANGED).
TRANSITIONS: frozenset[PortalEvent] = frozenset(
    {
        PortalEvent.TASK_SUBMITTED,
        PortalEvent.TASK_ACCEPTED,
        PortalEvent.TASK_DECLINED,
        PortalEvent.TASK_WITHDRAWN,
        PortalEvent.TASK_STARTED,
        PortalEvent.TASK_DELIVERED,
        PortalEvent.TASK_APPROVED,
        PortalEvent.TASK_CHANGES_REQUESTED,
    }
)
