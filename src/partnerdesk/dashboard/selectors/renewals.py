"""Renewals, read from the partner program's subscriptions in one query per list.

A renewal is an active subscription's ``renewal_date`` at a client the agency still serves
(*end services* takes the client off the list). What was recorded about it (status, renewal
MRR, notes: ``Renewal``) and who owns its communication (``RenewalOwner``, else the default)
come in as annotations and joins of that one query, so a page costs the same at ten renewals
and at twenty thousand, and ``CappedPaginator`` pages it as it is. The deadline and the days
left are date arithmetic on the rows of a page (``annotate_page``): filters and sorts on the
deadline are filters and sorts on the indexed renewal date shifted by 45 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from partnerdesk.core.pagination import capped_count
from partnerdesk.partner_program.models import Subscription, SubscriptionStatus

from .. import renewals
from ..models import OwnerMode, Renewal, RenewalSettings, RenewalStatus

MONEY = DecimalField(max_digits=14, decimal_places=2)

# Sort keys a page may ask for (a leading "-" reverses); the deadline sorts as the renewal date.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "deadline": ("renewal_date", "account__name", "id"),
    "client": ("account__name", "renewal_date", "id"),
    "product": ("product", "renewal_date", "id"),
    "status": ("renewal_status", "renewal_date", "id"),
    "owner": ("owner_mode", "renewal_date", "id"),
    "mrr": ("mrr", "id"),
    "renewal_mrr": ("renewal_mrr_value", "id"),
    "change": ("mrr_change", "id"),
}


def renewable() -> QuerySet[Subscription]:
    """Subscriptions that renew: active, with a renewal date, at a client still served."""
    return Subscription.objects.filter(
        status=SubscriptionStatus.ACTIVE,
        renewal_date__isnull=False,
        account__services_ended_on__isnull=True,
    )


def _recorded(field: str, output=None) -> Subquery:
    """A field of the ``Renewal`` row of the subscription's current renewal date."""
    rows = Renewal.objects.filter(subscription=OuterRef("pk"), renews_on=OuterRef("renewal_date"))
    return Subquery(rows.values(field)[:1], output_field=output)


def renewal_rows(*, settings: RenewalSettings | None = None) -> QuerySet[Any]:
    """Every renewal with its client, owner, status, current and renewal MRR and the change,
    soonest first. Annotations: ``renewal_id``, ``renewal_status``, ``renewal_mrr_value``,
    ``mrr_change``, ``renewal_notes``, ``owner_mode`` (the owner in force: the client's own,
    else the default setting)."""
    settings = settings or RenewalSettings.load()
    return (
        renewable()
        .select_related(
            "account",
            "account__company",
            "account__renewal_owner",
            "account__renewal_owner__decision_maker",
            "account__renewal_owner__copied_user",
            "account__renewal_owner__point_of_contact",
        )
        .annotate(
            renewal_id=_recorded("pk"),
            renewal_status=Coalesce(
                _recorded("status", CharField()),
                Value(RenewalStatus.PENDING.value),
                output_field=CharField(),
            ),
            renewal_mrr_value=Coalesce(
                _recorded("renewal_mrr", MONEY), F("mrr"), output_field=MONEY
            ),
            renewal_notes=Coalesce(
                _recorded("notes", CharField()), Value(""), output_field=CharField()
            ),
            owner_mode=Case(
                When(
                    account__renewal_owner__mode__in=[OwnerMode.HUBSPOT, OwnerMode.PARTNER],
                    then=F("account__renewal_owner__mode"),
                ),
                default=Value(settings.default_owner),
                output_field=CharField(),
            ),
        )
        .annotate(mrr_change=F("renewal_mrr_value") - F("mrr"))
        .order_by(*ORDERINGS["deadline"])
    )


@dataclass(frozen=True)
class RenewalFilters:
    """What a renewals list is narrowed to (all optional)."""

    within_days: int | None = None  # renewal start date from today to today + N days
    status: str | None = None  # a RenewalStatus
    owner: str | None = None  # hubspot / partner (the owner in force)
    account_id: int | None = None
    q: str = ""  # client name or domain, hub id, product
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    order: str = "deadline"


def filter_renewals(
    filters: RenewalFilters, *, on: dt.date | None = None, settings: RenewalSettings | None = None
) -> QuerySet[Any]:
    """``renewal_rows`` narrowed and sorted by ``filters`` (one selector for the page, the
    export and the API, so they list the same renewals)."""
    on = on or renewals.today()
    rows = renewal_rows(settings=settings)
    if filters.within_days is not None:
        rows = rows.filter(
            renewal_date__gte=on, renewal_date__lte=on + dt.timedelta(days=filters.within_days)
        )
    if filters.deadline_from is not None:
        rows = rows.filter(renewal_date__gte=renewals.renews_on_for(filters.deadline_from))
    if filters.deadline_to is not None:
        rows = rows.filter(renewal_date__lte=renewals.renews_on_for(filters.deadline_to))
    if filters.status:
        rows = rows.filter(renewal_status=filters.status)
    if filters.owner:
        rows = rows.filter(owner_mode=filters.owner)
    if filters.account_id is not None:
        rows = rows.filter(account_id=filters.account_id)
    if filters.q.strip():
        q = filters.q.strip()
        rows = rows.filter(
            Q(account__name__icontains=q)
            | Q(account__company__name__icontains=q)
            | Q(account__company__domain__icontains=q)
            | Q(account__hub_id=q)
            | Q(product__icontains=q)
        )
    key = filters.order.lstrip("-")
    if key in ORDERINGS:
        fields = ORDERINGS[key]
        if filters.order.startswith("-"):
            fields = tuple(f"-{f}" for f in fields)
        rows = rows.order_by(*fields)
    return rows


def renewals_to_act_on(
    *, on: dt.date | None = None, settings: RenewalSettings | None = None
) -> QuerySet[Any]:
    """Renewals starting within the configured window (120 days by default) from today."""
    settings = settings or RenewalSettings.load()
    return filter_renewals(
        RenewalFilters(within_days=settings.window_days), on=on, settings=settings
    )


def renewal_decisions_count(
    *, on: dt.date | None = None, settings: RenewalSettings | None = None
) -> tuple[int, bool]:
    """Upcoming renewal decisions (pending renewals to act on), counted up to the cap."""
    settings = settings or RenewalSettings.load()
    return capped_count(
        filter_renewals(
            RenewalFilters(within_days=settings.window_days, status=RenewalStatus.PENDING),
            on=on,
            settings=settings,
        )
    )


def annotate_page(rows: Iterable[Any], *, on: dt.date | None = None) -> list[Any]:
    """Give the rows of one page their ``deadline``, ``days_left`` and ``urgency``."""
    on = on or renewals.today()
    page = list(rows)
    for row in page:
        row.deadline = renewals.deadline(row.renewal_date)
        row.days_left = renewals.days_left(row.renewal_date, on)
        row.urgency = renewals.urgency(row.days_left)
    return page


def renewals_by_month(
    *, on: dt.date | None = None, months: int = 12, settings: RenewalSettings | None = None
) -> list[Any]:
    """How many renewals start in each month and have each status, from this month on for
    ``months`` months (``month``, ``renewal_status``, ``count``): one grouped query. Counts,
    not MRR: the clients' MRR is in several currencies."""
    on = on or renewals.today()
    start = on.replace(day=1)
    end_year, end_month = divmod(start.month - 1 + months, 12)
    end = dt.date(start.year + end_year, end_month + 1, 1)
    return list(
        renewal_rows(settings=settings)
        .filter(renewal_date__gte=start, renewal_date__lt=end)
        .annotate(month=TruncMonth("renewal_date"))
        .values("month", "renewal_status")
        .annotate(count=Count("id"))
        .order_by("month", "renewal_status")
    )
