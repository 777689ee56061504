"""The partner dashboard in a real browser: a manager walks every tab on a desktop and on a
phone (each tab its own URL, the back button returns to the previous tab), opens a client's
details in the side panel and its portal read-only, then ends services for one client and
sees it leave the renewals list.

Time is controlled: the live server runs in this process, so patching the one clock
(partnerdesk.core.clock.now) fixes "today" for every page and service.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from partnerdesk.core import clock
from partnerdesk.core.events import timeline
from partnerdesk.crm import services as crm_services
from partnerdesk.partner_program import services

from .conftest import DESKTOP, MOBILE, assert_fits, sign_in

TODAY = dt.date(2026, 11, 2)
TABS = [
    ("Alerts", r"/app/partner/dashboard/$", "#renewal-decisions"),
    ("Clients", r"/app/partner/dashboard/clients/$", "#clients-table"),
    ("Renewals", r"/app/partner/dashboard/renewals/$", "#renewals-table"),
    ("Partner tier", r"/app/partner/dashboard/tier/$", "#credited-tier"),
    ("HubSpot team", r"/app/partner/dashboard/team/$", "#team-channel_account_manager"),
]


@pytest.fixture
def today(monkeypatch):
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: noon)
    return TODAY


@pytest.fixture
def clients(today, manager, company, other_company):
    """Acme renews on 2027-03-01 (deadline 2027-01-15), Globex on 2027-01-10."""
    made = {}
    for name, hub_id, owner, renews_on in (
        ("Acme portal", "4417286", company, dt.date(2027, 3, 1)),
        ("Globex portal", "5500001", other_company, dt.date(2027, 1, 10)),
    ):
        account = services.account_create(
            by=manager, company=owner, hub_id=hub_id, name=name, opened_on=dt.date(2020, 1, 1)
        )
        services.subscription_create(
            by=manager,
            account=account,
            product=f"Marketing Hub Professional ({name})",
            mrr="800",
            currency="USD",
            start_date=dt.date(2024, 3, 1),
            renewal_date=renews_on,
            seats=10,
            seats_used=6,
        )
        services.relationship_add(
            by=manager, account=account, kind="managed", started_on=dt.date(2024, 1, 1)
        )
        made[name] = account
    crm_services.contact_create(
        by=manager,
        first_name="Layla",
        last_name="Hassan",
        email="layla@acme.test",
        company=company,
    )
    return made


def _walk(page: Page, *, phone: bool) -> None:
    for name, url, marker in TABS:
        tabs = page.get_by_role("navigation", name="Partner dashboard")
        tabs.get_by_role("link", name=name, exact=True).click()
        expect(page).to_have_url(re.compile(url))
        expect(page.locator(marker).first).to_be_visible()
        if phone:  # the tab fits the screen: no sideways scrolling of the page
            page.wait_for_load_state("load")
            assert_fits(page, MOBILE["width"] + 1)
    # Each tab is its own page: back returns to the previous tab.
    page.go_back()
    expect(page).to_have_url(re.compile(TABS[-2][1]))


def test_every_tab_on_desktop_and_phone(new_page, manager, clients):
    desktop = new_page(viewport=DESKTOP)
    sign_in(desktop, manager.email)
    desktop.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Partner dashboard"
    ).click()
    expect(desktop).to_have_url(re.compile(r"/app/partner/dashboard/$"))
    _walk(desktop, phone=False)
    # The renewals chart is drawn by the vendored Chart.js.
    desktop.goto("/app/partner/dashboard/renewals/")
    expect(desktop.locator("figure[data-chart-drawn] canvas").first).to_be_visible()

    phone = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    sign_in(phone, manager.email)
    phone.goto("/app/partner/dashboard/")
    _walk(phone, phone=True)


def test_client_portal_view_then_end_services(page: Page, manager, company, clients):
    sign_in(page, manager.email)
    page.goto("/app/partner/dashboard/renewals/")
    table = page.locator("#renewals-table")
    expect(table).to_contain_text("Acme portal")
    expect(table).to_contain_text("15 Jan 2027")
    expect(table).to_contain_text("74 days")

    page.get_by_role("navigation", name="Partner dashboard").get_by_role(
        "link", name="Clients", exact=True
    ).click()
    acme = page.locator("#clients-table tr[data-client='4417286']")
    expect(acme).to_contain_text("6 of 10 seats")

    # Client details open in the side panel, without leaving the tab.
    acme.get_by_role("link", name="Client details").click()
    panel = page.locator("#panel")
    expect(panel).to_contain_text("Client details: Acme portal")
    expect(panel).to_contain_text("Layla Hassan")
    expect(page).to_have_url(re.compile(r"/clients/$"))

    # The client's portal, read-only, and the visit on the company's timeline.
    acme.get_by_role("link", name="Client's portal").click()
    expect(page.locator("#read-only-banner")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(company.name)
    assert page.locator("main form").count() == 0
    assert any(e.kind == "client.portal_viewed" for e in timeline(company))
    page.go_back()

    # End services for Acme: a reason, a confirmation, the browser's confirm dialog.
    acme = page.locator("#clients-table tr[data-client='4417286']")
    acme.get_by_role("link", name="End services").click()
    page.get_by_label("Reason").fill("Moved in house")
    page.get_by_label(re.compile("I understand")).check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End services").click()
    expect(page.get_by_text("it left the renewals list")).to_be_visible()

    page.get_by_role("navigation", name="Partner dashboard").get_by_role(
        "link", name="Renewals", exact=True
    ).click()
    table = page.locator("#renewals-table")
    expect(table).to_contain_text("Globex portal")
    expect(table).not_to_contain_text("Acme portal")
    clients["Acme portal"].refresh_from_db()
    assert clients["Acme portal"].services_ended_on == TODAY
