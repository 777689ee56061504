"""Shared fixtures of the partner program tests: a fixed today, an account, and helpers that
set up subscriptions, relationships, connections and activities through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnerdesk.core import clock
from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import ActivityType, RelationshipKind

TODAY = dt.date(2025, 3, 14)
OPENED = dt.date(2020, 1, 1)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def set_today(monkeypatch):
    """set_today(day): the services' and the jobs' today (core.clock) is ``day``."""

    def move(day: dt.date) -> dt.date:
        monkeypatch.setattr(clock, "now", lambda: noon(day))
        return day

    move(TODAY)
    return move


@pytest.fixture
def account(manager, company, set_today):
    return services.account_create(
        by=manager, company=company, hub_id="4417286", name="Acme Dental", opened_on=OPENED
    )


@pytest.fixture
def blog_post(db):
    return ActivityType.objects.get(key="marketing-blog-post")


def subscribe(by, account, mrr="1000", currency="USD", start=dt.date(2024, 1, 1), **kw):
    return services.subscription_create(
        by=by,
        account=account,
        product=kw.pop("product", "Marketing Hub Professional"),
        mrr=mrr,
        currency=currency,
        start_date=start,
        **kw,
    )


def relate(by, account, kind=RelationshipKind.MANAGED, start=dt.date(2024, 1, 1), end=None):
    return services.relationship_add(
        by=by, account=account, kind=kind, started_on=start, ended_on=end
    )


def connect(by, account, employee, complete=True):
    return services.connection_confirm(
        by=by,
        account=account,
        employee=employee,
        in_partner_account=True,
        client_assigned=True,
        in_client_account=complete,
    )


def act(by, account, employee, day, activity_type=None):
    return services.activity_record(
        by=by,
        account=account,
        employee=employee,
        activity_type=activity_type or ActivityType.objects.get(key="marketing-blog-post"),
        occurred_on=day,
    )


@pytest.fixture
def managed_account(manager, agent, account):
    """1,000 USD of MRR, managed, the agent correctly connected and active 5 days ago."""
    subscribe(manager, account)
    relate(manager, account)
    connect(manager, account, agent)
    act(manager, account, agent, TODAY - dt.timedelta(days=5))
    return account
