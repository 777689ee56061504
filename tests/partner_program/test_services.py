"""The services' rules: who may write, and every bad input refused with its DomainError and
nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import (
    ActivityType,
    CurrencyRate,
    HubSpotAccount,
    PointRate,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    Subscription,
    SubscriptionChange,
)

from .conftest import OPENED, TODAY, act, relate, subscribe

pytestmark = pytest.mark.django_db

TABLES = (
    HubSpotAccount,
    Subscription,
    SubscriptionChange,
    Relationship,
    QualifyingActivity,
    PointRate,
    CurrencyRate,
    Event,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def refused(code: str, action) -> DomainError:
    """``action`` raises the DomainError ``code`` and writes nothing."""
    before = counts()
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value
    assert counts() == before
    return caught.value


def test_an_account_records_its_creation(manager, account):
    event = Event.objects.for_subject(account).get()
    assert (event.kind, event.company_id, event.actor) == (
        "partner.account_created",
        account.company_id,
        manager,
    )


def test_account_input_is_checked(manager, company, account, set_today):
    def create(**kw):
        values = {"hub_id": "123", "name": "Second", "opened_on": OPENED} | kw
        return lambda: services.account_create(by=manager, company=company, **values)

    refused("hub_id_taken", create(hub_id="4417286"))
    refused("invalid_hub_id", create(hub_id="portal-12"))
    refused("required", create(name="  "))
    refused("date_in_future", create(opened_on=TODAY + dt.timedelta(days=1)))


@pytest.mark.parametrize(
    ("mrr", "currency", "code", "field"),
    [
        ("-1", "USD", "negative_mrr", "mrr"),
        ("ten", "USD", "invalid_amount", "mrr"),
        ("10.001", "USD", "invalid_amount", "mrr"),
        ("100", "XYZ", "unknown_currency", "currency"),
        ("100", "", "unknown_currency", "currency"),
    ],
)
def test_a_subscription_needs_a_known_currency_and_an_mrr_of_zero_or_more(
    manager, account, mrr, currency, code, field
):
    error = refused(code, lambda: subscribe(manager, account, mrr=mrr, currency=currency))
    assert error.field == field


def test_a_subscription_cannot_start_before_the_account(manager, account):
    refused(
        "before_account_opened",
        lambda: subscribe(manager, account, start=OPENED - dt.timedelta(days=1)),
    )
    refused(
        "end_before_start",
        lambda: subscribe(manager, account, renewal_date=dt.date(2023, 12, 31)),
    )


def test_mrr_changes_are_checked(manager, account):
    subscription = subscribe(manager, account)

    def change(mrr="10", day=TODAY, currency=None):
        return lambda: services.subscription_change_mrr(
            by=manager, subscription=subscription, mrr=mrr, effective_on=day, currency=currency
        )

    refused("negative_mrr", change(mrr="-5"))
    refused("unknown_currency", change(currency="ABC"))
    refused("date_in_future", change(day=TODAY + dt.timedelta(days=1)))
    refused("before_start", change(day=dt.date(2023, 12, 31)))
    change(mrr="1500")()
    subscription.refresh_from_db()
    assert subscription.mrr == Decimal("1500.00")
    assert list(subscription.changes.values_list("effective_on", "mrr")) == [
        (TODAY, Decimal("1500.00")),
        (dt.date(2024, 1, 1), Decimal("1000.00")),
    ]


@pytest.mark.parametrize(
    ("days", "code"),
    [(1, "date_in_future"), (-(TODAY - OPENED).days - 1, "before_account_opened")],
    ids=["in the future", "before the account existed"],
)
def test_an_activity_dated_in_the_future_or_before_the_account_is_refused(
    manager, agent, account, days, code
):
    refused(code, lambda: act(manager, account, agent, TODAY + dt.timedelta(days=days)))


def test_an_activity_needs_an_agency_employee(manager, client_user, account):
    refused("invalid_employee", lambda: act(manager, account, client_user, TODAY))


def test_overlapping_relationship_periods_are_refused(manager, account):
    relate(manager, account, RelationshipKind.SOURCED, dt.date(2024, 1, 1), dt.date(2024, 6, 1))
    for start, end in [
        (dt.date(2024, 5, 31), None),
        (dt.date(2023, 1, 1), dt.date(2024, 1, 2)),
        (dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
    ]:
        error = refused(
            "overlapping_relationship",
            lambda s=start, e=end: relate(manager, account, RelationshipKind.SOURCED, s, e),
        )
        assert (error.status, error.field) == (422, "started_on")  # bad input on its field
    # Touching periods do not overlap ([start, end)); other kinds are independent.
    relate(manager, account, RelationshipKind.SOURCED, dt.date(2024, 6, 1))
    relate(manager, account, RelationshipKind.ASSISTED, dt.date(2024, 2, 1))
    refused(
        "overlapping_relationship",
        lambda: relate(manager, account, RelationshipKind.SOURCED, dt.date(2025, 1, 1)),
    )


def test_an_end_before_the_start_is_refused(manager, account):
    refused(
        "end_before_start",
        lambda: relate(manager, account, RelationshipKind.SOURCED, TODAY, dt.date(2024, 1, 1)),
    )
    period = relate(manager, account, RelationshipKind.SOURCED, dt.date(2024, 3, 1))
    refused(
        "end_before_start",
        lambda: services.relationship_end(
            by=manager, relationship=period, ended_on=dt.date(2024, 2, 1)
        ),
    )
    services.relationship_end(by=manager, relationship=period, ended_on=TODAY)
    refused(
        "already_ended",
        lambda: services.relationship_end(by=manager, relationship=period, ended_on=TODAY),
    )


def test_end_services_needs_a_reason_and_ends_the_managed_relationship_at_once(
    manager, agent, account
):
    relate(manager, account)
    refused("required", lambda: services.services_end(by=manager, account=account, reason=" "))
    services.services_end(by=manager, account=account, reason="Contract over")
    period = Relationship.objects.get(account=account, kind=RelationshipKind.MANAGED)
    assert (period.ended_on, period.end_reason, period.end_note, period.ended_by) == (
        TODAY,
        "services_ended",
        "Contract over",
        manager,
    )
    kinds = list(Event.objects.for_subject(account).values_list("kind", flat=True))
    assert kinds[:2] == ["partner.services_ended", "partner.relationship_ended"]
    refused(
        "services_already_ended",
        lambda: services.services_end(by=manager, account=account, reason="Again"),
    )
    # Activities no longer start a managed relationship, until one is added by hand.
    act(manager, account, agent, TODAY)
    assert not Relationship.objects.filter(account=account, ended_on__isnull=True).exists()
    relate(manager, account, start=TODAY + dt.timedelta(days=1))
    account.refresh_from_db()
    assert account.services_ended_on is None


def test_rates_and_currencies_take_effect_today_or_later_unless_correcting_the_past(admin):
    def rates(day, **kw):
        return lambda: services.rates_set(
            by=admin,
            effective_from=day,
            sourced="5",
            assisted="3",
            managed="1",
            growth_multiplier=kw.pop("growth", "2"),
            **kw,
        )

    refused("past_version", rates(TODAY - dt.timedelta(days=1)))
    refused("invalid_number", rates(TODAY, growth="0"))
    refused(
        "past_version",
        lambda: services.currency_rate_set(
            by=admin, currency="EUR", amount_per_100_usd="90", effective_from=dt.date(2024, 1, 1)
        ),
    )
    refused(
        "invalid_currency",
        lambda: services.currency_rate_set(
            by=admin, currency="EURO", amount_per_100_usd="90", effective_from=TODAY
        ),
    )
    refused(
        "invalid_number",
        lambda: services.currency_rate_set(
            by=admin, currency="EUR", amount_per_100_usd="-1", effective_from=TODAY
        ),
    )
    rates(dt.date(2024, 1, 1), correct_past=True)()
    assert PointRate.objects.filter(effective_from=dt.date(2024, 1, 1)).exists()


def test_who_may_write(manager, agent, admin, client_user, company, account, blog_post):
    def forbidden(action):
        refused("forbidden", action)

    forbidden(
        lambda: services.account_create(
            by=agent, company=company, hub_id="1", name="A", opened_on=OPENED
        )
    )
    forbidden(lambda: subscribe(agent, account))
    forbidden(lambda: relate(agent, account))
    forbidden(lambda: services.services_end(by=agent, account=account, reason="No"))
    forbidden(
        lambda: services.rates_set(
            by=manager,
            effective_from=TODAY,
            sourced=5,
            assisted=3,
            managed=1,
            growth_multiplier=2,
        )
    )
    forbidden(lambda: act(agent, account, manager, TODAY))  # an agent: only their own
    forbidden(lambda: act(client_user, account, agent, TODAY))
    forbidden(lambda: act(None, account, agent, TODAY))
    own = act(agent, account, agent, TODAY)
    assert own.recorded_by == agent
    system = act(SYSTEM, account, agent, TODAY)
    assert system.recorded_by is None
    theirs = act(manager, account, manager, TODAY)
    forbidden(lambda: services.activity_delete(by=agent, activity=theirs))
    services.activity_delete(by=agent, activity=own)
    assert not QualifyingActivity.objects.filter(pk=own.pk).exists()


def test_an_inactive_activity_type_is_not_offered(admin, manager, agent, account, blog_post):
    blog_post = services.activity_type_update(by=admin, activity_type=blog_post, is_active=False)
    refused("inactive_activity_type", lambda: act(manager, account, agent, TODAY, blog_post))


def test_catalogue_and_mappings(admin, blog_post):
    refused(
        "duplicate_name",
        lambda: services.activity_type_create(
            by=admin, tool="marketing", name="published a blog post"
        ),
    )
    refused(
        "invalid_tool",
        lambda: services.activity_type_create(by=admin, tool="crm", name="Something"),
    )
    created = services.activity_type_create(by=admin, tool="sales", name="Built a quote")
    assert ActivityType.objects.filter(pk=created.pk, tool="sales").exists()
    refused("mapping_source", lambda: services.mapping_add(by=admin, activity_type=blog_post))
