"""Renewals (issue 12): the 45-day deadline, the lists read in constant queries, the renewal
decisions, the communication owner's rules, the HubSpot team, alerts put away, and the
median product usage across clients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.pagination import CappedPaginator
from partnerdesk.crm import services as crm_services
from partnerdesk.dashboard import renewals, selectors, services
from partnerdesk.dashboard.models import (
    HubSpotTeamMember,
    OwnerMode,
    RenewalSettings,
    RenewalStatus,
    TeamRole,
)
from partnerdesk.partner_program import services as pp_services

from .conftest import DEADLINE, RENEWS_ON, TODAY, subscribe

pytestmark = pytest.mark.django_db


def test_a_renewal_starting_on_2027_03_01_shows_the_deadline_2027_01_15(subscription):
    assert renewals.deadline(dt.date(2027, 3, 1)) == dt.date(2027, 1, 15)
    (row,) = selectors.annotate_page(selectors.renewal_rows(), on=TODAY)
    assert row.renewal_date == RENEWS_ON
    assert row.deadline == DEADLINE
    assert row.days_left == (DEADLINE - TODAY).days == 74
    assert row.urgency == "later"


def test_days_left_and_urgency_around_the_deadline():
    assert renewals.days_left(RENEWS_ON, DEADLINE) == 0
    assert renewals.days_left(RENEWS_ON, DEADLINE + dt.timedelta(days=1)) == -1
    assert [renewals.urgency(d) for d in (-1, 0, 7, 8, 30, 31)] == [
        "past",
        "urgent",
        "urgent",
        "soon",
        "soon",
        "later",
    ]


def test_due_offset_is_the_latest_reminder_whose_day_has_come():
    offsets = [30, 14, 7, 1]
    assert renewals.due_offset(DEADLINE, dt.date(2026, 12, 15), offsets) is None
    assert renewals.due_offset(DEADLINE, dt.date(2026, 12, 16), offsets) == 30
    assert renewals.due_offset(DEADLINE, dt.date(2026, 12, 31), offsets) == 30
    assert renewals.due_offset(DEADLINE, dt.date(2027, 1, 1), offsets) == 14
    assert renewals.due_offset(DEADLINE, DEADLINE, offsets) == 1
    assert renewals.due_offset(DEADLINE, DEADLINE + dt.timedelta(days=1), offsets) is None


def test_rows_carry_status_owner_and_mrr_change(manager, account, subscription, point_of_contact):
    (row,) = selectors.renewal_rows()
    assert (row.renewal_status, row.renewal_mrr_value, row.mrr_change) == (
        RenewalStatus.PENDING,
        Decimal("800.00"),
        Decimal("0.00"),
    )
    assert row.owner_mode == "partner"  # the default setting
    services.renewal_update(
        by=manager,
        subscription=subscription,
        status=RenewalStatus.CONFIRMED,
        renewal_mrr="950.50",
        notes="Upgrading to Enterprise seats",
    )
    services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.PARTNER, point_of_contact=point_of_contact
    )
    (row,) = selectors.renewal_rows()
    assert row.renewal_status == RenewalStatus.CONFIRMED
    assert row.renewal_mrr_value == Decimal("950.50")
    assert row.mrr_change == Decimal("150.50")
    assert row.renewal_notes == "Upgrading to Enterprise seats"
    assert row.account.renewal_owner.point_of_contact == point_of_contact
    # The next renewal date starts pending at the current MRR; the old row keeps its history.
    pp_services.subscription_update(
        by=manager, subscription=subscription, renewal_date=dt.date(2028, 3, 1)
    )
    (row,) = selectors.renewal_rows()
    assert (row.renewal_status, row.renewal_mrr_value) == (RenewalStatus.PENDING, Decimal("800"))


def test_renewals_to_act_on_are_the_window_ahead(admin, manager, account, subscription):
    subscribe(manager, account, product="Sales Hub", renews_on=TODAY + dt.timedelta(days=121))
    subscribe(manager, account, product="Past", renews_on=TODAY - dt.timedelta(days=1))
    assert [r.product for r in selectors.renewals_to_act_on(on=TODAY)] == [
        "Marketing Hub Professional"
    ]
    services.renewal_settings_update(by=admin, window_days=121)
    assert len(selectors.renewals_to_act_on(on=TODAY)) == 2
    assert len(selectors.renewal_rows()) == 3  # all renewals
    assert selectors.renewal_decisions_count(on=TODAY) == (2, True)


def test_filters_and_sorts(manager, account, subscription):
    subscribe(manager, account, product="Sales Hub", mrr="20", renews_on=dt.date(2027, 2, 1))
    services.renewal_update(
        by=manager, subscription=subscription, status=RenewalStatus.CANCELLATION_REQUESTED
    )
    f = selectors.RenewalFilters
    assert [r.product for r in selectors.filter_renewals(f(), on=TODAY)] == [
        "Sales Hub",
        "Marketing Hub Professional",
    ]
    assert [r.product for r in selectors.filter_renewals(f(order="-deadline"), on=TODAY)] == [
        "Marketing Hub Professional",
        "Sales Hub",
    ]
    by_status = selectors.filter_renewals(f(status="cancellation_requested"), on=TODAY)
    assert [r.product for r in by_status] == ["Marketing Hub Professional"]
    assert [r.product for r in selectors.filter_renewals(f(q="acme-dental"), on=TODAY)] == [
        "Sales Hub",
        "Marketing Hub Professional",
    ]
    by_deadline = selectors.filter_renewals(
        f(deadline_from=DEADLINE, deadline_to=DEADLINE), on=TODAY
    )
    assert [r.product for r in by_deadline] == ["Marketing Hub Professional"]
    assert [r.product for r in selectors.filter_renewals(f(order="mrr"), on=TODAY)] == [
        "Sales Hub",
        "Marketing Hub Professional",
    ]


def test_end_services_takes_the_client_off_the_renewals(manager, account, subscription):
    assert selectors.renewal_rows().count() == 1
    pp_services.services_end(by=manager, account=account, reason="Client left")
    assert selectors.renewal_rows().count() == 0
    with pytest.raises(DomainError) as caught:
        services.renewal_update(by=manager, subscription=subscription, status="confirmed")
    assert caught.value.code == "services_ended"


def _page_queries(**kw) -> int:
    settings = RenewalSettings.load()
    with CaptureQueriesContext(connection) as ctx:
        page = CappedPaginator(selectors.renewal_rows(settings=settings), 25).page(1)
        rows = selectors.annotate_page(page.object_list, on=TODAY)
        for row in rows:
            owner = getattr(row.account, "renewal_owner", None)
            _ = (row.account.company.domain, owner and owner.point_of_contact, row.deadline)
    return len(ctx.captured_queries)


def test_a_page_of_renewals_costs_the_same_queries_at_any_size(
    manager, company, account, subscription, point_of_contact
):
    services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.PARTNER, point_of_contact=point_of_contact
    )
    small = _page_queries()
    for i in range(12):
        other = pp_services.account_create(
            by=manager, company=company, hub_id=f"77{i:04}", name=f"P{i}", opened_on=TODAY
        )
        sub = subscribe(manager, other, product=f"Hub {i}", start_date=TODAY)
        services.renewal_owner_set(
            by=manager, account=other, mode=OwnerMode.PARTNER, point_of_contact=point_of_contact
        )
        services.renewal_update(by=manager, subscription=sub, status=RenewalStatus.RENEWED)
    assert _page_queries() == small == 2  # the capped count and the page


def test_renewals_by_month_and_status(manager, account, subscription):
    subscribe(manager, account, product="Sales Hub", renews_on=dt.date(2027, 3, 20))
    other = subscribe(manager, account, product="CMS Hub", renews_on=dt.date(2027, 1, 5))
    services.renewal_update(by=manager, subscription=other, status=RenewalStatus.RENEWED)
    rows = selectors.renewals_by_month(on=TODAY)
    assert [(r["month"], r["renewal_status"], r["count"]) for r in rows] == [
        (dt.date(2027, 1, 1), "renewed", 1),
        (dt.date(2027, 3, 1), "pending", 2),
    ]


# ---------------------------------------------------------------- services


def test_renewal_update_checks_its_input(manager, agent, subscription):
    with pytest.raises(DomainError) as caught:
        services.renewal_update(by=manager, subscription=subscription, status="maybe")
    assert (caught.value.code, caught.value.field) == ("invalid_status", "status")
    with pytest.raises(DomainError) as caught:
        services.renewal_update(by=manager, subscription=subscription, renewal_mrr="-1")
    assert caught.value.field == "renewal_mrr"
    with pytest.raises(DomainError) as caught:
        services.renewal_update(by=agent, subscription=subscription, status="confirmed")
    assert caught.value.status == 403
    renewal = services.renewal_update(by=manager, subscription=subscription, status="renewed")
    assert renewal.renews_on == RENEWS_ON and renewal.updated_by == manager
    (event,) = [e for e in timeline(subscription.account) if e.kind == "renewal.updated"]
    assert "Renewal of Marketing Hub Professional on 2027-03-01" in describe(event)


def test_owner_partner_needs_an_active_agency_point_of_contact(
    manager, account, client_user, point_of_contact
):
    with pytest.raises(DomainError) as caught:
        services.renewal_owner_set(by=manager, account=account, mode=OwnerMode.PARTNER)
    assert (caught.value.code, caught.value.field) == (
        "point_of_contact_required",
        "point_of_contact",
    )
    with pytest.raises(DomainError) as caught:
        services.renewal_owner_set(
            by=manager, account=account, mode=OwnerMode.PARTNER, point_of_contact=client_user
        )
    assert caught.value.code == "invalid_user"
    point_of_contact.is_active = False
    point_of_contact.save()
    with pytest.raises(DomainError):
        services.renewal_owner_set(
            by=manager, account=account, mode=OwnerMode.PARTNER, point_of_contact=point_of_contact
        )


def test_owner_hubspot_needs_a_decision_maker_of_that_company(
    admin, manager, account, other_company, decision_maker
):
    with pytest.raises(DomainError) as caught:
        services.renewal_owner_set(by=manager, account=account, mode=OwnerMode.HUBSPOT)
    assert caught.value.code == "decision_maker_required"
    stranger = crm_services.contact_create(
        by=admin, first_name="Marco", email="marco@other.example", company=other_company
    )
    with pytest.raises(DomainError) as caught:
        services.renewal_owner_set(
            by=manager, account=account, mode=OwnerMode.HUBSPOT, decision_maker=stranger
        )
    assert (caught.value.code, caught.value.field) == ("invalid_decision_maker", "decision_maker")
    owner = services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.HUBSPOT, decision_maker=decision_maker
    )
    assert owner.mode == OwnerMode.HUBSPOT
    with pytest.raises(DomainError):
        services.renewal_owner_set(by=manager, account=account, mode="nobody")


def test_renewal_manager_and_settings(admin, manager, account):
    owner = services.renewal_manager_set(
        by=manager, account=account, name="Sam Renewals", email="sam@hubspot.com"
    )
    assert owner.renewal_manager_email == "sam@hubspot.com"
    with pytest.raises(DomainError) as caught:
        services.renewal_manager_set(by=manager, account=account, name="Sam", email="not-an-email")
    assert caught.value.field == "renewal_manager_email"
    with pytest.raises(DomainError) as caught:
        services.renewal_settings_update(by=manager, window_days=90)
    assert caught.value.status == 403  # settings are the admins'
    with pytest.raises(DomainError) as caught:
        services.renewal_settings_update(by=admin, reminder_days=[30, -1])
    assert caught.value.field == "reminder_days"
    settings = services.renewal_settings_update(by=admin, reminder_days=[7, 30, 7], window_days=90)
    assert (settings.reminder_days, settings.window_days) == ([30, 7], 90)


def test_team_members_one_per_role_saved_by_admins(admin, manager):
    member = services.team_member_save(
        by=admin,
        role=TeamRole.CHANNEL_ACCOUNT_MANAGER,
        name="Dana Channel",
        email="dana@hubspot.com",
        description="Plans the agency's growth with HubSpot.",
    )
    services.team_member_save(
        by=admin, role=TeamRole.CHANNEL_ACCOUNT_MANAGER, name="Dana C.", email="dana@hubspot.com"
    )
    member.refresh_from_db()
    assert (member.name, HubSpotTeamMember.objects.count()) == ("Dana C.", 1)
    with pytest.raises(DomainError) as caught:
        services.team_member_save(
            by=manager, role=TeamRole.CHANNEL_CONSULTANT, name="X", email="x@hubspot.com"
        )
    assert caught.value.status == 403
    with pytest.raises(DomainError) as caught:
        services.team_member_save(
            by=admin,
            role=TeamRole.CHANNEL_CONSULTANT,
            name="Chris",
            email="chris@hubspot.com",
            photo_url="http://example.com/a.png",
        )
    assert caught.value.field == "photo_url"
    with pytest.raises(DomainError) as caught:
        services.team_member_save(by=admin, role="ceo", name="X", email="x@hubspot.com")
    assert caught.value.field == "role"


# ---------------------------------------------------------------- alerts


class _Alert:
    def __init__(self, key, *condition):
        self.key, self.fingerprint = key, selectors.fingerprint(*condition)


def test_a_dismissed_alert_comes_back_when_its_condition_changes(manager, admin):
    alerts = [_Alert("renewal-decisions", 3), _Alert("tier-at-risk", "Gold", "2027-06-01")]
    services.alert_dismiss(by=manager, key=alerts[0].key, fingerprint=alerts[0].fingerprint)
    assert [a.key for a in selectors.visible_alerts(manager, alerts)] == ["tier-at-risk"]
    assert len(selectors.visible_alerts(admin, alerts)) == 2  # per user
    changed = [_Alert("renewal-decisions", 4), alerts[1]]
    assert len(selectors.visible_alerts(manager, changed)) == 2
    services.alert_dismiss(by=manager, key=changed[0].key, fingerprint=changed[0].fingerprint)
    assert [a.key for a in selectors.visible_alerts(manager, changed)] == ["tier-at-risk"]


def test_client_users_cannot_dismiss(client_user):
    with pytest.raises(DomainError) as caught:
        services.alert_dismiss(by=client_user, key="k", fingerprint="f")
    assert caught.value.status == 403


# ---------------------------------------------------------------- usage


def test_median_usage_across_clients(manager, company, account):
    assert selectors.median_usage() == selectors.Usage(median=None, clients=0)
    ratios = [(8, 10), (1, 4), (3, 3)]  # 0.8, 0.25, 1.0
    for i, (used, bought) in enumerate(ratios):
        other = pp_services.account_create(
            by=manager, company=company, hub_id=f"55{i}", name=f"U{i}", opened_on=TODAY
        )
        subscribe(manager, other, start_date=TODAY, seats=bought, seats_used=used)
    # A subscription without seat figures does not count.
    subscribe(manager, account, start_date=TODAY)
    assert selectors.median_usage() == selectors.Usage(median=Decimal("0.8000"), clients=3)
    # An even count: the mean of the two middle ratios; per client, seats summed.
    other = pp_services.account_create(
        by=manager, company=company, hub_id="559", name="U9", opened_on=TODAY
    )
    subscribe(manager, other, start_date=TODAY, seats=4, seats_used=1)
    subscribe(manager, other, product="Sales", start_date=TODAY, seats=6, seats_used=1)  # 0.2
    assert selectors.median_usage() == selectors.Usage(median=Decimal("0.5250"), clients=4)
    with CaptureQueriesContext(connection) as ctx:
        selectors.median_usage()
    assert len(ctx.captured_queries) == 2
    pp_services.services_end(by=manager, account=other, reason="Left")
    assert selectors.median_usage().clients == 3
