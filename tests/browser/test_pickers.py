"""Record pickers (issue 16: the new-ticket form no longer lists every company and contact):
typing in the company search narrows the short select to the matches, the contact search is
narrowed to the chosen company, and the ticket is created with both."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.crm.models import Company, Contact, Stage
from partnerdesk.tickets.models import Ticket

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone


def test_a_ticket_is_created_with_a_company_and_contact_found_by_search(page: Page, agent):
    sign_in(page, agent.email)
    companies = Company.objects.bulk_create(
        [Company(name=f"Alpha Client {i:02d}") for i in range(30)] + [Company(name="Zephyr Dental")]
    )
    zephyr = companies[-1]
    Contact.objects.create(first_name="Zoe", last_name="Zephyr", company=zephyr)
    Contact.objects.create(first_name="Zoe", last_name="Elsewhere", company=companies[0])
    stage = Stage.objects.filter(pipeline__object_type="ticket", is_entry=True).first()
    page.goto(f"/app/tickets/new/{stage.pk}/")
    company = page.locator("select[name=company]")
    # the first companies by name only, not Zephyr (the 31st)
    expect(company.locator("option", has_text="Zephyr Dental")).to_have_count(0)
    page.locator(".picker-q[aria-controls=id_company]").fill("zeph")
    expect(company.locator("option", has_text="Zephyr Dental")).to_have_count(1)
    company.select_option(label="Zephyr Dental")
    page.locator(".picker-q[aria-controls=id_contact]").fill("zoe")
    contact = page.locator("select[name=contact]")
    expect(contact.locator("option", has_text="Zoe Zephyr")).to_have_count(1)
    expect(contact.locator("option", has_text="Zoe Elsewhere")).to_have_count(0)
    contact.select_option(label="Zoe Zephyr")
    page.get_by_label(re.compile("^Name")).first.fill("Picker ticket")
    for field in page.locator("[aria-required=true]").all():
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(index=1)
        else:
            field.fill("2")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.locator("h1")).to_contain_text("Picker ticket")
    ticket = Ticket.objects.get(name="Picker ticket")
    assert ticket.company == zephyr and ticket.contact.last_name == "Zephyr"
