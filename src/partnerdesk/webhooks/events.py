"""The event kinds the webhooks app records (an endpoint's configuration changes)."""

from enum import StrEnum


class WebhookEvent(StrEnum):
    # data: {"name", "host", "enabled", "all_events", "event_kinds"} (never the URL or secret)
    CREATED = "webhook.created"
    UPDATED = "webhook.updated"  # + {"changed": [field names]}
    SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 (an event kind, not a secret)
    DELETED = "webhook.deleted"
