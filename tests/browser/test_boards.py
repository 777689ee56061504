"""The deal and ticket boards in a real browser, on a desktop and on a phone (390 x 844): a move
stays on the board, a stage that needs properties asks for them in a dialog with their proper
inputs (errors beside the fields), the column counts and deal totals follow, keyboard moves are
announced, and a refusal is shown on the board.

On a desktop the card is dragged; on a phone (touch, no drag and drop) its move button opens
the same dialog with a stage select."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Deal, Pipeline, Stage
from partnerdesk.tickets.models import Ticket
from tests.tickets import H, open_ticket

from .conftest import DESKTOP, MOBILE, assert_fits, sign_in

VIEWPORTS = {"desktop": DESKTOP, "phone": MOBILE}
CUSTOM = {
    "Purchased mailbox names": "info@acme-dental.com, sales@acme-dental.com",
    "Domain name": "acme-dental.com",
    "Number of licences": "5",
}


@pytest.fixture(params=VIEWPORTS, ids=list(VIEWPORTS))
def viewport(request):
    return request.param


def open_page(new_page, viewport: str) -> Page:
    if viewport == "phone":
        return new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    return new_page(viewport=DESKTOP)


def column(page: Page, stage: Stage):
    return page.locator(f'section.column[data-stage="{stage.pk}"]')


def count_of(page: Page, stage: Stage):
    return page.locator(f"#column-head-{stage.pk} [data-column-count]")


def totals_of(page: Page, stage: Stage):
    return page.locator(f"#column-head-{stage.pk}")


def no_sideways_scroll(page: Page) -> None:
    assert_fits(page, MOBILE["width"])


def choose_stage(page: Page, card, stage: Stage, viewport: str) -> None:
    """Drag the card onto the column (desktop), or open its move dialog and pick the stage."""
    if viewport == "desktop":
        card.drag_to(
            column(page, stage).locator("[data-board-cards]"), source_position={"x": 4, "y": 4}
        )
        return
    card.get_by_role("button", name=re.compile("^Move ")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    with page.expect_response(lambda r: "move=" in r.url and r.request.method == "GET"):
        dialog.get_by_label("Stage").select_option(label=stage.name)


def test_a_deal_move_asks_for_its_properties_in_the_dialog_and_stays_on_the_board(
    new_page, viewport, agent, deal
):
    pipeline = deal.pipeline
    new, won = (pipeline.stages.get(name=n) for n in ("New", "Closed Won"))
    page = open_page(new_page, viewport)
    sign_in(page, agent.email)
    board = f"/app/deals/board/{pipeline.pk}/"
    page.goto(board)
    card = page.locator(f"#deal-{deal.pk}")
    expect(column(page, new).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(card).to_contain_text("50 USD")
    expect(count_of(page, new)).to_have_text(re.compile(r"^1\b"))
    expect(totals_of(page, new)).to_contain_text("50 USD")
    if viewport == "phone":
        no_sideways_scroll(page)
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.board')).scrollSnapType"
        ).startswith("x")

    choose_stage(page, card, won, viewport)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Move “Acme mailboxes”")
    expect(dialog).to_contain_text("“Closed Won” needs this information:")
    # Each property with its own input: text on one line, the number for a number.
    domain = dialog.get_by_label("Domain name", exact=True)
    expect(domain).to_have_attribute("type", "text")
    expect(dialog.get_by_label("Number of licences")).to_have_attribute("inputmode", "decimal")
    expect(dialog.locator(".errorlist")).to_have_count(0)  # asked, not refused
    if viewport == "desktop":  # dropped: the first field it asks for has the focus
        expect(dialog.locator("[aria-required=true]").first).to_be_focused()

    # Sent empty: each error once, beside its field, in the dialog.
    dialog.get_by_role("button", name="Move").click()
    errors = dialog.locator(".errorlist")
    expect(errors).to_have_count(3)
    expect(dialog.locator(".errors-box")).to_have_count(0)
    expect(errors.first).to_contain_text("is required to enter “Closed Won”")
    expect(dialog.locator("[aria-invalid=true]").first).to_be_focused()
    if viewport == "phone":
        no_sideways_scroll(page)

    for label, value in CUSTOM.items():
        dialog.get_by_label(label, exact=True).fill(value)
    dialog.get_by_role("button", name="Move").click()

    expect(dialog).to_be_hidden()
    expect(column(page, won).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(count_of(page, won)).to_have_text(re.compile(r"^1\b"))
    expect(count_of(page, new)).to_have_text(re.compile(r"^0\b"))
    expect(totals_of(page, won)).to_contain_text("50 USD")
    expect(totals_of(page, new)).not_to_contain_text("USD")
    expect(page.locator("#board-live")).to_have_text("Moved “Acme mailboxes” to Closed Won.")
    expect(page).to_have_url(re.compile(rf"{re.escape(board)}$"))
    deal.refresh_from_db()
    assert deal.stage_id == won.pk
    assert deal.properties["number_of_licences"] == 5
    if viewport == "phone":
        no_sideways_scroll(page)


def test_a_ticket_move_asks_for_the_issue_tracker_number(new_page, viewport, agent, company):
    ticket = open_ticket(
        agent,
        "Bug Investigation",
        now=timezone.now() - H,
        company=company,
        owner=agent,
        name="Invoice 500",
    )
    pipeline = ticket.pipeline
    new, waiting = (pipeline.stages.get(name=n) for n in ("New", "Waiting For Dev Reply"))
    page = open_page(new_page, viewport)
    sign_in(page, agent.email)
    page.goto(f"/app/tickets/board/{pipeline.pk}/")
    card = page.locator(f"#ticket-{ticket.pk}")
    expect(card.locator(".card-sla")).to_contain_text(re.compile(r"due in \d+"))
    expect(card.locator(".avatar")).to_have_attribute("title", "Owner: Agent")
    expect(card.locator(".avatar [aria-hidden=true]")).to_have_text("AG")
    if viewport == "phone":
        no_sideways_scroll(page)
    # "Open a ticket" is a button of the page, not one of the pipeline tabs.
    tabs = page.get_by_role("navigation", name="Pipelines")
    expect(tabs.get_by_role("link", name="Open a ticket")).to_have_count(0)
    expect(page.get_by_role("link", name="Open a ticket")).to_have_class("button")

    choose_stage(page, card, waiting, viewport)
    dialog = page.get_by_role("dialog")
    number = dialog.get_by_label("Issue-tracker number")
    expect(number).to_have_attribute("type", "text")
    number.fill("BUG-7")
    number.press("Enter")  # submits the dialog

    expect(dialog).to_be_hidden()
    expect(column(page, waiting).locator(f"#ticket-{ticket.pk}")).to_be_visible()
    expect(count_of(page, waiting)).to_have_text(re.compile(r"^1\b"))
    expect(count_of(page, new)).to_have_text(re.compile(r"^0\b"))
    expect(page.locator("#board-live")).to_have_text(
        "Moved “Invoice 500” to Waiting For Dev Reply."
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.stage_id == waiting.pk and ticket.properties["issue_tracker_number"] == "BUG-7"


def test_keyboard_moves_are_announced(page: Page, agent, admin, deal):
    pipeline = deal.pipeline
    new, qualified, proposal = (
        pipeline.stages.get(name=n) for n in ("New", "Qualified", "Proposal Sent")
    )
    other = crm_services.deal_create(by=admin, name="Beta", pipeline=pipeline, stage=proposal)
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    sign_in(page, agent.email)
    page.goto(f"/app/deals/board/{pipeline.pk}/")
    title = page.locator(f"#deal-{deal.pk}-name")
    title.focus()

    # ] moves to the next stage at once; the focus stays on the card.
    page.keyboard.press("]")
    expect(column(page, qualified).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator("#board-live")).to_have_text("Moved “Acme mailboxes” to Qualified.")
    expect(page.locator(f"#deal-{deal.pk}-name")).to_be_focused()
    expect(count_of(page, qualified)).to_have_text(re.compile(r"^1\b"))
    expect(count_of(page, new)).to_have_text(re.compile(r"^0\b"))

    # M opens the dialog on the stage select; Escape closes it and gives the focus back.
    page.keyboard.press("m")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    select = dialog.get_by_label("Stage")
    expect(select).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#deal-{deal.pk}-name")).to_be_focused()

    # M again, choose a stage, Tab to Move and press Enter.
    page.keyboard.press("m")
    expect(dialog.get_by_label("Stage")).to_be_focused()
    with page.expect_response(lambda r: "move=" in r.url):
        dialog.get_by_label("Stage").select_option(label="Proposal Sent")
    expect(dialog.get_by_label("Stage")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(column(page, proposal).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator("#board-live")).to_have_text("Moved “Acme mailboxes” to Proposal Sent.")
    expect(page.locator(f"#deal-{deal.pk}-name")).to_be_focused()

    # The arrows go from card to card (the newest in the stage first); [ moves back a stage.
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#deal-{other.pk}-name")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator(f"#deal-{deal.pk}-name")).to_be_focused()
    page.keyboard.press("ArrowLeft")  # Qualified and New are empty: nothing to go to
    expect(page.locator(f"#deal-{deal.pk}-name")).to_be_focused()
    page.keyboard.press("[")
    expect(column(page, qualified).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator("#board-live")).to_have_text("Moved “Acme mailboxes” to Qualified.")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#deal-{other.pk}-name")).to_be_focused()
    assert Deal.objects.get(pk=deal.pk).stage_id == qualified.pk
    assert not errors, errors  # boards.js ran without an error


def test_the_boards_fit_a_360_px_phone_and_snap_by_column(new_page, agent, deal, company):
    ticket = open_ticket(
        agent, "Bug Investigation", now=timezone.now() - H, company=company, owner=agent
    )
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in(page, agent.email)
    for path in (
        f"/app/deals/board/{deal.pipeline_id}/",
        f"/app/tickets/board/{ticket.pipeline_id}/",
    ):
        page.goto(path)
        expect(page.locator("[data-board-card]").first).to_be_visible()
        assert_fits(page, 360)
        board = page.locator(".board")
        assert board.evaluate("b => getComputedStyle(b).scrollSnapType").startswith("x"), path
        assert board.evaluate("b => b.scrollWidth > b.clientWidth"), path  # it scrolls itself
        first = page.locator("section.column").first
        assert first.evaluate("c => getComputedStyle(c).scrollSnapAlign") == "start"
        assert first.evaluate("c => c.getBoundingClientRect().width") < 360


def test_a_refused_move_is_said_on_the_board(page: Page, agent, admin, company):
    website = Pipeline.objects.get(object_type="deal", name="Website Creation")
    bare = crm_services.deal_create(
        by=admin, name="Acme site", pipeline=website, company=company, amount="1200"
    )
    won = website.stages.get(name="Closed Won")
    sign_in(page, agent.email)
    page.goto(f"/app/deals/board/{website.pk}/")
    card = page.locator(f"#deal-{bare.pk}")
    card.drag_to(column(page, won).locator("[data-board-cards]"), source_position={"x": 4, "y": 4})
    error = page.locator("#board-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("To move into “Closed Won”, fill in: Line items.")
    expect(error.get_by_role("link", name="Open the deal")).to_have_attribute(
        "href", f"/app/deals/{bare.pk}/"
    )
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(column(page, won).locator(f"#deal-{bare.pk}")).to_have_count(0)
    assert Deal.objects.get(pk=bare.pk).stage.name == "New"
