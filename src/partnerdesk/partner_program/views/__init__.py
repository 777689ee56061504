"""The partner program's pages (staff app, under /app/partner/), by responsibility."""

from .accounts import account_create, account_detail, account_edit, account_list, end_services
from .accreditations import (
    accreditation_detail,
    accreditation_list,
    accreditation_type_edit,
    accreditation_type_list,
)
from .activities import activity_delete, activity_list, certification_edit, certification_list
from .complaints import complaint_create, complaint_detail, complaint_list
from .config import (
    activity_type_edit,
    catalogue,
    currencies,
    mapping_remove,
    mappings,
    program_settings,
    rates,
    tier_edit,
    tier_table,
)
from .imports import import_preview, import_upload
from .standing import points_history, standing_page

__all__ = [
    "account_create",
    "account_detail",
    "account_edit",
    "account_list",
    "accreditation_detail",
    "accreditation_list",
    "accreditation_type_edit",
    "accreditation_type_list",
    "activity_delete",
    "activity_list",
    "activity_type_edit",
    "catalogue",
    "certification_edit",
    "certification_list",
    "complaint_create",
    "complaint_detail",
    "complaint_list",
    "currencies",
    "end_services",
    "import_preview",
    "import_upload",
    "mapping_remove",
    "mappings",
    "points_history",
    "program_settings",
    "rates",
    "standing_page",
    "tier_edit",
    "tier_table",
]
