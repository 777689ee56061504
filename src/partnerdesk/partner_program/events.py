"""The event kinds the partner program records (each one a timeline entry and an automation
input). Account events have the HubSpot account as subject and its client company's id;
configuration events have the row they changed as subject."""

from enum import StrEnum


class PartnerEvent(StrEnum):
    # On the HubSpot account:
    ACCOUNT_CREATED = "partner.account_created"  # {"hub_id", "name"}
    ACCOUNT_UPDATED = "partner.account_updated"  # {"changes"}
    SUBSCRIPTION_ADDED = "partner.subscription_added"  # {"product", "mrr", "currency", ...}
    # {"product", "mrr", "previous", "currency", "effective_on"}
    SUBSCRIPTION_MRR_CHANGED = "partner.subscription_mrr_changed"
    SUBSCRIPTION_CANCELLED = "partner.subscription_cancelled"  # {"product"}
    SUBSCRIPTION_ENDED = "partner.subscription_ended"  # {"product", "ended_on"}
    # {"kind", "started_on", "automatic"}
    RELATIONSHIP_STARTED = "partner.relationship_started"
    # {"kind", "ended_on", "reason", "note"}
    RELATIONSHIP_ENDED = "partner.relationship_ended"
    SERVICES_ENDED = "partner.services_ended"  # {"ended_on", "reason"}
    MANAGING_PARTNERS_SET = "partner.managing_partners_set"  # {"count", "effective_from"}
    # {"employee", "in_partner_account", "client_assigned", "in_client_account"}
    CONNECTION_CONFIRMED = "partner.connection_confirmed"
    # {"activity", "employee", "occurred_on", "source"}
    ACTIVITY_RECORDED = "partner.activity_recorded"
    ACTIVITY_DELETED = "partner.activity_deleted"  # {"activity", "employee", "occurred_on"}
    # On the employee's certification:
    CERTIFICATION_ADDED = "partner.certification_added"  # {"name", "employee", "expires_on"}
    CERTIFICATION_UPDATED = "partner.certification_updated"  # {"changes"}
    # Configuration (admins):
    RATES_SET = "partner.rates_set"  # {"effective_from", "sourced", "assisted", "managed", ...}
    CURRENCY_RATE_SET = "partner.currency_rate_set"  # {"currency", "amount", "effective_from"}
    TIER_SAVED = "partner.tier_saved"  # {"name", "changes"}
    ACTIVITY_TYPE_SAVED = "partner.activity_type_saved"  # {"name", "tool", "changes"}
    MAPPING_ADDED = "partner.mapping_added"  # {"activity", "source"}
    MAPPING_REMOVED = "partner.mapping_removed"  # {"activity", "source"}
    SETTINGS_CHANGED = "partner.settings_changed"  # {"changes"}
    # The review job: {"tier", "previous", "figures"}
    TIER_REVIEWED = "partner.tier_reviewed"
