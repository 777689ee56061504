"""An agent records a sale end to end: company, deal, line item, stage move with its rules."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.core.events import timeline
from partnerdesk.crm.models import Company, Deal

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone

MISSING = ["Purchased mailbox names", "Domain name", "Number of licences", "Line items"]
CUSTOM = {
    "Purchased mailbox names": "info@nilemail.example, sales@nilemail.example",
    "Domain name": "nilemail.example",
    "Number of licences": "2",
}


def move_errors(page: Page):
    """Every error message the move form shows (summary box and per-field messages)."""
    return page.locator("#move-form").locator(".errors-box, .errorlist")


def test_agent_creates_company_and_deal_then_closes_it_won(page: Page, agent):
    sign_in(page, agent.email)

    # Company through the form.
    open_nav(page).get_by_role("link", name="Companies").click()
    page.get_by_role("link", name="New company").click()
    page.get_by_label("Name", exact=True).fill("Nile Mail Ltd")
    page.get_by_label("Primary domain").fill("nilemail.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nile Mail Ltd")
    expect(page.get_by_text("Company created.")).to_be_visible()
    company = Company.objects.get(name="Nile Mail Ltd")
    assert company.domain == "nilemail.example"

    # Deal for it in the Email Subscription pipeline.
    open_nav(page).get_by_role("link", name="Deals").click()
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Name", exact=True).fill("Nile mailboxes")
    page.get_by_label("Pipeline").select_option(label="Email Subscription")
    page.get_by_label("Company", exact=True).select_option(label="Nile Mail Ltd")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Deal created.")).to_be_visible()
    stage_badge = page.locator("#deal-stage")
    expect(stage_badge).to_have_text("New")
    deal = Deal.objects.get(name="Nile mailboxes")
    assert deal.company_id == company.pk
    assert deal.pipeline.name == "Email Subscription"
    expect(page).to_have_url(re.compile(rf"/app/deals/{deal.pk}/$"))

    # Moving to Closed Won without the required data is refused, naming everything missing.
    move_form = page.locator("#move-form")
    move_form.get_by_label("Stage").select_option(label="Email Subscription — Closed Won")
    move_form.get_by_role("button", name="Move").click()
    errors = move_errors(page)
    expect(
        errors.first, "the refused move must show its errors in the move form (HTTP 422 via htmx)"
    ).to_be_visible()
    for label in MISSING:
        expect(errors.filter(has_text=label)).not_to_have_count(0)
    expect(stage_badge).to_have_text("New")
    # The form now asks for the missing custom properties right there.
    for label in CUSTOM:
        expect(page.locator("#move-form").get_by_label(label, exact=True)).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage.name == "New"

    # Add the line item.
    line_items = page.locator("#line-items")
    line_items.get_by_label("Product").select_option(label="Business Email 10 GB")
    line_items.get_by_label("Quantity").fill("2")
    line_items.get_by_role("button", name="Add line item").click()
    expect(page.get_by_text("Line item added.")).to_be_visible()
    expect(line_items.get_by_role("cell", name="Business Email 10 GB")).to_be_visible()

    # Try again: only the custom properties are still asked for; fill them and move.
    move_form = page.locator("#move-form")
    move_form.get_by_label("Stage").select_option(label="Email Subscription — Closed Won")
    move_form.get_by_role("button", name="Move").click()
    # Wait for the refusal to be swapped in before typing, or the swap would wipe the input.
    expect(move_errors(page).first).to_be_visible()
    move_form = page.locator("#move-form")
    for label, value in CUSTOM.items():
        move_form.get_by_label(label, exact=True).fill(value)
    expect(move_errors(page).filter(has_text="Line items")).to_have_count(0)
    move_form.get_by_role("button", name="Move").click()

    expect(stage_badge).to_have_text("Closed Won")
    expect(page.get_by_text("Moved to Closed Won.")).to_be_visible()
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Stage moved from New to Closed Won")

    deal.refresh_from_db()
    assert deal.stage.name == "Closed Won"
    assert deal.closed_at is not None
    assert deal.properties["domain_name"] == "nilemail.example"
    assert deal.properties["purchased_mailbox_names"] == CUSTOM["Purchased mailbox names"]
    assert deal.properties["number_of_licences"] == 2
    assert [(li.product.sku, li.quantity) for li in deal.line_items.all()] == [("email-10gb", 2)]
    moves = [e for e in timeline(deal) if e.kind == "deal.stage_changed"]
    assert len(moves) == 1
    assert moves[0].data["to_stage"] == "Closed Won"
    assert moves[0].actor_id == agent.pk
