"""Fixtures of the dashboard tests: a fixed today, a client's HubSpot account with a
subscription renewing on 2027-03-01 (deadline 2027-01-15), the people renewal notices go to,
and the SMTP mailbox the reminders really travel to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.crm import services as crm_services
from partnerdesk.partner_program import services as pp_services
from tests.automation.conftest import mailbox, smtp_server  # noqa: F401  (fixtures)
from tests.conftest import make_user

RENEWS_ON = dt.date(2027, 3, 1)
DEADLINE = dt.date(2027, 1, 15)
TODAY = dt.date(2026, 11, 2)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def set_today(monkeypatch):
    """set_today(day): the services' and the job's today (core.clock) is ``day``."""

    def move(day: dt.date) -> dt.date:
        monkeypatch.setattr(clock, "now", lambda: noon(day))
        return day

    move(TODAY)
    return move


@pytest.fixture
def account(manager, company, set_today):
    return pp_services.account_create(
        by=manager,
        company=company,
        hub_id="4417286",
        name="Acme Dental portal",
        opened_on=dt.date(2020, 1, 1),
    )


def subscribe(
    by, account, *, product="Marketing Hub Professional", mrr="800", renews_on=RENEWS_ON, **kw
):
    return pp_services.subscription_create(
        by=by,
        account=account,
        product=product,
        mrr=mrr,
        currency=kw.pop("currency", "USD"),
        start_date=kw.pop("start_date", dt.date(2024, 3, 1)),
        renewal_date=renews_on,
        **kw,
    )


@pytest.fixture
def subscription(manager, account):
    return subscribe(manager, account)


@pytest.fixture
def point_of_contact(db):
    return make_user("poc@agency.test", Role.AGENT, language="it")


@pytest.fixture
def partner_user(db):
    return make_user("copied@agency.test", Role.MANAGER)


@pytest.fixture
def decision_maker(admin, company):
    return crm_services.contact_create(
        by=admin,
        first_name="Layla",
        last_name="Hassan",
        email="layla@acme-dental.com",
        company=company,
    )
