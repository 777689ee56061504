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
    # The accreditation catalogue (admins), on the type: {"name", "created"?, "changes"}
    ACCREDITATION_TYPE_SAVED = "partner.accreditation_type_saved"
    # On the accreditation (who: the actor, none for the periodic job; why: "reason"):
    ACCREDITATION_APPLIED = "partner.accreditation_applied"  # {"type", "applied_on"}
    # {"type", "issued_on", "next_evaluation_on"}
    ACCREDITATION_ISSUED = "partner.accreditation_issued"
    # {"type", "from", "to", "reason", "reasons", "grace_period_ends_on"}
    ACCREDITATION_STATE_CHANGED = "partner.accreditation_state_changed"
    # {"type", "due_on", "result", "figures", "next_evaluation_on"}
    ACCREDITATION_EVALUATED = "partner.accreditation_evaluated"
    # On the complaint (no company id: client users never read these entries):
    # {"summary", "source", "serious", "step", "company"}
    COMPLAINT_OPENED = "partner.complaint_opened"
    COMPLAINT_UPDATED = "partner.complaint_updated"  # {"changes"}
    COMPLAINT_ESCALATED = "partner.complaint_escalated"  # {"from", "to", "owner", "reason"}
    COMPLAINT_RESOLVED = "partner.complaint_resolved"  # {"step", "resolved_on", "notes"}
    COMPLAINT_REOPENED = "partner.complaint_reopened"  # {"step", "reason"}
    COMPLAINT_STEP_UPDATED = "partner.complaint_step_updated"  # {"step", "changes"}
    COMPLAINT_WAITING = "partner.complaint_waiting"  # {"waiting_on", "previous", "reason"}
    # {"fault", "decision_date", "director_approved", "notes"}
    COMPLAINT_FINDING = "partner.complaint_finding"
    MARK_PLACED = "partner.mark_placed"  # {"count", "decided_on", "director_approved"}
