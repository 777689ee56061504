"""The event kinds the automation app records."""

from enum import StrEnum


class AutomationEvent(StrEnum):
    WORKFLOW_CREATED = "workflow.created"
    WORKFLOW_UPDATED = "workflow.updated"
    # A run's outcome, on the timeline of the record the event was about.
    WORKFLOW_RAN = "workflow.ran"
    WORKFLOW_FAILED = "workflow.failed"
    # Settings → Integrations saved; data: {"changed": [setting names]} (never values).
    INTEGRATIONS_UPDATED = "integrations.updated"
    # The GitHub webhook: an issue a ticket carries was closed; data: {"number", "repository",
    # "pipeline_id"}. Recorded on the ticket, so its kind reads as a ticket's.
    TRACKER_ISSUE_CLOSED = "ticket.tracker_issue_closed"
