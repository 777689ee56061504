"""The dashboard's reads (re-exported by responsibility): the staff home, renewals, client
usage and which alerts a user still sees."""

from .alerts import fingerprint, visible_alerts
from .clients import (
    ClientFilters,
    annotate_clients,
    client_rows,
    count_clients,
    filter_clients,
    month_ends,
    mrr_of,
    relationship_labels,
    usd_mrr_on,
    usd_rates,
)
from .home import home_trends, open_deals_by_pipeline, record_counts, staff_home
from .program_alerts import ProgramAlert, program_alerts
from .renewals import (
    RenewalFilters,
    annotate_page,
    filter_renewals,
    renewable,
    renewal_decisions_count,
    renewal_rows,
    renewals_by_month,
    renewals_to_act_on,
)
from .usage import Usage, client_usage, median_usage

__all__ = [
    "ClientFilters",
    "ProgramAlert",
    "RenewalFilters",
    "Usage",
    "annotate_clients",
    "annotate_page",
    "client_rows",
    "client_usage",
    "count_clients",
    "filter_clients",
    "filter_renewals",
    "fingerprint",
    "home_trends",
    "median_usage",
    "month_ends",
    "mrr_of",
    "open_deals_by_pipeline",
    "program_alerts",
    "record_counts",
    "relationship_labels",
    "renewable",
    "renewal_decisions_count",
    "renewal_rows",
    "renewals_by_month",
    "renewals_to_act_on",
    "staff_home",
    "usd_mrr_on",
    "usd_rates",
    "visible_alerts",
]
