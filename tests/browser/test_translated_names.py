"""A stage named in Italian (issue 15, item 11): an admin gives a ticket stage its Italian name
in the pipeline settings; an Italian-speaking agent then reads it on the ticket board and in
the ticket list, an English-speaking one the base name."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from partnerdesk.accounts.models import Role
from partnerdesk.crm.models import Pipeline
from partnerdesk.tickets import services as ticket_services
from tests.conftest import make_user
from tests.tickets import H, open_ticket

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone

ITALIAN = "In analisi dal team"


def test_an_italian_agent_reads_the_italian_stage_name(new_page, admin, agent, company):
    pipeline = Pipeline.objects.get(object_type="ticket", key="bug-investigation")
    investigating = pipeline.stages.get(key="investigating")
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H, company=company)
    ticket_services.ticket_move(ticket=ticket, stage=investigating, by=agent)
    italian_agent = make_user("agente@agency.test", Role.AGENT, language="it")

    # The admin names the stage in Italian from the pipeline's settings.
    page = new_page()
    sign_in(page, admin.email)
    page.goto(f"/app/settings/pipelines/{pipeline.pk}/")
    page.get_by_role("link", name="Investigating", exact=True).click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Investigating")
    page.get_by_label("Name in Italian").fill(ITALIAN)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Stage saved.")).to_be_visible()
    investigating.refresh_from_db()
    assert investigating.name_translations["it"] == ITALIAN

    # The Italian-speaking agent reads it on the board and in the list.
    italian = new_page()
    sign_in(italian, italian_agent.email)
    italian.goto(f"/app/tickets/board/{pipeline.pk}/")
    column = italian.locator(f'section.column[data-stage="{investigating.pk}"]')
    expect(column).to_have_attribute("aria-label", ITALIAN)
    expect(column).to_contain_text(ITALIAN)
    expect(column.locator(f"#ticket-{ticket.pk}")).to_be_visible()
    italian.goto("/app/tickets/")
    row = italian.locator("tr", has=italian.locator(f'a[href="/app/tickets/{ticket.pk}/"]'))
    expect(row.get_by_role("cell", name=ITALIAN, exact=True)).to_be_visible()

    # The English-speaking agent reads the base name.
    english = new_page()
    sign_in(english, agent.email)
    english.goto(f"/app/tickets/board/{pipeline.pk}/")
    column = english.locator(f'section.column[data-stage="{investigating.pk}"]')
    expect(column).to_have_attribute("aria-label", "Investigating")
    expect(column).not_to_contain_text(ITALIAN)
    english.goto("/app/tickets/")
    row = english.locator("tr", has=english.locator(f'a[href="/app/tickets/{ticket.pk}/"]'))
    expect(row.get_by_role("cell", name="Investigating", exact=True)).to_be_visible()
    expect(row).not_to_contain_text(ITALIAN)
