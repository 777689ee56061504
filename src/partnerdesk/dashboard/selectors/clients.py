"""The partner dashboard's clients: each client HubSpot account with its domain, products owned,
relationships in force today, product usage and MRR (in its currency and in USD).

One query per page: the relationships, seats, last activity and MRR are subqueries of the
account row, the products one prefetch of the page's active subscriptions; the currency table
is read once (``usd_rates``) to convert the few currencies the page shows. ``filter_clients``
serves the page and the CSV export, so both list the same clients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from partnerdesk.partner_program.models import (
    CurrencyRate,
    HubSpotAccount,
    Relationship,
    RelationshipKind,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
)

MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")

SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "domain": ("company__domain", "name", "pk"),
    "-mrr": ("-mrr_total", "name", "pk"),
    "-seats": ("-seats_used", "name", "pk"),
    "-activity": ("-last_activity", "name", "pk"),
}
SERVICES = ("active", "ended", "all")


def _in_force(kind: str, day: dt.date) -> Exists:
    return Exists(
        Relationship.objects.filter(account=OuterRef("pk"), kind=kind, started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=day)
        )
    )


def _active_sum(field: str, output) -> Subquery:
    return Subquery(
        Subscription.objects.filter(account=OuterRef("pk"), status=SubscriptionStatus.ACTIVE)
        .order_by()
        .values("account")
        .annotate(total=Sum(field))
        .values("total")[:1],
        output_field=output,
    )


def client_rows(day: dt.date) -> QuerySet[HubSpotAccount]:
    """Every client account with ``is_sourced`` / ``is_assisted`` / ``is_managed`` (today),
    ``seats_bought``, ``seats_used``, ``last_activity``, ``mrr_total`` (active subscriptions,
    in their currencies' own figures) and ``products`` (its active subscriptions)."""
    last = (
        Subscription.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(at=Max("last_activity_at"))
        .values("at")[:1]
    )
    active = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).order_by("product", "pk")
    return (
        HubSpotAccount.objects.select_related("company")
        .annotate(
            is_sourced=_in_force(RelationshipKind.SOURCED, day),
            is_assisted=_in_force(RelationshipKind.ASSISTED, day),
            is_managed=_in_force(RelationshipKind.MANAGED, day),
            seats_bought=Coalesce(_active_sum("seats", IntegerField()), 0),
            seats_used=_active_sum("seats_used", IntegerField()),
            last_activity=Subquery(last),
            mrr_total=Coalesce(_active_sum("mrr", MONEY), Decimal(0), output_field=MONEY),
        )
        .prefetch_related(Prefetch("subscriptions", queryset=active, to_attr="products"))
        .order_by(*SORTS["name"])
    )


@dataclass(frozen=True)
class ClientFilters:
    q: str = ""
    relationship: str = ""  # sourced / assisted / managed (in force today)
    services: str = "active"  # active / ended / all
    sort: str = "name"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ClientFilters:
        relationship = str(params.get("relationship") or "")
        services = str(params.get("services") or "active")
        sort = str(params.get("sort") or "name")
        return cls(
            q=str(params.get("q") or "").strip()[:200],
            relationship=relationship if relationship in RelationshipKind.values else "",
            services=services if services in SERVICES else "active",
            sort=sort if sort in SORTS else "name",
        )

    def active(self) -> dict[str, str]:
        """The filters that narrow the list (for the page and its links)."""
        out = {"q": self.q, "relationship": self.relationship}
        if self.services != "active":
            out["services"] = self.services
        return {k: v for k, v in out.items() if v}


def filter_clients(filters: ClientFilters, *, day: dt.date) -> QuerySet[HubSpotAccount]:
    rows = client_rows(day)
    if filters.q:
        q = filters.q
        rows = rows.filter(
            Q(name__icontains=q)
            | Q(hub_id=q)
            | Q(company__name__icontains=q)
            | Q(company__domain__icontains=q)
        )
    if filters.relationship:
        rows = rows.filter(**{f"is_{filters.relationship}": True})
    if filters.services == "active":
        rows = rows.filter(services_ended_on__isnull=True)
    elif filters.services == "ended":
        rows = rows.filter(services_ended_on__isnull=False)
    return rows.order_by(*SORTS[filters.sort])


def count_clients(filters: ClientFilters, *, day: dt.date) -> QuerySet[HubSpotAccount]:
    """The plain filtered accounts, for a capped count that computes no annotation."""
    rows = HubSpotAccount.objects.all()
    if filters.q:
        q = filters.q
        rows = rows.filter(
            Q(name__icontains=q)
            | Q(hub_id=q)
            | Q(company__name__icontains=q)
            | Q(company__domain__icontains=q)
        )
    if filters.relationship:
        rows = rows.filter(_in_force(filters.relationship, day))
    if filters.services == "active":
        rows = rows.filter(services_ended_on__isnull=True)
    elif filters.services == "ended":
        rows = rows.filter(services_ended_on__isnull=False)
    return rows


def usd_rates(day: dt.date) -> dict[str, Decimal]:
    """Each currency's amount worth 100 USD in force on ``day`` (one query)."""
    rates: dict[str, Decimal] = {}
    for currency, amount in (
        CurrencyRate.objects.filter(effective_from__lte=day)
        .order_by("currency", "-effective_from")
        .values_list("currency", "amount_per_100_usd")
    ):
        rates.setdefault(currency, amount)
    return rates


@dataclass(frozen=True)
class Money:
    currency: str
    amount: Decimal


def mrr_of(
    subscriptions: Iterable[Subscription], rates: Mapping[str, Decimal]
) -> tuple[list[Money], Decimal | None]:
    """The MRR of active subscriptions per currency, and in USD (None when a currency has no
    rate in the table)."""
    per: dict[str, Decimal] = {}
    for s in subscriptions:
        per[s.currency] = per.get(s.currency, Decimal(0)) + s.mrr
    usd: Decimal | None = Decimal(0)
    for currency, amount in per.items():
        rate = Decimal(100) if currency == "USD" else rates.get(currency)
        if rate is None or rate <= 0 or usd is None:
            usd = None
            continue
        usd += amount * 100 / rate
    money = [Money(c, a) for c, a in sorted(per.items())]
    return money, None if usd is None else usd.quantize(CENT, rounding=ROUND_HALF_UP)


def annotate_clients(rows: Iterable[HubSpotAccount], *, day: dt.date) -> list[HubSpotAccount]:
    """Give a page's clients ``mrr`` (per currency), ``usd`` and ``usage`` (used/bought)."""
    page = list(rows)
    rates = usd_rates(day) if page else {}
    for row in page:
        row.mrr, row.usd = mrr_of(row.products, rates)  # type: ignore[attr-defined]
        used, bought = row.seats_used, row.seats_bought  # type: ignore[attr-defined]
        row.usage = (  # type: ignore[attr-defined]
            None if used is None or not bought else Decimal(used * 100) / Decimal(bought)
        )
    return page


def relationship_labels(row: Any) -> list[str]:
    return [
        str(label) for kind, label in RelationshipKind.choices if getattr(row, f"is_{kind}", False)
    ]


def usd_mrr_on(day: dt.date) -> Decimal:
    """The clients' MRR in force on ``day`` in USD (each subscription's MRR version and its
    currency's amount worth 100 USD in force that day): one aggregate query."""
    change = SubscriptionChange.objects.filter(
        subscription=OuterRef("pk"), effective_on__lte=day
    ).order_by("-effective_on", "-id")
    rate = CurrencyRate.objects.filter(
        currency=OuterRef("currency_on"), effective_from__lte=day
    ).order_by("-effective_from")
    total = (
        Subscription.objects.filter(start_date__lte=day)
        .annotate(
            mrr_on=Subquery(change.values("mrr")[:1]),
            currency_on=Subquery(change.values("currency")[:1]),
        )
        .annotate(per_100=Subquery(rate.values("amount_per_100_usd")[:1]))
        .aggregate(
            usd=Sum(Cast("mrr_on", FloatField()) * Value(100.0) / Cast("per_100", FloatField()))
        )["usd"]
    )
    return Decimal(str(total or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def month_ends(until: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the ``months`` months up to ``until``'s (``until`` itself for
    the current month)."""
    days = [until]
    first = until.replace(day=1)
    for _i in range(months - 1):
        last = first - dt.timedelta(days=1)
        days.append(last)
        first = last.replace(day=1)
    return list(reversed(days))
