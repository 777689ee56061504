"""Tier standing, the credited tier (changed only at a review), the forecast and what is
missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from partnerdesk.core.errors import DomainError
from partnerdesk.notifications.models import Notification
from partnerdesk.partner_program import jobs, points, services, standing
from partnerdesk.partner_program.models import RelationshipKind, Tier, TierReview

from .conftest import act, relate, subscribe

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
DECEMBER = dt.date(2024, 12, 20)
JUNE_REVIEW = dt.date(2024, 6, 1)
JANUARY_REVIEW = dt.date(2025, 1, 1)


@pytest.fixture
def tiers(db):
    return {tier.key: tier for tier in Tier.objects.all()}


@pytest.fixture
def platinum_figures(set_today, manager, agent, account):
    """On 20 December 2024: 700 sold points, 10 activities in the period, 2 certified
    employees (the defaults: Platinum needs 600 total, 100 sold, 10 activities, 2 certified)."""
    set_today(DECEMBER)
    subscribe(manager, account, mrr="14000")  # 140 × 5 = 700 sourced points
    relate(manager, account, RelationshipKind.SOURCED)
    for n in range(10):
        act(manager, account, agent, DECEMBER - n * DAY)
    for employee in (agent, manager):
        services.certification_add(
            by=manager,
            employee=employee,
            name="Solutions Partner",
            issued_on=dt.date(2024, 1, 1),
            expires_on=dt.date(2026, 1, 1),
        )
    return account


def test_review_days():
    assert standing.next_review_day(DECEMBER) == JANUARY_REVIEW
    assert standing.next_review_day(JANUARY_REVIEW) == dt.date(2025, 6, 1)
    assert standing.last_review_day(dt.date(2025, 5, 31)) == JANUARY_REVIEW
    assert standing.last_review_day(dt.date(2025, 6, 1)) == dt.date(2025, 6, 1)


def test_the_credited_tier_changes_only_at_the_january_review(
    admin, tiers, platinum_figures, set_today
):
    services.tier_review_record(by=admin, reviewed_on=JUNE_REVIEW, tier=tiers["gold"])

    before = standing.standing(DECEMBER)
    assert before.tier == tiers["platinum"]  # live standing
    assert before.credited_tier == tiers["gold"]  # credited at the June review
    assert before.forecast.review_on == JANUARY_REVIEW
    assert before.forecast.tier == tiers["platinum"]
    assert before.forecast.figures.sold == Decimal("700.00")
    assert not before.at_risk

    set_today(dt.date(2024, 12, 31))
    assert jobs.daily()["review"] is None  # not a review day: nothing credited
    assert standing.standing(dt.date(2024, 12, 31)).credited_tier == tiers["gold"]

    set_today(JANUARY_REVIEW)
    assert jobs.daily()["review"] == JANUARY_REVIEW.isoformat()
    assert jobs.daily()["review"] is None  # once
    review = TierReview.objects.get(reviewed_on=JANUARY_REVIEW)
    assert review.tier == tiers["platinum"]
    assert review.figures["sold"] == "700.00"
    assert review.figures["certified_employees"] == 2
    assert standing.standing(JANUARY_REVIEW).credited_tier == tiers["platinum"]
    assert standing.standing(dt.date(2024, 12, 31)).credited_tier == tiers["gold"]


def test_a_missed_review_is_caught_up_within_30_days(platinum_figures, set_today, tiers):
    set_today(JANUARY_REVIEW + 30 * DAY)
    assert jobs.tier_review_run(JANUARY_REVIEW + 30 * DAY).tier == tiers["platinum"]
    assert jobs.tier_review_run(dt.date(2025, 7, 2) + 30 * DAY) is None  # too late


def test_the_forecast_extrapolates_the_last_90_days(manager, agent, account, set_today):
    set_today(DECEMBER)
    # Sourced since 90 days ago with 0 MRR then, 9,000 USD now: +100 points a month.
    subscription = subscribe(manager, account, mrr="0", start=DECEMBER - 90 * DAY)
    relate(manager, account, RelationshipKind.SOURCED, DECEMBER - 90 * DAY)
    services.subscription_change_mrr(
        by=manager, subscription=subscription, mrr="9000", effective_on=DECEMBER
    )
    forecast = standing.standing(DECEMBER).forecast
    # 450 points now, growing 5 a day for the 12 days to the review.
    assert points.totals(DECEMBER).sourced == Decimal("450.00")
    assert forecast.figures.sourced == Decimal("510.00")


def test_tier_at_risk_alert_within_60_days_of_a_review(admin, tiers, account, set_today):
    services.tier_review_record(by=admin, reviewed_on=JUNE_REVIEW, tier=tiers["platinum"])
    set_today(JANUARY_REVIEW - 61 * DAY)
    assert not jobs.daily()["at_risk"]
    set_today(JANUARY_REVIEW - 60 * DAY)
    assert jobs.daily()["at_risk"]
    note = Notification.objects.get(user=admin, kind="partner")
    assert note.title == "Tier at risk: Platinum at the review of 2025-01-01"
    assert "To keep Platinum: 100 more sold points" in note.body
    jobs.daily()
    assert Notification.objects.filter(user=admin, kind="partner").count() == 1


def test_what_is_missing_in_plain_words(tiers):
    figures = standing.Figures(DECEMBER, Decimal(0), Decimal(0), Decimal("860"), 4, 0)
    rates = points.Rates(None, Decimal(5), Decimal(3), Decimal(1), Decimal(2))
    missing = standing.missing_for(tiers["diamond"], figures, rates)
    assert missing.sentence == (
        "400 more sold points, e.g. 8,000 USD of sourced MRR, 740 more points, "
        "e.g. 74,000 USD of managed MRR, 21 more qualifying activities in the period "
        "and 4 more certified employees"
    )
    one = standing.Figures(DECEMBER, Decimal(0), Decimal(20), Decimal("79.5"), 0, 0)
    assert standing.missing_for(tiers["gold"], one, rates).sentence == (
        "1 more point, e.g. 100 USD of managed MRR and 1 more certified employee"
    )
    with translation.override("it"):
        assert "1" in standing.missing_for(tiers["gold"], one, rates).sentence
    done = standing.Figures(DECEMBER, Decimal(100), Decimal(0), Decimal(0), 0, 1)
    assert standing.missing_for(tiers["gold"], done, rates).nothing


def test_a_review_by_hand_is_for_a_review_day(admin, tiers, set_today):
    with pytest.raises(DomainError) as caught:
        services.tier_review_record(by=admin, reviewed_on=dt.date(2024, 6, 2), tier=None)
    assert caught.value.code == "not_a_review_day"
