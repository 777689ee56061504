"""The partner dashboard's pages (issue 12): every tab renders for managers and admins, the
filters, sorts and CSV exports agree, end services takes the client off the renewals, the
client's portal view is read-only and logged, and the forms call the services."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from partnerdesk.accounts.models import Role
from partnerdesk.core.events import describe, timeline
from partnerdesk.dashboard import selectors, services
from partnerdesk.dashboard.models import (
    AlertDismissal,
    OwnerMode,
    Renewal,
    RenewalStatus,
    TeamRole,
)
from partnerdesk.partner_program import services as pp_services
from partnerdesk.partner_program.events import PartnerEvent
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import TaskCategory
from tests.conftest import login, make_user

from .conftest import TODAY, subscribe

pytestmark = pytest.mark.django_db

TABS = [
    "dashboard:alerts",
    "dashboard:clients",
    "dashboard:renewals",
    "dashboard:renewals_all",
    "dashboard:tier",
    "dashboard:team",
]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def world(manager, company, other_company, set_today):
    """Two clients: Acme (renews 2027-03-01) and Globex (renews 2027-06-01, outside the
    window), plus Initech renewing in December."""
    acme = pp_services.account_create(
        by=manager,
        company=company,
        hub_id="4417286",
        name="Acme portal",
        opened_on=dt.date(2020, 1, 1),
    )
    subscribe(
        manager, acme, product="Marketing Hub Professional", mrr="800", seats=10, seats_used=7
    )
    pp_services.relationship_add(
        by=manager, account=acme, kind="managed", started_on=dt.date(2024, 1, 1)
    )
    globex = pp_services.account_create(
        by=manager,
        company=other_company,
        hub_id="5500001",
        name="Globex portal",
        opened_on=dt.date(2020, 1, 1),
    )
    subscribe(
        manager,
        globex,
        product="Sales Hub Starter",
        mrr="90",
        currency="USD",
        renews_on=dt.date(2027, 6, 1),
    )
    pp_services.relationship_add(
        by=manager, account=globex, kind="sourced", started_on=dt.date(2024, 1, 1)
    )
    initech = pp_services.account_create(
        by=manager,
        company=other_company,
        hub_id="5500002",
        name="Initech portal",
        opened_on=dt.date(2020, 1, 1),
    )
    subscribe(
        manager, initech, product="Service Hub Pro", mrr="300", renews_on=dt.date(2026, 12, 20)
    )
    return {"acme": acme, "globex": globex, "initech": initech}


@pytest.mark.parametrize("name", TABS)
def test_every_tab_renders_for_managers_and_admins(name, world, manager, admin):
    for user in (manager, admin):
        response = login(user).get(reverse(name))
        assert response.status_code == 200, (name, user)
        assert b"Partner dashboard" in response.content


@pytest.mark.parametrize("name", [*TABS, "dashboard:clients_export", "dashboard:renewals_export"])
def test_agents_and_clients_get_the_404_of_a_missing_page(name, world, agent, client_user):
    for user in (agent, client_user):
        assert login(user).get(reverse(name)).status_code == 404


def test_the_navigation_links_the_dashboard_for_managers_only(world, manager, agent):
    url = reverse("dashboard:alerts").encode()
    assert url in login(manager).get(reverse("dashboard:home")).content
    assert url not in login(agent).get(reverse("dashboard:home")).content


def test_renewals_to_act_on_show_the_deadline_and_days_left(world, manager):
    body = login(manager).get(reverse("dashboard:renewals")).content.decode()
    assert "Acme portal" in body and "Initech portal" in body
    assert "Globex portal" not in body  # 2027-06-01 is past the 120-day window
    assert "15 Jan 2027" in body  # 2027-03-01 − 45 days
    assert "urgency-later" in body and "74 days" in body  # from 2 November 2026
    assert "urgency-urgent" in body and "3 days" in body  # Initech: deadline 5 November
    assert body.index("Initech portal") < body.index("Acme portal")  # soonest deadline first
    all_body = login(manager).get(reverse("dashboard:renewals_all")).content.decode()
    assert "Globex portal" in all_body


def test_renewal_filters_and_the_export_list_the_same_rows(world, manager):
    client = login(manager)
    params = {"q": "acme", "sort": "client"}
    body = client.get(reverse("dashboard:renewals_all"), params).content.decode()
    assert "Acme portal" in body and "Initech portal" not in body
    rows = _csv(client.get(reverse("dashboard:renewals_all_export"), params))
    assert rows[0][:2] == ["Client", "Hub ID"]
    assert [r[0] for r in rows[1:]] == ["Acme portal"]
    assert rows[1][6] == "2027-01-15"
    everything = _csv(client.get(reverse("dashboard:renewals_all_export"), {"sort": "client"}))
    assert [r[0] for r in everything[1:]] == ["Acme portal", "Globex portal", "Initech portal"]
    window = _csv(client.get(reverse("dashboard:renewals_export")))
    assert sorted(r[0] for r in window[1:]) == ["Acme portal", "Initech portal"]


def test_clients_tab_filters_sorts_and_exports_the_same_clients(world, manager):
    client = login(manager)
    body = client.get(reverse("dashboard:clients"), {"relationship": "managed"}).content.decode()
    assert "Acme portal" in body and "Globex portal" not in body
    assert "7 of 10 seats" in body
    assert "800.00 USD" in body
    rows = _csv(client.get(reverse("dashboard:clients_export"), {"relationship": "managed"}))
    assert [r[0] for r in rows[1:]] == ["Acme portal"]
    assert rows[1][5] == "Managed"
    by_mrr = _csv(client.get(reverse("dashboard:clients_export"), {"sort": "-mrr"}))
    assert [r[0] for r in by_mrr[1:]] == ["Acme portal", "Initech portal", "Globex portal"]
    page = client.get(reverse("dashboard:clients"), {"sort": "-mrr"}).content.decode()
    assert page.index("Acme portal") < page.index("Initech portal") < page.index("Globex portal")


def test_client_details_panel_as_a_page_and_as_a_fragment(world, manager):
    client = login(manager)
    url = reverse("dashboard:client_details", args=[world["acme"].pk])
    page = client.get(url)
    assert page.status_code == 200 and b"<html" in page.content
    assert b"Marketing Hub Professional" in page.content
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "panel"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    assert b'id="panel"' in fragment.content
    assert client.get(reverse("dashboard:client_details", args=[999999])).status_code == 404


def test_end_services_asks_first_then_takes_the_client_off_the_renewals(world, manager):
    client = login(manager)
    acme = world["acme"]
    url = reverse("dashboard:client_end_services", args=[acme.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": "Moved in house"})  # no confirmation
    assert refused.status_code == 400
    acme.refresh_from_db()
    assert acme.services_ended_on is None
    done = client.post(url, {"reason": "Moved in house", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("dashboard:clients")
    acme.refresh_from_db()
    assert acme.services_ended_on == TODAY
    assert b"it left the renewals list" in client.get(done["Location"]).content
    body = client.get(reverse("dashboard:renewals_all")).content.decode()
    assert "Acme portal" not in body
    assert "Acme portal" not in client.get(reverse("dashboard:clients")).content.decode()
    ended = client.get(reverse("dashboard:clients"), {"services": "ended"}).content.decode()
    assert "Acme portal" in ended
    (entry,) = [e for e in timeline(acme) if e.kind == PartnerEvent.SERVICES_ENDED]
    assert entry.data["reason"] == "Moved in house" and entry.actor == manager


def test_the_clients_portal_view_is_read_only_and_logged(world, manager, company, client_user):
    category = TaskCategory.objects.filter(is_active=True, is_consultation=False).first()
    portal_services.task_submit(by=client_user, title="New landing page", category=category)
    client = login(manager)
    response = client.get(reverse("dashboard:client_portal", args=[world["acme"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "New landing page" in body and "read-only" in body.lower()
    main = body[body.index('id="main"') :]
    assert "<form" not in main, "the portal view has no form"
    assert "/portal/" not in main, "no link into pages only the client opens"
    entries = [e for e in timeline(company) if e.kind == "client.portal_viewed"]
    assert len(entries) == 1 and entries[0].actor == manager
    assert "read-only" in describe(entries[0])


def test_renewal_details_record_the_decision_the_owner_and_the_manager(
    world, manager, decision_maker, partner_user
):
    client = login(manager)
    sub = world["acme"].subscriptions.get()
    url = reverse("dashboard:renewal_details", args=[sub.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"action": "renewal", "status": "confirmed", "renewal_mrr": "950"})
    assert r.status_code == 302
    renewal = Renewal.objects.get(subscription=sub)
    assert (renewal.status, str(renewal.renewal_mrr)) == (RenewalStatus.CONFIRMED, "950.00")
    refused = client.post(url, {"action": "owner", "mode": "hubspot"})
    assert refused.status_code == 400 and b"decision maker" in refused.content
    r = client.post(
        url,
        {
            "action": "owner",
            "mode": "hubspot",
            "decision_maker": decision_maker.pk,
            "copied_user": partner_user.pk,
        },
    )
    assert r.status_code == 302
    owner = world["acme"].__class__.objects.get(pk=world["acme"].pk).renewal_owner
    assert (owner.mode, owner.decision_maker, owner.copied_user) == (
        OwnerMode.HUBSPOT,
        decision_maker,
        partner_user,
    )
    r = client.post(
        url,
        {
            "action": "manager",
            "renewal_manager_name": "Rita",
            "renewal_manager_email": "rita@hubspot.com",
        },
    )
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert "mailto:rita@hubspot.com" in page
    body = client.get(reverse("dashboard:renewals"), {"status": "confirmed"}).content.decode()
    assert "Acme portal" in body and "Initech portal" not in body


def test_a_renewal_of_a_client_no_longer_served_is_a_404(world, manager):
    pp_services.services_end(by=manager, account=world["acme"], reason="Gone")
    sub = world["acme"].subscriptions.get()
    url = reverse("dashboard:renewal_details", args=[sub.pk])
    assert login(manager).get(url).status_code == 404


def test_alerts_show_the_decisions_and_come_back_when_the_condition_changes(
    world, manager, admin, agent
):
    cert = pp_services.certification_add(
        by=admin,
        employee=agent,
        name="Inbound Sales",
        issued_on=dt.date(2025, 1, 1),
        expires_on=TODAY + dt.timedelta(days=10),
    )
    client = login(manager)
    body = client.get(reverse("dashboard:alerts")).content.decode()
    assert 'id="renewal-decisions"' in body
    assert "Inbound Sales" in body
    key = re.search(r'name="key" value="(certification:\d+)"', body).group(1)
    fp = re.search(
        rf'value="{key}"><input type="hidden" name="fingerprint" value="(\w+)"', body
    ).group(1)
    r = client.post(reverse("dashboard:alert_dismiss"), {"key": key, "fingerprint": fp})
    assert r.status_code == 302
    assert "Inbound Sales" not in client.get(reverse("dashboard:alerts")).content.decode()
    assert "Inbound Sales" in login(admin).get(reverse("dashboard:alerts")).content.decode()
    assert AlertDismissal.objects.filter(user=manager).count() == 1
    # the condition changes (a new expiry date): the alert is back
    pp_services.certification_update(
        by=admin, certification=cert, expires_on=TODAY + dt.timedelta(days=20)
    )
    assert "Inbound Sales" in client.get(reverse("dashboard:alerts")).content.decode()


def test_alert_decision_count_counts_pending_renewals_in_the_window(world, manager):
    body = login(manager).get(reverse("dashboard:alerts")).content.decode()
    section = body[body.index('id="renewal-decisions"') :]
    assert '<div class="num">2</div>' in section[:400]


def test_partner_tier_tab_shows_standing_usage_and_certified_status(world, manager):
    body = login(manager).get(reverse("dashboard:tier")).content.decode()
    for marker in (
        "credited-tier",
        "live-standing",
        "forecast",
        "median-usage",
        "partner-certified",
        reverse("partner_program:points_history"),
    ):
        assert marker in body
    assert "70%" in body  # Acme uses 7 of 10 seats: the only client with usage figures


def test_hubspot_team_admins_edit_managers_read(world, manager, admin):
    url = reverse("dashboard:team_edit", args=[TeamRole.CHANNEL_ACCOUNT_MANAGER])
    assert login(manager).get(url).status_code == 403
    client = login(admin)
    bad = client.post(url, {"name": "Sam", "email": "not-an-email"})
    assert bad.status_code == 400
    ok = client.post(
        url,
        {
            "name": "Sam Lee",
            "email": "sam@hubspot.com",
            "photo_url": "https://cdn.example.com/sam.png",
            "description": "Plans our quarter",
        },
    )
    assert ok.status_code == 302
    body = login(manager).get(reverse("dashboard:team")).content.decode()
    assert "mailto:sam@hubspot.com" in body and "Plans our quarter" in body
    assert "cdn.example.com" not in body  # the CSP allows our own images only: initials
    assert ">SL<" in body
    assert client.get(reverse("dashboard:team_edit", args=["nobody"])).status_code == 404


def test_the_renewals_chart_counts_renewals_by_month_and_status(world, manager):
    services.renewal_update(
        by=manager,
        subscription=world["initech"].subscriptions.get(),
        status=RenewalStatus.RENEWED,
    )
    body = login(manager).get(reverse("dashboard:renewals")).content.decode()
    assert 'id="renewals-by-month"' in body
    assert "Renewals starting each month, by status" in body


def test_a_new_user_role_mix_sees_only_what_it_may(world, db):
    other_manager = make_user("m2@agency.test", Role.MANAGER)
    assert login(other_manager).get(reverse("dashboard:clients")).status_code == 200


def test_renewal_settings_admins_change_managers_read(world, manager, admin, agent):
    url = reverse("dashboard:renewal_settings")
    assert login(manager).get(url).status_code == 200
    assert login(manager).post(url, {"window_days": "30"}).status_code == 403
    client = login(admin)
    bad = client.post(url, {"window_days": "30", "reminder_days": "soon", "default_owner": "x"})
    assert bad.status_code == 400
    ok = client.post(
        url,
        {
            "window_days": "60",
            "reminder_days": "21, 7",
            "default_owner": "hubspot",
            "default_point_of_contact": agent.pk,
        },
    )
    assert ok.status_code == 302
    # the window shrank to 60 days: only Initech (renews 20 December) is left to act on
    body = client.get(reverse("dashboard:renewals")).content.decode()
    assert "Initech portal" in body and "Acme portal" not in body
    rows = _csv(client.get(reverse("dashboard:renewals_export")))
    assert [r[0] for r in rows[1:]] == ["Initech portal"]
    assert rows[1][3] == "HubSpot"  # the default owner in force


def test_the_renewals_page_and_its_export_list_the_same_rows_in_the_same_order(world, manager):
    client = login(manager)
    for params in ({}, {"sort": "-deadline"}, {"sort": "client"}, {"status": "pending"}):
        body = client.get(reverse("dashboard:renewals_all"), params).content.decode()
        shown = re.findall(r'<span class="muted small">([^<]+ portal)</span></td>', body)
        exported = [
            r[0] for r in _csv(client.get(reverse("dashboard:renewals_all_export"), params))[1:]
        ]
        assert shown == exported, params


def test_a_filtered_htmx_update_carries_the_filters_to_the_export_link(world, manager):
    response = login(manager).get(
        reverse("dashboard:clients"),
        {"relationship": "managed"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="results"' in body
    assert reverse("dashboard:clients_export") + "?relationship=managed" in body


def test_a_managed_relationship_without_activity_is_an_alert_linking_to_its_account(world, manager):
    # Acme has been managed since 2024 without a qualifying activity: it is about to lapse.
    body = login(manager).get(reverse("dashboard:alerts")).content.decode()
    assert "No qualifying activity for" in body and "Acme portal" in body
    assert reverse("partner_program:account_detail", args=[world["acme"].pk]) in body


def test_an_accreditation_evaluation_due_is_an_alert_linking_to_the_accreditation(world, admin):
    kind = pp_services.accreditation_type_create(by=admin, name="Dashboard test accreditation")
    application = pp_services.accreditation_apply(
        by=admin, accreditation_type=kind, applied_on=dt.date(2026, 4, 1)
    )
    held = pp_services.accreditation_issue(
        by=admin, accreditation=application, issued_on=dt.date(2026, 5, 15)
    )
    assert held.next_evaluation_on == dt.date(2026, 11, 15)
    body = login(admin).get(reverse("dashboard:alerts")).content.decode()
    assert "Accreditation evaluation on" in body and "Dashboard test accreditation" in body
    assert reverse("partner_program:accreditation_detail", args=[held.pk]) in body


def test_the_mrr_chart_sums_the_clients_mrr_in_usd_at_each_month_end(world, manager):
    client = login(manager)
    assert (
        reverse("dashboard:mrr_history").encode()
        in client.get(reverse("dashboard:clients")).content
    )
    fragment = client.get(reverse("dashboard:mrr_history"), headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and 'id="mrr-by-month"' in body
    # today (2 November 2026): 800 + 90 + 300 USD; every subscription started in March 2024
    assert '"values": [' in body and "1190.0]" in body
    assert selectors.usd_mrr_on(dt.date(2024, 1, 31)) == 0
    assert selectors.usd_mrr_on(TODAY) == 1190
