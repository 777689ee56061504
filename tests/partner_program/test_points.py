"""Points by the database: the seed's examples and the edges of managed credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnerdesk.partner_program import points, services
from partnerdesk.partner_program.models import RelationshipKind

from .conftest import TODAY, act, connect, relate, subscribe

pytestmark = pytest.mark.django_db

D = Decimal


def test_1000_usd_of_managed_mrr_is_10_managed_points(managed_account):
    totals = points.totals(TODAY)
    assert (totals.managed, totals.sold, totals.total) == (D("10.00"), D("0.00"), D("10.00"))


def test_the_same_in_euro_goes_through_the_currency_table(manager, agent, account):
    subscribe(manager, account, mrr="880", currency="EUR")  # 88 EUR are worth 100 USD
    relate(manager, account)
    connect(manager, account, agent)
    act(manager, account, agent, TODAY - dt.timedelta(days=2))
    assert points.totals(TODAY).managed == D("10.00")
    services.subscription_change_mrr(
        by=manager,
        subscription=account.subscriptions.get(),
        mrr="1000",
        effective_on=TODAY,
    )
    assert points.totals(TODAY).managed == D("11.36")  # 1,000 / 88 × 1
    assert points.totals(TODAY - dt.timedelta(days=1)).managed == D("10.00")  # MRR in force then


def test_two_partners_on_one_account_get_half_each(manager, managed_account):
    services.managing_partners_set(
        by=manager, account=managed_account, count=2, effective_from=TODAY
    )
    assert points.totals(TODAY).managed == D("5.00")
    assert points.totals(TODAY - dt.timedelta(days=1)).managed == D("10.00")


def test_a_growth_market_doubles_the_points(manager, managed_account):
    services.account_update(by=manager, account=managed_account, growth_market=True)
    relate(manager, managed_account, RelationshipKind.SOURCED)
    totals = points.totals(TODAY)
    assert (totals.managed, totals.sourced) == (D("20.00"), D("100.00"))


def test_sourced_and_assisted_rates(manager, account):
    subscribe(manager, account, mrr="2000")
    relate(manager, account, RelationshipKind.SOURCED)
    relate(manager, account, RelationshipKind.ASSISTED)
    totals = points.totals(TODAY)
    assert (totals.sourced, totals.assisted, totals.sold) == (D("100.00"), D("60.00"), D("160.00"))
    assert totals.managed == D("0.00")  # no managed relationship


@pytest.mark.parametrize(
    ("days_ago", "managed"),
    [(0, "10.00"), (59, "10.00"), (60, "10.00"), (61, "0.00")],
    ids=["today", "59 days", "exactly 60 days (still counts)", "61 days"],
)
def test_managed_credit_lasts_60_days_after_the_last_activity(
    manager, agent, account, days_ago, managed
):
    subscribe(manager, account)
    relate(manager, account)
    connect(manager, account, agent)
    act(manager, account, agent, TODAY - dt.timedelta(days=days_ago))
    assert points.totals(TODAY).managed == D(managed)


def test_managed_credit_needs_a_correctly_connected_employee(manager, agent, account):
    subscribe(manager, account)
    relate(manager, account)
    act(manager, account, agent, TODAY)
    assert points.totals(TODAY).managed == D("0.00")  # nobody connected
    connect(manager, account, agent, complete=False)
    row = points.account_points(TODAY).get(pk=account.pk)
    assert (row.connected_employees, bool(row.managed_credit)) == (0, False)
    connect(manager, account, agent)
    assert points.totals(TODAY).managed == D("10.00")
    agent.is_active = False
    agent.save()
    assert points.totals(TODAY).managed == D("0.00")  # a deactivated employee counts for nothing


def test_managed_credit_needs_a_managed_relationship(manager, agent, account):
    subscribe(manager, account)
    connect(manager, account, agent)
    services.services_end(by=manager, account=account, reason="Client left")
    act(manager, account, agent, TODAY)  # services ended: no relationship starts
    assert points.totals(TODAY).managed == D("0.00")


def test_end_services_stops_managed_points_the_same_day(manager, managed_account):
    services.services_end(by=manager, account=managed_account, reason="The client moved agency")
    assert points.totals(TODAY).managed == D("0.00")
    assert points.totals(TODAY - dt.timedelta(days=1)).managed == D("10.00")


def test_a_rate_change_effective_next_month_leaves_this_month_unchanged(admin, managed_account):
    next_month = dt.date(2025, 4, 1)
    services.rates_set(
        by=admin,
        effective_from=next_month,
        sourced="5",
        assisted="3",
        managed="2",
        growth_multiplier="2",
    )
    assert points.totals(TODAY).managed == D("10.00")
    assert points.totals(dt.date(2025, 3, 31)).managed == D("10.00")
    assert points.totals(next_month).managed == D("20.00")


def test_a_currency_change_applies_from_its_date(admin, manager, agent, account):
    subscribe(manager, account, mrr="880", currency="EUR")
    relate(manager, account, RelationshipKind.SOURCED)
    services.currency_rate_set(
        by=admin, currency="EUR", amount_per_100_usd="110", effective_from=TODAY
    )
    assert points.totals(TODAY).sourced == D("40.00")  # 880 / 110 × 5
    assert points.totals(TODAY - dt.timedelta(days=1)).sourced == D("50.00")


def test_an_ended_subscription_counts_until_its_end(manager, managed_account):
    subscription = managed_account.subscriptions.get()
    services.subscription_end(by=manager, subscription=subscription, ended_on=TODAY)
    assert points.totals(TODAY).managed == D("0.00")
    assert points.totals(TODAY - dt.timedelta(days=1)).managed == D("10.00")


def test_each_figure_says_how_it_was_computed(manager, managed_account):
    services.managing_partners_set(
        by=manager, account=managed_account, count=2, effective_from=TODAY
    )
    account_row = points.breakdown(points.account_points(TODAY).get(pk=managed_account.pk))
    assert account_row | {"last_activity_on": None} == account_row | {
        "account": "Acme Dental",
        "hub_id": "4417286",
        "usd": D("1000.00"),
        "multiplier": D("1.00"),
        "split": 2,
        "managed": True,
        "sourced": False,
        "connected_employees": 1,
        "managed_credit": True,
        "managed_points": D("5.00"),
        "last_activity_on": None,
    }
    assert account_row["last_activity_on"] == TODAY - dt.timedelta(days=5)
    (row,) = [points.breakdown(r) for r in points.subscription_points(TODAY)]
    assert (row["product"], row["mrr"], row["currency"], row["per_100_usd"]) == (
        "Marketing Hub Professional",
        D("1000.00"),
        "USD",
        D("100.0000"),
    )
    assert row["managed_points"] == D("5.00")


def test_points_are_one_query_whatever_the_number_of_accounts(
    manager, agent, company, managed_account, django_assert_max_num_queries
):
    def count():
        with django_assert_max_num_queries(3) as captured:
            points.totals(TODAY)
        return len(captured)

    before = count()
    for n in range(5):
        extra = services.account_create(
            by=manager, company=company, hub_id=f"9{n}", name=f"Extra {n}", opened_on=TODAY
        )
        subscribe(manager, extra, start=TODAY)
        relate(manager, extra, start=TODAY)
        connect(manager, extra, agent)
        act(manager, extra, agent, TODAY)
    assert count() == before
    assert points.totals(TODAY).managed == D("60.00")


def test_points_over_time_by_month(manager, managed_account):
    series = points.series(TODAY, months=3)
    assert [t.day for t in series] == [dt.date(2025, 1, 31), dt.date(2025, 2, 28), TODAY]
    # The only activity is 5 days ago: earlier month-ends had no recent activity.
    assert [t.managed for t in series] == [D("0.00"), D("0.00"), D("10.00")]
