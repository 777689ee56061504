"""Partner points for a day, computed by the database (PRODUCT.md part 5, seed 003).

For a day D, each HubSpot account earns, per relationship in force on D:

    units  = Σ over its subscriptions (MRR in force on D ÷ amount of its currency worth 100 USD
             in force on D)                                  -- MRR in units of 100 USD
    points = units × rate of the relationship in force on D × growth multiplier (growth market)
    managed points are further ÷ the number of managing partners in force on D

A subscription's MRR in force on D is its latest ``SubscriptionChange`` on or before D (an ended
subscription has a change to 0 on its end day); the rates, the currency amount and the number
of managing partners are likewise the latest version on or before D. A relationship is in
force on D when ``started_on <= D < ended_on`` (or it has no end).

**Managed credit** needs, on D, all of:

1. a managed relationship in force on D (it has not ended: not lapsed, no *end services*);
2. a qualifying activity on the account within ``relationship_end_days`` (60) of D — the last
   activity on or before D is on or after D − 60 days. *Boundary*: an activity exactly 60 days
   before D still gives credit on D; 61 days before does not (the relationship lifecycle ends
   the relationship on that 61st day, so both rules agree);
3. at least one active employee correctly connected to the account (all three connection
   flags).

The agency's totals are one aggregate over the MRR versions in force on D (each subscription's
latest version on or before D, found by an anti-join: no later version on or before D), joined
to their account's relationships in force on D (periods of one kind never overlap, so each
version meets each kind at most once) and to its managing partners in force (a left join, the
later versions removed by an anti-join). Nothing in it is looked up per row: managed credit
tests the account against two sets computed once per query (the accounts with a qualifying
activity on D − 60 … D, the accounts with a connected active employee), and the rows are
summed per currency, each currency's sums divided by its amount in force once. The per-account rows
(``account_points``, for the pages) take the same versions per account and read each
account's MRR once per figure. No loop over rows in Python, on SQLite and PostgreSQL.
Arithmetic runs in floating point in the database (SQLite would divide two whole decimals as
integers) and figures are rounded to 2 places on the way out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from .models import (
    CurrencyRate,
    EmployeeConnection,
    HubSpotAccount,
    ManagingPartners,
    PointRate,
    ProgramSettings,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    Subscription,
    SubscriptionChange,
)

CENT = Decimal("0.01")
ZERO = Value(0.0, output_field=FloatField())


def to_decimal(value: Any) -> Decimal:
    """A figure from the database (float, Decimal or None) rounded to 2 places."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    effective_from: dt.date | None
    sourced: Decimal
    assisted: Decimal
    managed: Decimal
    growth_multiplier: Decimal

    def for_kind(self, kind: str) -> Decimal:
        return {
            RelationshipKind.SOURCED: self.sourced,
            RelationshipKind.ASSISTED: self.assisted,
            RelationshipKind.MANAGED: self.managed,
        }[RelationshipKind(kind)]


NO_RATES = Rates(None, Decimal(0), Decimal(0), Decimal(0), Decimal(1))


def rates_on(day: dt.date) -> Rates:
    """The point rates in force on ``day`` (all zero before the first version)."""
    row = PointRate.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if row is None:
        return NO_RATES
    return Rates(row.effective_from, row.sourced, row.assisted, row.managed, row.growth_multiplier)


def rates_table() -> list[Rates]:
    """Every version of the point rates, oldest first (one query)."""
    return [
        Rates(r.effective_from, r.sourced, r.assisted, r.managed, r.growth_multiplier)
        for r in PointRate.objects.order_by("effective_from")
    ]


def rates_in(table: list[Rates], day: dt.date) -> Rates:
    """The version of ``table`` (``rates_table``) in force on ``day``."""
    found = NO_RATES
    for rates in table:
        if rates.effective_from is not None and rates.effective_from <= day:
            found = rates
    return found


def credit_cutoff(day: dt.date, end_days: int) -> dt.date:
    """The earliest day a last qualifying activity may be on and still give managed credit on
    ``day``: exactly ``end_days`` before it counts, one day more does not."""
    return day - dt.timedelta(days=end_days)


# ---------------------------------------------------------------- building blocks


def _in_force(kind: str, day: dt.date, account_ref: str) -> Exists:
    return Exists(
        Relationship.objects.filter(
            account=OuterRef(account_ref), kind=kind, started_on__lte=day
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    )


def account_conditions(day: dt.date, account_ref: str = "pk") -> dict[str, Any]:
    """Per account (``account_ref`` names the account's id in the outer query): the
    relationships in force on ``day``, the managing partners, the last qualifying activity on or
    before it, and the correctly connected active employees."""
    connected = (
        EmployeeConnection.objects.filter(
            account=OuterRef(account_ref),
            in_partner_account=True,
            client_assigned=True,
            in_client_account=True,
            employee__is_active=True,
        )
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return {
        "is_sourced": _in_force(RelationshipKind.SOURCED, day, account_ref),
        "is_assisted": _in_force(RelationshipKind.ASSISTED, day, account_ref),
        "is_managed": _in_force(RelationshipKind.MANAGED, day, account_ref),
        "split": Coalesce(
            Subquery(
                ManagingPartners.objects.filter(
                    account=OuterRef(account_ref), effective_from__lte=day
                )
                .order_by("-effective_from")
                .values("count")[:1]
            ),
            Value(1),
            output_field=IntegerField(),
        ),
        "last_activity_on": Subquery(
            QualifyingActivity.objects.filter(account=OuterRef(account_ref), occurred_on__lte=day)
            .order_by("-occurred_on")
            .values("occurred_on")[:1]
        ),
        "connected_employees": Coalesce(
            Subquery(connected, output_field=IntegerField()), Value(0), output_field=IntegerField()
        ),
    }


def changes_in_force(day: dt.date) -> QuerySet[SubscriptionChange]:
    """The MRR version in force on ``day`` of every subscription started on or before it: its
    latest version on or before ``day`` (no later one on or before ``day``: an anti-join)."""
    later = SubscriptionChange.objects.filter(
        subscription=OuterRef("subscription"),
        effective_on__gt=OuterRef("effective_on"),
        effective_on__lte=day,
    )
    return SubscriptionChange.objects.filter(
        ~Exists(later), effective_on__lte=day, subscription__start_date__lte=day
    )


def _mrr_in_force(day: dt.date) -> dict[str, Any]:
    """Per subscription: its MRR and currency in force on ``day`` and the currency's amount
    worth 100 USD that day."""
    change = SubscriptionChange.objects.filter(
        subscription=OuterRef("pk"), effective_on__lte=day
    ).order_by("-effective_on", "-id")
    return {
        "mrr_on": Subquery(change.values("mrr")[:1]),
        "currency_on": Subquery(change.values("currency")[:1]),
    }


def _per_100_usd(day: dt.date, currency: str = "currency_on") -> Subquery:
    return Subquery(
        CurrencyRate.objects.filter(currency=OuterRef(currency), effective_from__lte=day)
        .order_by("-effective_from")
        .values("amount_per_100_usd")[:1]
    )


def _units(mrr: str = "mrr_on") -> Any:
    """MRR in units of 100 USD (None when no currency amount is in force)."""
    return Cast(F(mrr), FloatField()) / Cast(F("per_100_usd"), FloatField())


def _points(rates: Rates, cutoff: dt.date) -> dict[str, Any]:
    """The three point figures from ``units``, the conditions and the multiplier."""

    def times(rate: Decimal):
        return F("units") * Value(float(rate)) * F("multiplier")

    return {
        "managed_credit": Case(
            When(
                is_managed=True,
                connected_employees__gt=0,
                last_activity_on__gte=cutoff,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "sourced_points": Case(
            When(is_sourced=True, then=times(rates.sourced)),
            default=ZERO,
            output_field=FloatField(),
        ),
        "assisted_points": Case(
            When(is_assisted=True, then=times(rates.assisted)),
            default=ZERO,
            output_field=FloatField(),
        ),
        "managed_points": Case(
            When(
                is_managed=True,
                connected_employees__gt=0,
                last_activity_on__gte=cutoff,
                then=times(rates.managed) / Cast(F("split"), FloatField()),
            ),
            default=ZERO,
            output_field=FloatField(),
        ),
    }


def _rate_if(condition: Q, rate: Decimal) -> Case:
    return Case(When(condition, then=Value(float(rate))), default=ZERO, output_field=FloatField())


def _multiplier(rates: Rates, growth_field: str) -> Case:
    return Case(
        When(**{growth_field: True}, then=Value(float(rates.growth_multiplier))),
        default=Value(1.0),
        output_field=FloatField(),
    )


# ---------------------------------------------------------------- the queries


def subscription_points(
    day: dt.date, *, accounts: QuerySet[HubSpotAccount] | None = None
) -> QuerySet[Subscription]:
    """Every subscription started on or before ``day``, annotated with how its points are
    computed: ``mrr_on``, ``currency_on``, ``per_100_usd``, ``units`` (100-USD units),
    ``usd`` (MRR in USD), ``multiplier``, ``split``, the relationship flags ``is_sourced`` /
    ``is_assisted`` / ``is_managed``, ``last_activity_on``, ``connected_employees``,
    ``managed_credit`` and ``sourced_points`` / ``assisted_points`` / ``managed_points``."""
    settings = ProgramSettings.load()
    rates = rates_on(day)
    cutoff = credit_cutoff(day, settings.relationship_end_days)
    qs = Subscription.objects.filter(start_date__lte=day)
    if accounts is not None:
        qs = qs.filter(account__in=accounts)
    return (
        qs.select_related("account")
        .annotate(**_mrr_in_force(day))
        .annotate(
            per_100_usd=_per_100_usd(day),
            multiplier=_multiplier(rates, "account__growth_market"),
            **account_conditions(day, "account_id"),
        )
        .annotate(units=Coalesce(_units(), ZERO, output_field=FloatField()))
        .annotate(usd=F("units") * Value(100.0), **_points(rates, cutoff))
        .order_by("account__name", "account_id", "product", "pk")
    )


def account_points(
    day: dt.date, *, accounts: QuerySet[HubSpotAccount] | None = None
) -> QuerySet[HubSpotAccount]:
    """Every account, annotated with its figures on ``day``: ``units`` and ``usd`` (the MRR
    of its subscriptions in force that day), ``multiplier``, ``split``, the relationship flags,
    ``last_activity_on``, ``connected_employees``, ``managed_credit`` and the three point
    figures, plus ``sold_points`` and ``total_points``. One query."""
    settings = ProgramSettings.load()
    rates = rates_on(day)
    cutoff = credit_cutoff(day, settings.relationship_end_days)
    per_subscription = (
        changes_in_force(day)
        .filter(subscription__account=OuterRef("pk"))
        .annotate(per_100_usd=_per_100_usd(day, "currency"))
        .order_by()
        .values("subscription__account")
        .annotate(total=Sum(_units("mrr")))
        .values("total")
    )
    sold_rate = _rate_if(Q(is_sourced=True), rates.sourced) + _rate_if(
        Q(is_assisted=True), rates.assisted
    )
    managed_rate = Case(
        When(
            is_managed=True,
            connected_employees__gt=0,
            last_activity_on__gte=cutoff,
            then=Value(float(rates.managed)) / Cast(F("split"), FloatField()),
        ),
        default=ZERO,
        output_field=FloatField(),
    )
    qs = accounts if accounts is not None else HubSpotAccount.objects.all()
    return (
        qs.select_related("company")
        .annotate(
            units=Coalesce(Subquery(per_subscription, output_field=FloatField()), ZERO),
            multiplier=_multiplier(rates, "growth_market"),
            **account_conditions(day, "pk"),
        )
        .annotate(usd=F("units") * Value(100.0), **_points(rates, cutoff))
        .annotate(
            # units × multiplier × (the rates that apply): the MRR subquery appears once in
            # each figure, so sorting by total computes it once per account, not three times.
            sold_points=F("units") * F("multiplier") * sold_rate,
            total_points=F("units") * F("multiplier") * (sold_rate + managed_rate),
        )
    )


@dataclass(frozen=True)
class Totals:
    day: dt.date
    sourced: Decimal
    assisted: Decimal
    managed: Decimal

    @property
    def sold(self) -> Decimal:
        return self.sourced + self.assisted

    @property
    def total(self) -> Decimal:
        return self.sourced + self.assisted + self.managed


def _credited_accounts(day: dt.date, cutoff: dt.date) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """Managed credit's other two conditions, each as the set of accounts meeting it: those
    with a qualifying activity on ``cutoff`` … ``day`` (one range of the activities) and those
    with an active employee correctly connected (the partial index of complete connections
    joined to the users by key). Neither names the outer row, so the database reads each once
    per query and hashes it, whatever the number of rows."""
    # Distinct: PostgreSQL hashes the set only if its estimated size fits in memory, and sized
    # by accounts, not by the activities of 60 days, it always does.
    recent = (
        QualifyingActivity.objects.filter(occurred_on__gte=cutoff, occurred_on__lte=day)
        .values("account_id")
        .distinct()
    )
    connected = EmployeeConnection.objects.filter(
        in_partner_account=True,
        client_assigned=True,
        in_client_account=True,
        employee__is_active=True,
    ).values("account_id")
    return recent, connected


class _OncePerGroup(Subquery):
    """A subquery in a grouped query that names only a column the query is grouped by: left
    out of the GROUP BY (Django would group by the subquery itself), so the database computes
    it once per group rather than for every row."""

    def get_group_by_cols(self) -> list[Any]:
        return []


def _totals_on(day: dt.date, rates: Rates, end_days: int, accounts: Any) -> Totals:
    """One aggregate query over the MRR versions in force on ``day`` joined to their account's
    relationships in force that day (periods of one kind never overlap, so a version meets
    each kind at most once) and to its managing partners in force (a left join to the
    versions on or before ``day``, the later ones removed by an anti-join). Managed credit
    reads two account sets each computed once (``_credited_accounts``). The rows are summed
    per currency, and each currency's sums divided by its amount worth 100 USD (one lookup per
    currency, not per row) before the currencies are added up."""
    account = "subscription__account_id"
    period = "subscription__account__relationships__"
    partners = "subscription__account__managing_partners"
    rows = changes_in_force(day).filter(
        Q(**{f"{period}ended_on__isnull": True}) | Q(**{f"{period}ended_on__gt": day}),
        **{f"{period}started_on__lte": day},
    )
    if accounts is not None:
        rows = rows.filter(subscription__account__in=accounts)
    later_partners = ManagingPartners.objects.filter(
        account=OuterRef("partners_on__account_id"),
        effective_from__gt=OuterRef("partners_on__effective_from"),
        effective_from__lte=day,
    )
    recent, connected = _credited_accounts(day, credit_cutoff(day, end_days))
    rows = (
        rows.alias(
            partners_on=FilteredRelation(
                partners, condition=Q(**{f"{partners}__effective_from__lte": day})
            )
        )
        .filter(~Exists(later_partners))
        .alias(
            kind=F(f"{period}kind"),
            managed_credit=Case(
                When(
                    Q(kind=RelationshipKind.MANAGED)
                    & Q(**{f"{account}__in": recent})
                    & Q(**{f"{account}__in": connected}),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            split=Coalesce("partners_on__count", Value(1), output_field=IntegerField()),
        )
    )
    # MRR × multiplier, in the currency of the version: divided by the currency's amount
    # worth 100 USD once per currency below.
    mrr = Cast(F("mrr"), FloatField()) * Case(
        When(subscription__account__growth_market=True, then=Value(float(rates.growth_multiplier))),
        default=Value(1.0),
        output_field=FloatField(),
    )

    def sum_if(condition: Q, rate: Decimal, per: Any = None) -> Sum:
        value = mrr * Value(float(rate))
        if per is not None:
            value = value / per
        return Sum(Case(When(condition, then=value), default=ZERO, output_field=FloatField()))

    per_currency = (
        rows.order_by()
        .values("currency")
        .annotate(
            sourced_mrr=sum_if(Q(kind=RelationshipKind.SOURCED), rates.sourced),
            assisted_mrr=sum_if(Q(kind=RelationshipKind.ASSISTED), rates.assisted),
            managed_mrr=sum_if(
                Q(managed_credit=True), rates.managed, Cast(F("split"), FloatField())
            ),
            per_100_usd=_OncePerGroup(_per_100_usd(day, "currency")),
        )
    )

    def total(figure: str) -> Coalesce:
        return Coalesce(Sum(F(figure) / Cast(F("per_100_usd"), FloatField())), ZERO)

    figures = per_currency.aggregate(
        sourced=total("sourced_mrr"),
        assisted=total("assisted_mrr"),
        managed=total("managed_mrr"),
    )
    return Totals(
        day,
        to_decimal(figures["sourced"]),
        to_decimal(figures["assisted"]),
        to_decimal(figures["managed"]),
    )


def totals(day: dt.date, *, accounts: QuerySet[HubSpotAccount] | None = None) -> Totals:
    """The agency's points on ``day``: sourced, assisted, managed (sold and total derived)."""
    settings = ProgramSettings.load()
    return _totals_on(day, rates_on(day), settings.relationship_end_days, accounts)


def month_ends(until: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the ``months`` months up to ``until`` (the last is ``until``)."""
    days = [until]
    first = until.replace(day=1)
    for _ in range(months - 1):
        last = first - dt.timedelta(days=1)
        days.append(last)
        first = last.replace(day=1)
    return list(reversed(days))


def series(until: dt.date, *, months: int = 12) -> list[Totals]:
    """Points over time for a chart: the totals at the end of each month (the current month:
    ``until``). The settings and every rate version are read once; then one aggregate query
    per month end (each as quick as ``totals``)."""
    end_days = ProgramSettings.load().relationship_end_days
    table = rates_table()
    return [
        _totals_on(day, rates_in(table, day), end_days, None) for day in month_ends(until, months)
    ]


def breakdown(row: Any) -> dict[str, Any]:
    """How an annotated account or subscription row's figures were computed, as plain values
    (for a page, the API or a review's record)."""
    account = row if isinstance(row, HubSpotAccount) else row.account
    figures = {
        "account_id": account.pk,
        "account": account.name,
        "hub_id": account.hub_id,
        "growth_market": account.growth_market,
        "usd": to_decimal(row.usd),
        "multiplier": to_decimal(row.multiplier),
        "split": row.split,
        "sourced": bool(row.is_sourced),
        "assisted": bool(row.is_assisted),
        "managed": bool(row.is_managed),
        "last_activity_on": row.last_activity_on,
        "connected_employees": row.connected_employees,
        "managed_credit": bool(row.managed_credit),
        "sourced_points": to_decimal(row.sourced_points),
        "assisted_points": to_decimal(row.assisted_points),
        "managed_points": to_decimal(row.managed_points),
    }
    if isinstance(row, Subscription):
        figures.update(
            subscription_id=row.pk,
            product=row.product,
            mrr=getattr(row, "mrr_on", None),
            currency=getattr(row, "currency_on", None),
            per_100_usd=getattr(row, "per_100_usd", None),
        )
    return figures
