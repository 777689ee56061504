"""A ticket from a won website deal, through the board: a move that asks for a property, pause,
breach, cause of delay.

Time is controlled: the live server runs in this process, so patching the one clock
(partnerdesk.core.clock.now) moves "now" for every page and service.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from partnerdesk.core import clock
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.tickets.models import Ticket

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)  # a Sunday


@pytest.fixture
def now(monkeypatch):
    """now.set(datetime) moves the application's clock."""

    class Clock:
        value = T0

        def set(self, value):
            self.value = value

    controlled = Clock()
    monkeypatch.setattr(clock, "now", lambda: controlled.value)
    return controlled


def test_ticket_from_deal_through_board_pause_and_breach(page: Page, agent, admin, company, now):
    won = Pipeline.objects.get(object_type="deal", name="Website Creation").stages.get(
        name="Closed Won"
    )
    deal = crm_services.deal_create(
        by=admin, name="Acme website", pipeline=won.pipeline, company=company
    )
    sign_in(page, agent.email)

    # Open the ticket from the deal page; the request types are listed, the form is prefilled.
    page.goto(f"/app/deals/{deal.pk}/")
    page.locator("#deal-tickets").get_by_role("link", name="Open a ticket").click()
    page.get_by_role("link", name="Website Creation", exact=True).click()
    expect(page.get_by_label("Company", exact=True)).to_have_value(str(company.pk))
    page.get_by_role("button", name="Open the ticket").click()

    ticket = Ticket.objects.get(deal=deal)
    expect(page).to_have_url(re.compile(rf"/app/tickets/{ticket.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Website Creation For acme-dental.com")
    sla = page.locator("#sla")
    expect(sla).to_contain_text("On track")
    expect(sla).to_contain_text(re.compile(r"\b6 Dec 2026, 8:00 AM"))  # 14 calendar days

    # The deal page lists the ticket with its stage.
    page.goto(f"/app/deals/{deal.pk}/")
    expect(page.locator("#deal-tickets")).to_contain_text("Website Creation For acme-dental.com")
    expect(page.locator("#deal-tickets")).to_contain_text("New")

    # On the board: delivering needs the website domain, so the card's move dialog asks for it
    # when that stage is chosen; cancelled, the ticket stays where it was.
    page.goto(f"/app/tickets/board/{ticket.pipeline_id}/")
    tile = page.locator(f"#ticket-{ticket.pk}")
    expect(page.locator(f'[data-stage="{ticket.stage_id}"]')).to_contain_text(ticket.name)
    tile.get_by_role("button", name=f"Move “{ticket.name}”").click()
    dialog = page.get_by_role("dialog")
    with page.expect_response(lambda r: "move=" in r.url):
        dialog.get_by_label("Stage").select_option(label="Website Delivered")
    expect(dialog).to_contain_text("“Website Delivered” needs this information:")
    expect(dialog.get_by_label("Website domain")).to_be_visible()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f'[data-stage="{ticket.stage_id}"]')).to_contain_text(ticket.name)
    page.goto(f"/app/tickets/{ticket.pk}/")
    expect(page.locator("#ticket-stage")).to_have_text("New")

    # Waiting on the customer pauses the clock ...
    now.set(T0 + dt.timedelta(days=1))
    move = page.locator("#move-form")
    move.get_by_label("Stage").select_option(label="On Hold (Customer End)")
    move.get_by_role("button", name="Move").click()
    expect(page.locator("#ticket-stage")).to_have_text("On Hold (Customer End)")
    expect(page.locator("#ticket-sla")).to_contain_text("Paused")

    # ... and two days later work resumes: the due time moved two days later.
    now.set(T0 + dt.timedelta(days=3))
    move = page.locator("#move-form")
    move.get_by_label("Stage").select_option(label="Working On The Website")
    move.get_by_role("button", name="Move").click()
    expect(page.locator("#ticket-stage")).to_have_text("Working On The Website")
    expect(page.locator("#ticket-sla")).to_contain_text("On track")
    expect(page.locator("#sla")).to_contain_text(re.compile(r"\b8 Dec 2026, 8:00 AM"))

    # Less than 25 % of the target left: due soon.
    now.set(dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC))
    page.reload()
    expect(page.locator("#ticket-sla")).to_contain_text("Due soon")

    # Past the due time: breached, and flagged until a cause of delay is recorded.
    now.set(dt.datetime(2026, 12, 9, 8, 0, tzinfo=dt.UTC))
    page.reload()
    expect(page.locator("#ticket-sla")).to_contain_text("Breached")
    expect(page.locator("#cause-flag")).to_be_visible()
    page.goto("/app/tickets/?breached_without_cause=1")
    expect(page.locator("#results")).to_contain_text(ticket.name)

    page.goto(f"/app/tickets/{ticket.pk}/")
    notes = page.locator("#notes")
    notes.get_by_label("Note", exact=True).fill("The customer sent the content a week late.")
    notes.get_by_label("This note explains the cause of a delay").check()
    notes.get_by_role("button", name="Add note").click()
    expect(page.locator("#cause-flag")).to_have_count(0)
    page.goto("/app/tickets/?breached_without_cause=1")
    expect(page.locator("#results")).not_to_contain_text(ticket.name)

    # Delivered with its domain: closed, the resolution target recorded as missed.
    page.goto(f"/app/tickets/{ticket.pk}/")
    move = page.locator("#move-form")
    move.get_by_label("Stage").select_option(label="Website Delivered")
    move.get_by_role("button", name="Move").click()
    page.locator("#move-form").get_by_label("Website domain").fill("acme-dental.com")
    page.locator("#move-form").get_by_role("button", name="Move").click()
    expect(page.locator("#ticket-stage")).to_have_text("Website Delivered")
    expect(page.locator("#sla")).to_contain_text("Missed")
    ticket.refresh_from_db()
    assert ticket.closed_at == dt.datetime(2026, 12, 9, 8, 0, tzinfo=dt.UTC)
    assert ticket.resolution_met is False
