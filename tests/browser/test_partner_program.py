"""The partner program in a real browser: a manager records a qualifying activity on a client's
HubSpot account, sees its managed points and the forecast change, then ends services for the
client and sees the managed relationship end (and its points go).

Time is controlled: the live server runs in this process, so patching the one clock
(partnerdesk.core.clock.now) fixes "today" for every page and service.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from partnerdesk.core import clock
from partnerdesk.partner_program import services
from partnerdesk.partner_program.defaults import install_partner_program_defaults
from partnerdesk.partner_program.models import ActivityType, EndReason, Relationship

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone

TODAY = dt.date(2025, 3, 14)


@pytest.fixture
def today(monkeypatch):
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: noon)
    return TODAY


@pytest.fixture
def account(today, manager, agent, company):
    """1,000 USD of MRR, the agent correctly connected, no qualifying activity yet."""
    if not ActivityType.objects.filter(key="marketing-blog-post").exists():
        install_partner_program_defaults()  # a flushed test database
    account = services.account_create(
        by=manager,
        company=company,
        hub_id="4417286",
        name="Acme HubSpot",
        opened_on=dt.date(2020, 1, 1),
    )
    services.subscription_create(
        by=manager,
        account=account,
        product="Marketing Hub Professional",
        mrr="1000",
        currency="USD",
        start_date=dt.date(2024, 1, 1),
    )
    services.connection_confirm(
        by=manager,
        account=account,
        employee=agent,
        in_partner_account=True,
        client_assigned=True,
        in_client_account=True,
    )
    return account


def test_manager_records_an_activity_then_ends_services(page: Page, manager, agent, account):
    sign_in(page, manager.email)

    # The staff navigation leads to the program; nothing is managed yet.
    open_nav(page).get_by_role("link", name="Partner program").click()
    expect(page).to_have_url(re.compile(r"/app/partner/$"))
    expect(page.locator("#managed-points")).to_have_text("0.00")
    forecast_before = page.locator("#forecast-managed").inner_text()
    # The points chart is loaded after the page and drawn by the vendored Chart.js.
    expect(page.locator("#points-chart figure[data-chart-drawn] canvas")).to_be_visible()

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name="Acme HubSpot").click()
    expect(page.locator("#account-managed")).to_have_text("0.00")
    expect(page.locator("[data-condition=recent_activity]")).to_contain_text(
        "No qualifying activity"
    )

    # The manager records the agent's blog post of two days ago.
    form = page.locator("#form-record_activity")
    form.locator("summary").click()
    form.get_by_label("Employee").select_option(label=agent.display_name)
    form.get_by_label("Activity").select_option(label="Marketing Hub · Published a blog post")
    form.get_by_label("Date").fill("2025-03-12")
    form.get_by_role("button", name="Record activity").click()
    expect(page.get_by_text("Qualifying activity recorded.")).to_be_visible()
    expect(page.locator("#account-managed")).to_have_text("10.00")
    expect(page.locator("[data-condition=recent_activity]")).to_contain_text("Met:")
    managed_row = page.locator("#relationships tr[data-kind=managed]")
    expect(managed_row.locator(".until")).to_have_text("ongoing")

    # The standing counts the managed points and the forecast moves with them.
    page.get_by_role("link", name="Standing").click()
    expect(page.locator("#managed-points")).to_have_text("10.00")
    expect(page.locator("#forecast-managed")).not_to_have_text(forecast_before)

    # End services: a reason and a confirmation (and the browser's confirm dialog).
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name="Acme HubSpot").click()
    page.get_by_role("link", name="End services").click()
    page.get_by_label("Reason").fill("Contract not renewed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End services").click()
    expect(page.locator(".errorlist")).to_be_visible()  # not confirmed: nothing ends
    page.get_by_label("Reason").fill("Contract not renewed")
    page.get_by_label(re.compile("I understand")).check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End services").click()

    expect(
        page.get_by_text("Services ended: the managed relationship ended today.")
    ).to_be_visible()
    expect(managed_row.locator(".until")).to_have_text("14 Mar 2025")
    expect(managed_row).to_contain_text("Services ended: Contract not renewed")
    expect(page.locator("#account-managed")).to_have_text("0.00")
    expect(page.locator("#services-ended")).to_be_visible()
    period = Relationship.objects.get(account=account, kind="managed")
    assert (period.ended_on, period.end_reason) == (TODAY, EndReason.SERVICES_ENDED)
