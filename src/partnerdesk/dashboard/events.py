"""The event kinds the partner dashboard records (each one a timeline entry and an automation
input). Renewal events have the client's HubSpot account as subject and its company's id;
settings and team events have the row they changed as subject."""

from enum import StrEnum


class DashboardEvent(StrEnum):
    # On the HubSpot account:
    # {"subscription_id", "product", "renews_on", "changes"}
    RENEWAL_UPDATED = "renewal.updated"
    RENEWAL_OWNER_SET = "renewal.owner_set"  # {"changes"}
    RENEWAL_MANAGER_SET = "renewal.manager_set"  # {"changes"}
    # {"products", "renews_on", "deadline", "days_before", "to", "cc"}
    RENEWAL_REMINDER_SENT = "renewal.reminder_sent"
    # On the company: a manager or admin opened the client's portal, read-only.
    CLIENT_PORTAL_VIEWED = "client.portal_viewed"  # {"account_id", "hub_id"}
    # Configuration:
    RENEWAL_SETTINGS_CHANGED = "renewal.settings_changed"  # {"changes"}
    TEAM_MEMBER_SAVED = "hubspot_team.member_saved"  # {"role", "name", "changes"}
