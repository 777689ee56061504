"""Rules of particular request types (named by the entry stage's request name)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError
from partnerdesk.crm.properties import parse_date
from partnerdesk.sla.clock import agency_calendar

DOMAIN_DELETION_WINDOW_DAYS = 4


def _domain_deletion(ticket, *, now: dt.datetime) -> None:
    """A domain can be deleted only within 4 days of its purchase."""
    raw = ticket.properties.get("domain_purchase_date")
    if not raw:
        raise DomainError(
            code="purchase_date_required",
            message=_(
                "Give the domain's purchase date: deletion is possible only within %(n)d days of the purchase."
            )
            % {"n": DOMAIN_DELETION_WINDOW_DAYS},
            field="domain_purchase_date",
        )
    purchased = parse_date(str(raw))
    today = now.astimezone(agency_calendar().timezone).date()
    if today > purchased + dt.timedelta(days=DOMAIN_DELETION_WINDOW_DAYS):
        raise DomainError(
            code="deletion_window_passed",
            message=_(
                "This domain was purchased on %(date)s. A domain can be deleted only within %(n)d days of its "
                "purchase (until %(last)s), so this request cannot be accepted."
            )
            % {
                "date": purchased.isoformat(),
                "n": DOMAIN_DELETION_WINDOW_DAYS,
                "last": (purchased + dt.timedelta(days=DOMAIN_DELETION_WINDOW_DAYS)).isoformat(),
            },
            field="domain_purchase_date",
        )


def _connect_external_domain(ticket, *, now: dt.datetime) -> None:
    """Only external domains are connected by ticket; domains bought here are self-service."""
    if str(ticket.properties.get("domain_bought_here", "")).lower() == "yes":
        raise DomainError(
            code="not_an_external_domain",
            message=_(
                "This domain was bought through us: connecting it is self-service in the platform, no ticket is needed."
            ),
            field="domain_bought_here",
        )


RULES = {
    "Domain Deletion": _domain_deletion,
    "Connect External Domain": _connect_external_domain,
}


def check_request_rules(ticket, stage, *, now: dt.datetime) -> None:
    rule = RULES.get(stage.request_name)
    if rule is not None:
        rule(ticket, now=now)
