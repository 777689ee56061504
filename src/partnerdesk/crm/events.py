"""The event kinds the crm app records (each one a timeline entry and an automation input)."""

from enum import StrEnum


class CrmEvent(StrEnum):
    COMPANY_CREATED = "company.created"
    COMPANY_UPDATED = "company.updated"
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    DEAL_CREATED = "deal.created"
    DEAL_UPDATED = "deal.updated"
    # data: {"from_stage_id", "to_stage_id", "pipeline_id", "kind": the new stage's kind, ...}
    DEAL_STAGE_CHANGED = "deal.stage_changed"
    DEAL_LINE_ITEM_ADDED = "deal.line_item_added"
    DEAL_LINE_ITEM_REMOVED = "deal.line_item_removed"
    PIPELINE_CREATED = "pipeline.created"
    PIPELINE_UPDATED = "pipeline.updated"
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    PROPERTY_CREATED = "property.created"
    PROPERTY_UPDATED = "property.updated"
    RECORD_IMPORTED = "record.imported"
    RECORD_IMPORT_UPDATED = "record.import_updated"
    # Someone read a secret property's value (revealed or copied on a record's page); data:
    # {"property", "label", "record", "copied"}: never the value.
    SECRET_REVEALED = "secret.revealed"  # noqa: S105  (an event kind, not a password)
