"""The set-based points queries against a straightforward per-account reference, on seeded
random data: versioned MRR, currency amounts, point rates and managing partners, relationship
periods that start and end, connections complete or not, inactive employees and activities
around the 60-day boundary. Written out in Python, account by account, from the rules in
``points``' docstring, so a query that reads the wrong version or counts a row twice shows."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import pytest

from partnerdesk.accounts.models import Role
from partnerdesk.partner_program import points
from partnerdesk.partner_program.models import (
    ActivityType,
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

from ..conftest import make_user

pytestmark = pytest.mark.django_db

START = dt.date(2024, 1, 1)
DAYS = [
    dt.date(2024, 1, 31),
    dt.date(2024, 4, 30),
    dt.date(2024, 6, 30),
    dt.date(2024, 8, 31),  # the day before a rate change
    dt.date(2024, 9, 1),  # the rate change
    dt.date(2024, 11, 15),
    dt.date(2025, 1, 31),
    dt.date(2025, 3, 14),
]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "XXX"]  # XXX: no amount in the table, worth nothing


def day_in(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def build(rng: random.Random, company, employees, accounts: int = 14) -> None:
    PointRate.objects.create(
        effective_from=dt.date(2024, 9, 1),
        sourced=Decimal("6"),
        assisted=Decimal("2.5"),
        managed=Decimal("1.5"),
        growth_multiplier=Decimal("3"),
    )
    CurrencyRate.objects.create(
        currency="EUR", amount_per_100_usd=Decimal("92.5"), effective_from=dt.date(2024, 7, 1)
    )
    CurrencyRate.objects.create(
        currency="GBP", amount_per_100_usd=Decimal("79"), effective_from=dt.date(2024, 11, 1)
    )
    types = list(ActivityType.objects.all()[:3])
    for n in range(accounts):
        account = HubSpotAccount.objects.create(
            company=company,
            hub_id=f"77{n:03}",
            name=f"Random {n:02}",
            growth_market=rng.random() < 0.3,
            opened_on=START,
        )
        for s in range(rng.randint(0, 3)):
            start = day_in(rng, START, dt.date(2025, 2, 1))
            currency = rng.choice(CURRENCIES)
            subscription = Subscription.objects.create(
                account=account,
                product=f"Hub {s}",
                mrr=Decimal(0),
                currency=currency,
                start_date=start,
            )
            days = sorted({start} | {day_in(rng, start, dt.date(2025, 3, 14)) for _ in range(2)})
            for day in days[: rng.randint(1, len(days))]:
                SubscriptionChange.objects.create(
                    subscription=subscription,
                    effective_on=day,
                    mrr=Decimal(rng.randint(0, 900_000)) / 100,
                    currency=currency,
                )
        for kind in RelationshipKind.values:
            day = day_in(rng, START, dt.date(2024, 6, 1))
            while rng.random() < 0.7 and day <= dt.date(2025, 3, 14):
                end = None if rng.random() < 0.4 else day + dt.timedelta(days=rng.randint(1, 200))
                Relationship.objects.create(
                    account=account, kind=kind, started_on=day, ended_on=end
                )
                if end is None:
                    break
                day = end + dt.timedelta(days=rng.randint(0, 60))
        for day in sorted(
            {day_in(rng, START, dt.date(2025, 3, 1)) for _ in range(rng.randint(0, 2))}
        ):
            ManagingPartners.objects.create(
                account=account, count=rng.randint(1, 4), effective_from=day
            )
        for employee in rng.sample(employees, rng.randint(0, len(employees))):
            EmployeeConnection.objects.create(
                employee=employee,
                account=account,
                in_partner_account=True,
                client_assigned=rng.random() < 0.9,
                in_client_account=rng.random() < 0.8,
            )
        for _ in range(rng.randint(0, 6)):
            # Some right on a checked day's 59/60/61-day boundary.
            if rng.random() < 0.3:
                day = rng.choice(DAYS) - dt.timedelta(days=rng.choice([59, 60, 61]))
            else:
                day = day_in(rng, START, dt.date(2025, 3, 14))
            QualifyingActivity.objects.create(
                employee=rng.choice(employees),
                account=account,
                activity_type=rng.choice(types),
                occurred_on=day,
            )


# ---------------------------------------------------------------- the reference


def latest(rows, day, date_of):
    """The row in force on ``day``: the latest dated on or before it."""
    eligible = [row for row in rows if date_of(row) <= day]
    return max(eligible, key=date_of) if eligible else None


@dataclass
class Expected:
    units: float
    multiplier: float
    split: int
    sourced: bool
    assisted: bool
    managed: bool
    last_activity_on: dt.date | None
    connected: int
    managed_credit: bool
    sourced_points: float
    assisted_points: float
    managed_points: float


def reference(account: HubSpotAccount, day: dt.date) -> Expected:
    end_days = ProgramSettings.load().relationship_end_days
    rate_row = latest(list(PointRate.objects.all()), day, lambda r: r.effective_from)
    rates = (
        (float(rate_row.sourced), float(rate_row.assisted), float(rate_row.managed))
        if rate_row
        else (0.0, 0.0, 0.0)
    )
    growth = float(rate_row.growth_multiplier) if rate_row else 1.0
    units = 0.0
    for subscription in account.subscriptions.filter(start_date__lte=day):
        change = latest(list(subscription.changes.all()), day, lambda c: c.effective_on)
        if change is None:
            continue
        amount = latest(
            list(CurrencyRate.objects.filter(currency=change.currency)),
            day,
            lambda r: r.effective_from,
        )
        if amount is not None:
            units += float(change.mrr) / float(amount.amount_per_100_usd)

    def in_force(kind):
        return any(
            r.started_on <= day and (r.ended_on is None or r.ended_on > day)
            for r in account.relationships.filter(kind=kind)
        )

    partners = latest(list(account.managing_partners.all()), day, lambda p: p.effective_from)
    split = partners.count if partners else 1
    activities = [a.occurred_on for a in account.activities.all() if a.occurred_on <= day]
    last = max(activities) if activities else None
    connected = sum(
        1
        for c in account.connections.select_related("employee")
        if c.is_complete and c.employee.is_active
    )
    multiplier = growth if account.growth_market else 1.0
    sourced, assisted, managed = (in_force(kind) for kind in RelationshipKind.values)
    credit = (
        managed and connected > 0 and last is not None and last >= day - dt.timedelta(days=end_days)
    )
    return Expected(
        units=units,
        multiplier=multiplier,
        split=split,
        sourced=sourced,
        assisted=assisted,
        managed=managed,
        last_activity_on=last,
        connected=connected,
        managed_credit=credit,
        sourced_points=units * rates[0] * multiplier if sourced else 0.0,
        assisted_points=units * rates[1] * multiplier if assisted else 0.0,
        managed_points=units * rates[2] * multiplier / split if credit else 0.0,
    )


# ---------------------------------------------------------------- the comparison


@pytest.fixture
def employees(agent, manager):
    inactive = make_user("gone@agency.test", Role.AGENT, is_active=False)
    return [agent, manager, inactive]


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_queries_agree_with_the_per_account_reference(seed, company, employees):
    build(random.Random(seed), company, employees)
    accounts = list(HubSpotAccount.objects.order_by("pk"))
    for day in DAYS:
        expected = {account.pk: reference(account, day) for account in accounts}
        rows = {row.pk: row for row in points.account_points(day)}
        for pk, want in expected.items():
            row = rows[pk]
            got = (
                row.split,
                bool(row.is_sourced),
                bool(row.is_assisted),
                bool(row.is_managed),
                row.last_activity_on,
                row.connected_employees,
                bool(row.managed_credit),
            )
            assert got == (
                want.split,
                want.sourced,
                want.assisted,
                want.managed,
                want.last_activity_on,
                want.connected,
                want.managed_credit,
            ), (day, pk)
            for name in ("units", "multiplier", "sourced_points", "assisted_points"):
                assert close(getattr(row, name), getattr(want, name)), (day, pk, name)
            assert close(row.managed_points, want.managed_points), (day, pk, "managed")
            sold = want.sourced_points + want.assisted_points
            assert close(row.sold_points, sold), (day, pk, "sold")
            assert close(row.total_points, sold + want.managed_points), (day, pk, "total")
        totals = points.totals(day)
        for kind in ("sourced", "assisted", "managed"):
            exact = sum(getattr(e, f"{kind}_points") for e in expected.values())
            # Rounded to cents from a floating-point sum: at most a cent apart at a half cent.
            assert abs(getattr(totals, kind) - Decimal(repr(exact))) <= Decimal("0.006"), (
                day,
                kind,
            )
        # The totals are the sum of the per-account rows (the figures a page shows).
        for kind in ("sourced", "assisted", "managed"):
            summed = points.to_decimal(sum(getattr(r, f"{kind}_points") for r in rows.values()))
            assert abs(getattr(totals, kind) - summed) <= Decimal("0.01"), (day, kind)
    assert any(points.totals(day).total for day in DAYS)  # the data is not all zero


def test_the_series_is_the_totals_at_each_month_end(company, employees):
    build(random.Random(7), company, employees)
    series = points.series(dt.date(2025, 3, 14), months=15)
    assert [t.day for t in series] == points.month_ends(dt.date(2025, 3, 14), 15)
    assert series == [points.totals(t.day) for t in series]
    assert any(t.total for t in series)
