"""The dashboard app's pages: the staff home and the partner dashboard's tabs (managers and
admins, under /app/partner/dashboard/), by responsibility."""

from .alerts import alert_dismiss, alerts
from .clients import (
    client_details,
    client_end_services,
    client_portal,
    clients,
    clients_export,
    mrr_history,
)
from .home import staff_home
from .renewals import (
    renewal_details,
    renewal_settings,
    renewals_all,
    renewals_all_export,
    renewals_export,
    renewals_to_act_on,
)
from .team import team, team_edit
from .tier import tier

__all__ = [
    "alert_dismiss",
    "alerts",
    "client_details",
    "client_end_services",
    "client_portal",
    "clients",
    "clients_export",
    "mrr_history",
    "renewal_details",
    "renewal_settings",
    "renewals_all",
    "renewals_all_export",
    "renewals_export",
    "renewals_to_act_on",
    "staff_home",
    "team",
    "team_edit",
    "tier",
]
