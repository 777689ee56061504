"""The dashboard's reads (re-exported by responsibility): the staff home, renewals, client
usage and which alerts a user still sees."""

from .alerts import fingerprint, visible_alerts
from .home import open_deals_by_pipeline, record_counts, staff_home
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
    "RenewalFilters",
    "Usage",
    "annotate_page",
    "client_usage",
    "filter_renewals",
    "fingerprint",
    "median_usage",
    "open_deals_by_pipeline",
    "record_counts",
    "renewable",
    "renewal_decisions_count",
    "renewal_rows",
    "renewals_by_month",
    "renewals_to_act_on",
    "staff_home",
    "visible_alerts",
]
