"""The company page at a glance, and a secret revealed and copied (issue 15, items 4 and 12), on a
desktop and on a phone (390 x 844)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnerdesk.core.models import Event
from partnerdesk.crm import services
from partnerdesk.crm.models import Pipeline, PropertyType
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import Plan, TaskCategory
from tests.tickets import open_ticket

from .conftest import DESKTOP, MOBILE, assert_fits, sign_in

SECRET = "Vault-9f3!x"
MASK = "••••••"


@pytest.fixture
def acme(admin, manager, client_user, agent, company):
    """Acme with two open tickets (one breached), tasks on the Duo plan, two open deals, seven
    contacts and a secret property."""
    vault = services.property_create(
        by=admin, object_type="company", label="Vault code", type=PropertyType.SECRET
    )
    services.company_update(company=company, by=admin, properties={vault.name: SECRET})
    now = timezone.now()
    open_ticket(
        admin,
        "Domain Related Requests",
        "Connect External Domain",
        now=now - dt.timedelta(days=30),
        company=company,
        name="Late domain",
    )
    open_ticket(admin, "Website Creation", now=now, company=company, name="Fresh site")
    portal_services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name="Duo"))
    category = TaskCategory.objects.get(name="HubSpot Administration")
    for title in ("Fix the forms", "Clean the lists", "Audit the workflows"):
        task = portal_services.task_submit(by=client_user, title=title, category=category)
        if title != "Audit the workflows":
            task = portal_services.task_accept(by=agent, task=task, estimate_minutes="2h")
            portal_services.task_start(by=agent, task=task)
    pipeline = Pipeline.objects.get(object_type="deal", name="Email Subscription")
    for name, amount in (("Mailboxes", "120"), ("Storage", "30")):
        services.deal_create(by=admin, name=name, pipeline=pipeline, company=company, amount=amount)
    for i in range(7):
        services.contact_create(by=admin, first_name=f"Person{i}", company=company)
    return company


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
def test_company_at_a_glance_with_a_secret_revealed_and_copied(
    new_page, site, admin, acme, viewport
):
    page = new_page(viewport=viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    sign_in(page, admin.email)
    page.goto(f"/app/companies/{acme.pk}/")

    # the cards: a count, the latest rows, a link to the filtered list
    glance = page.get_by_role("region", name="At a glance")
    expect(glance.locator("[data-glance]")).to_have_count(5)  # + HubSpot subscriptions
    tickets = glance.locator('[data-glance="tickets"]')
    expect(tickets.get_by_role("heading")).to_have_text("Open tickets 2")
    expect(tickets.locator(".badge.sla-breached")).to_have_count(1)
    tasks = glance.locator('[data-glance="tasks"]')
    expect(tasks.get_by_role("heading")).to_have_text("Client tasks 3")
    expect(tasks.locator('[data-figure="in_progress"] dd')).to_have_text("2 of 2 (Duo plan)")
    expect(tasks.locator('[data-figure="triage"] dd')).to_have_text("1")
    deals = glance.locator('[data-glance="deals"]')
    expect(deals.get_by_role("heading")).to_have_text("Open deals 2")
    expect(deals).to_contain_text("150.00 USD")
    contacts = glance.locator('[data-glance="contacts"]')
    expect(contacts.get_by_role("heading")).to_have_text("Contacts 7")
    expect(contacts.locator("li")).to_have_count(5)
    # The cards fit the screen: no sideways scrolling.
    assert_fits(page, viewport["width"])

    tickets.get_by_role("link", name="View all open tickets (2)").click()
    expect(page).to_have_url(re.compile(rf"/app/tickets/\?company={acme.pk}&status=open$"))
    expect(page.get_by_role("link", name="Late domain")).to_be_visible()
    page.go_back()
    page.locator('[data-glance="contacts"]').get_by_role(
        "link", name="View all contacts (7)"
    ).click()
    expect(page).to_have_url(re.compile(rf"/app/contacts/\?company={acme.pk}$"))
    expect(page.get_by_role("link", name="Person0")).to_be_visible()
    page.go_back()

    # the secret: masked; Reveal shows it and the timeline says who read it
    secret = page.locator("[data-secret]")
    value = secret.locator("code")
    expect(value).to_have_text(MASK)
    assert SECRET not in page.content()
    secret.get_by_role("button", name="Reveal Vault code").click()
    expect(value).to_have_text(SECRET)
    latest = page.locator("ol.timeline > li").first
    expect(latest).to_contain_text("Admin revealed Vault code of Acme Dental")
    hide = secret.get_by_role("button", name="Hide Vault code")
    expect(hide).to_be_focused()
    hide.click()
    expect(value).to_have_text(MASK)

    # Copy: to the clipboard without showing it, recorded as copied
    secret.get_by_role("button", name="Copy Vault code").click()
    expect(secret.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == SECRET
    expect(value).to_have_text(MASK)
    expect(latest).to_contain_text("Admin copied Vault code of Acme Dental")

    reads = Event.objects.filter(kind="secret.revealed", subject_id=acme.pk)
    assert [e.data["copied"] for e in reads.order_by("pk")] == [False, True]
    # After a reload both entries are on the timeline, and the value is masked again.
    page.reload()
    expect(page.locator("[data-secret] code")).to_have_text(MASK)
    expect(page.locator("ol.timeline")).to_contain_text("Admin copied Vault code of Acme Dental")
    expect(page.locator("ol.timeline")).to_contain_text("Admin revealed Vault code of Acme Dental")


def test_an_agent_sees_the_mask_and_no_buttons(page, agent, acme):
    sign_in(page, agent.email)
    page.goto(f"/app/companies/{acme.pk}/")
    secret = page.locator("[data-secret]")
    expect(secret.locator("code")).to_have_text(MASK)
    expect(secret.get_by_role("button")).to_have_count(0)
    expect(page.locator('[data-glance="subscriptions"]')).to_have_count(0)
    assert SECRET not in page.content()
