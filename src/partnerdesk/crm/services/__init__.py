"""Writes to the CRM. Every change goes through here and leaves an event on the timeline.

One module per kind of record; import the services from this package
(``from partnerdesk.crm import services`` then ``services.deal_move(...)``).
"""

from .companies import (
    check_timezone,
    clean_company_fields,
    company_create,
    company_update,
    normalize_domain,
)
from .contacts import clean_contact_fields, contact_create, contact_update
from .deals import (
    LineItemSpec,
    clean_deal_fields,
    deal_create,
    deal_move,
    deal_update,
    line_item_add,
    line_item_remove,
)
from .pipelines import (
    StageSpec,
    pipeline_create,
    pipeline_update,
    stage_add,
    stage_delete,
    stage_reorder,
    stage_save,
    stage_set_required_properties,
    stage_update,
)
from .products import product_save
from .property_definitions import property_create, property_update
from .shared import UNSET, Unset

__all__ = [
    "UNSET",
    "LineItemSpec",
    "StageSpec",
    "Unset",
    "check_timezone",
    "clean_company_fields",
    "clean_contact_fields",
    "clean_deal_fields",
    "company_create",
    "company_update",
    "contact_create",
    "contact_update",
    "deal_create",
    "deal_move",
    "deal_update",
    "line_item_add",
    "line_item_remove",
    "normalize_domain",
    "pipeline_create",
    "pipeline_update",
    "product_save",
    "property_create",
    "property_update",
    "stage_add",
    "stage_delete",
    "stage_reorder",
    "stage_save",
    "stage_set_required_properties",
    "stage_update",
]
