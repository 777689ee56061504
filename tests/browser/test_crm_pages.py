"""Staff CRM pages: form errors, live list filtering, the deal board."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.crm import services
from partnerdesk.crm.models import Company, Deal, Stage

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone


def test_company_form_shows_bad_domain_beside_the_field(page: Page, agent):
    sign_in(page, agent.email)
    page.goto("/app/companies/new/")
    page.get_by_label("Name", exact=True).fill("Bad Domain Co")
    page.get_by_label("Primary domain").fill("not a domain")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    domain_row = page.locator("#row-domain")
    expect(domain_row).to_have_class(re.compile(r"\bhas-error\b"))
    expect(domain_row.locator(".errorlist")).to_contain_text(
        "“not a domain” is not a domain name such as example.com."
    )
    # What the person typed is kept, so they can correct it.
    expect(page.get_by_label("Name", exact=True)).to_have_value("Bad Domain Co")
    expect(page.get_by_label("Primary domain")).to_have_value("not a domain")
    assert not Company.objects.filter(name="Bad Domain Co").exists()


def test_company_search_filters_the_table_without_a_full_reload(page: Page, agent, admin):
    for name, domain in [
        ("Zephyr Bakery", "zephyr-bakery.example"),
        ("Acme Dental", "acme-dental.com"),
        ("Other Co", "other.example"),
    ]:
        services.company_create(by=admin, name=name, domain=domain)
    sign_in(page, agent.email)
    page.goto("/app/companies/")
    results = page.locator("#results").first
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(3)

    # A marker on window survives htmx swaps but not a page load.
    page.evaluate("window.__noReload = true")
    with page.expect_response(
        lambda r: (
            "/app/companies/" in r.url
            and "q=zeph" in r.url
            and r.request.headers.get("hx-request") == "true"
        )
    ):
        page.get_by_label("Search").press_sequentially("zeph", delay=30)

    expect(page).to_have_url(re.compile(r"/app/companies/\?(.*&)?q=zeph(&|$)"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zephyr Bakery")
    expect(results).not_to_contain_text("Acme Dental")
    expect(results).not_to_contain_text("Other Co")
    assert page.evaluate("window.__noReload") is True
    expect(page.get_by_role("heading", level=1)).to_have_text("Companies")  # page chrome kept

    # A term nothing matches says so.
    page.get_by_label("Search").fill("no-such-company")
    expect(results).to_contain_text("No companies match.")
    assert page.evaluate("window.__noReload") is True


def test_list_search_replaces_the_results_instead_of_nesting_them(page: Page, agent, company):
    """The swapped fragment is itself div#results: it must replace the old one, not nest in it."""
    sign_in(page, agent.email)
    for path in ("/app/companies/", "/app/contacts/", "/app/deals/"):
        page.goto(path)
        page.evaluate(
            "window.__settled = 0;"
            "document.body.addEventListener('htmx:afterSettle', () => window.__settled++)"
        )
        page.get_by_label("Search").press_sequentially("acme", delay=30)
        page.wait_for_function("() => window.__settled > 0")
        expect(page).to_have_url(re.compile(r"q=acme"))
        expect(
            page.locator("#results"),
            f"{path}: the swapped div#results was put inside the old one (duplicate ids)",
        ).to_have_count(1)


def _column(page: Page, stage: Stage):
    return page.locator(f'section.column[data-stage="{stage.pk}"]')


def test_deal_board_moves_a_deal_with_the_cards_move_button(page: Page, agent, deal):
    """The card's move button opens the move dialog with a stage select (the board's way for
    touch and keyboard; the cards have no stage select of their own any more)."""
    qualified = Stage.objects.get(pipeline=deal.pipeline, name="Qualified")
    sign_in(page, agent.email)
    open_nav(page).get_by_role("link", name="Board").click()
    page.get_by_role("link", name="Email Subscription").click()
    card = page.locator(f"#deal-{deal.pk}")
    expect(card).to_be_visible()
    expect(
        page.locator(f'section.column[data-stage="{deal.stage_id}"] #deal-{deal.pk}')
    ).to_be_visible()
    expect(card.locator("select")).to_have_count(0)

    card.get_by_role("button", name="Move “Acme mailboxes”").click()
    dialog = page.get_by_role("dialog")
    with page.expect_response(lambda r: "move=" in r.url):
        dialog.get_by_label("Stage").select_option(label="Qualified")
    dialog.get_by_role("button", name="Move").click()
    expect(dialog).to_be_hidden()
    expect(_column(page, qualified).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator("#board-live")).to_have_text("Moved “Acme mailboxes” to Qualified.")
    expect(page).to_have_url(re.compile(rf"/app/deals/board/{deal.pipeline_id}/$"))

    page.goto(f"/app/deals/board/{deal.pipeline_id}/")
    expect(_column(page, qualified).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page.locator(f"#deal-{deal.pk}")).to_have_count(1)
    deal.refresh_from_db()
    assert deal.stage_id == qualified.pk


def test_deal_board_moves_a_deal_by_drag_and_drop(page: Page, agent, deal, screen):
    proposal = Stage.objects.get(pipeline=deal.pipeline, name="Proposal Sent")
    sign_in(page, agent.email)
    page.goto(f"/app/deals/board/{deal.pipeline_id}/")
    tile = page.locator(f"#deal-{deal.pk}")
    expect(tile).to_be_visible()

    # Grab the card by its padding (not its link or button) and drop it on the column: the
    # card moves there and the page stays the board. A phone has no drag and drop: there the
    # card's move button does the same.
    if screen == "desktop":
        tile.drag_to(_column(page, proposal), source_position={"x": 3, "y": 3})
    else:
        tile.get_by_role("button", name="Move “Acme mailboxes”").click()
        dialog = page.get_by_role("dialog")
        with page.expect_response(lambda r: "move=" in r.url):
            dialog.get_by_label("Stage").select_option(label="Proposal Sent")
        dialog.get_by_role("button", name="Move").click()
        expect(dialog).to_be_hidden()
    expect(_column(page, proposal).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/app/deals/board/{deal.pipeline_id}/$"))
    expect(page.locator(f"#column-head-{proposal.pk} [data-column-count]")).to_have_text(
        re.compile(r"^1\b")
    )

    page.goto(f"/app/deals/board/{deal.pipeline_id}/")
    expect(_column(page, proposal).locator(f"#deal-{deal.pk}")).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage_id == proposal.pk
