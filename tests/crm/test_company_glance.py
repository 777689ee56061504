"""The company and contact pages at a glance (issue 15, item 4): a card per kind of record with
its count (in SQL) and the latest few rows, links to the filtered lists, one merged timeline,
what each role may see, and a constant number of queries whatever the number of records."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.crm import record_pages, services
from partnerdesk.crm.models import Pipeline
from partnerdesk.partner_program import services as pp_services
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import Plan, TaskCategory
from tests.conftest import login, make_user
from tests.tickets import open_ticket

pytestmark = pytest.mark.django_db


def count_of(body: str, key: str) -> int:
    match = re.search(rf'data-glance-count="{key}">(\d+)<', body)
    assert match, f"no count on the {key} card"
    return int(match.group(1))


def card(body: str, key: str) -> str:
    """The HTML of one card."""
    start = body.index(f'data-glance="{key}"')
    return body[start : body.index("</section>", start)]


def figure(body: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}"><dt>[^<]*</dt><dd>([^<]*)</dd>', body)
    assert match, f"no figure {key}"
    return match.group(1)


def submit(client_user, title):
    return portal_services.task_submit(
        by=client_user,
        title=title,
        category=TaskCategory.objects.get(name="HubSpot Administration"),
    )


@pytest.fixture
def on_duo(manager, company):
    portal_services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name="Duo"))
    return company


@pytest.fixture
def tasks(on_duo, client_user, agent):
    """Two tasks holding the Duo plan's slots (one working, one delivered), one queued, one in
    triage, one declined."""
    working, delivered, queued = (
        portal_services.task_accept(by=agent, task=submit(client_user, t), estimate_minutes="2h")
        for t in ("Working task", "Delivered task", "Queued task")
    )
    portal_services.task_start(by=agent, task=working)
    portal_services.task_start(by=agent, task=delivered)
    portal_services.task_deliver(by=agent, task=delivered)
    submit(client_user, "Triage task")
    portal_services.task_decline(by=agent, task=submit(client_user, "Declined task"), reason="No")
    return {"working": working, "queued": queued}


@pytest.fixture
def tickets(admin, company, client_contact):
    """One ticket breached (opened a month ago, 48 h to resolve), one on track, one closed."""
    now = timezone.now()
    late = open_ticket(
        admin,
        "Domain Related Requests",
        "Connect External Domain",
        now=now - dt.timedelta(days=30),
        company=company,
        name="Late domain",
        contact=client_contact,
    )
    fresh = open_ticket(admin, "Website Creation", now=now, company=company, name="Fresh site")
    return {"late": late, "fresh": fresh}


@pytest.fixture
def client_contact(admin, company):
    return services.contact_create(
        by=admin,
        first_name="Mona",
        last_name="Adel",
        email="client@acme-dental.com",  # the client_user's address: the tasks they asked for
        company=company,
    )


@pytest.fixture
def hubspot(admin, company):
    account = pp_services.account_create(
        by=admin, company=company, hub_id="4242", name="Acme portal", opened_on=dt.date(2022, 1, 1)
    )
    pp_services.subscription_create(
        by=admin,
        account=account,
        product="Marketing Hub Pro",
        mrr="800",
        currency="EUR",
        start_date=dt.date(2023, 1, 1),
    )
    return account


@pytest.fixture
def deals(admin, company, email_pipeline, client_contact):
    lost = email_pipeline.stages.get(name="Closed Lost")
    made = [
        services.deal_create(
            by=admin,
            name=f"Open deal {i}",
            pipeline=email_pipeline,
            company=company,
            amount=str(100 * (i + 1)),
            contacts=[client_contact] if i == 0 else [],
        )
        for i in range(2)
    ]
    services.deal_create(
        by=admin, name="Lost deal", pipeline=email_pipeline, company=company, stage=lost
    )
    return made


# ---------------------------------------------------------------- the company page


def test_company_cards_count_and_link_to_the_filtered_lists(
    admin, company, tasks, tickets, deals, hubspot
):
    body = login(admin).get(f"/app/companies/{company.pk}/").content.decode()
    assert [m for m in re.findall(r'data-glance="(\w+)"', body)] == [
        "tickets",
        "tasks",
        "deals",
        "subscriptions",
        "contacts",
    ]
    # open tickets, with how many are breached, each row with its SLA badge
    assert count_of(body, "tickets") == 2
    tickets_card = card(body, "tickets")
    assert figure(tickets_card, "breached") == "1"
    assert "Late domain" in tickets_card and "Fresh site" in tickets_card
    assert "badge sla-breached" in tickets_card and "badge sla-on_track" in tickets_card
    assert f'href="/app/tickets/?company={company.pk}&amp;status=open"' in tickets_card
    # client tasks against the plan: working + pending approval hold Duo's two slots
    assert count_of(body, "tasks") == 4  # open: not the declined one
    tasks_card = card(body, "tasks")
    assert figure(tasks_card, "in_progress") == "2 of 2 (Duo plan)"
    assert figure(tasks_card, "pending") == "1"
    assert figure(tasks_card, "accepted") == "1"
    assert figure(tasks_card, "triage") == "1"
    assert "Declined task" not in tasks_card
    assert f'href="/app/tasks/?company={company.pk}"' in tasks_card
    assert f'href="/app/tasks/companies/{company.pk}/plan/"' in tasks_card
    # open deals with their amounts, the open amount added up
    assert count_of(body, "deals") == 2
    deals_card = card(body, "deals")
    assert "Lost deal" not in deals_card
    assert "200.00 USD" in deals_card and "300.00 USD" in deals_card  # a row, the total
    assert f'href="/app/deals/?company={company.pk}&amp;kind=open"' in deals_card
    # the HubSpot subscriptions (the admin may see the partner program)
    assert count_of(body, "subscriptions") == 1
    subscriptions_card = card(body, "subscriptions")
    assert "Marketing Hub Pro" in subscriptions_card and "800.00 EUR" in subscriptions_card
    assert f'href="/app/partner/accounts/?company={company.pk}"' in subscriptions_card
    assert count_of(body, "contacts") == 1
    assert f'href="/app/contacts/?company={company.pk}"' in card(body, "contacts")


def test_the_linked_lists_show_what_the_cards_count(admin, company, tasks, tickets, deals):
    client = login(admin)
    page = client.get(f"/app/tickets/?company={company.pk}&status=open").content.decode()
    assert "Late domain" in page and "Fresh site" in page
    page = client.get(f"/app/deals/?company={company.pk}&kind=open").content.decode()
    assert "Open deal 0" in page and "Lost deal" not in page
    page = client.get(f"/app/tasks/?company={company.pk}").content.decode()
    assert "Queued task" in page and "Declined task" not in page


def test_a_card_shows_the_latest_five_and_counts_them_all(admin, company):
    for i in range(7):
        services.contact_create(by=admin, first_name=f"Person{i}", company=company)
    body = login(admin).get(f"/app/companies/{company.pk}/").content.decode()
    contacts = card(body, "contacts")
    assert count_of(body, "contacts") == 7
    assert contacts.count("/app/contacts/") - 1 == record_pages.LATEST  # rows + View all
    assert "Person6" in contacts and "Person1" not in contacts  # newest first


def test_a_company_without_records_says_so(agent, company):
    body = login(agent).get(f"/app/companies/{company.pk}/").content.decode()
    assert count_of(body, "tickets") == 0
    assert "No open tickets." in body
    assert figure(card(body, "tasks"), "in_progress") == "0 (no plan)"
    assert "Choose a plan" in card(body, "tasks")
    assert "No open deals." in body


def test_agents_see_no_hubspot_subscriptions(agent, admin, company, hubspot):
    agent_page = login(agent).get(f"/app/companies/{company.pk}/").content.decode()
    assert 'data-glance="subscriptions"' not in agent_page
    assert "Marketing Hub Pro" not in agent_page
    assert "HubSpot account" not in agent_page  # nor the account's events on the timeline
    admin_page = login(admin).get(f"/app/companies/{company.pk}/").content.decode()
    assert 'data-glance="subscriptions"' in admin_page
    assert "HubSpot account: Acme portal" in admin_page


def test_one_timeline_of_the_company_and_its_records(admin, company, tasks, tickets, deals):
    services.company_update(company=company, by=admin, hub_id="2410001")
    body = login(admin).get(f"/app/companies/{company.pk}/").content.decode()
    timeline = body[body.index('id="timeline-h"') :]
    newest = timeline[timeline.index("<li>") : timeline.index("</li>")]
    assert "Company updated" in newest
    assert "timeline-subject" not in newest  # the company's own entry: not named again
    assert f'href="/app/deals/{deals[0].pk}/">Deal: Open deal 0</a>' in timeline
    assert 'href="/app/contacts/' in timeline and "Contact: Mona Adel" in timeline
    assert f'href="/app/tickets/{tickets["late"].pk}/">Ticket: Late domain</a>' in timeline
    assert f'href="/app/tasks/{tasks["queued"].pk}/">Client task: Queued task</a>' in timeline


def test_another_company_s_records_stay_on_its_page(admin, company, other_company, email_pipeline):
    services.deal_create(by=admin, name="Theirs", pipeline=email_pipeline, company=other_company)
    body = login(admin).get(f"/app/companies/{company.pk}/").content.decode()
    assert "Theirs" not in body


def test_client_users_never_see_the_page(client_user, company):
    assert login(client_user).get(f"/app/companies/{company.pk}/").status_code == 404


# ---------------------------------------------------------------- the contact page


def test_contact_page_shows_their_company_tickets_tasks_and_deals(
    admin, company, client_contact, tasks, tickets, deals
):
    body = login(admin).get(f"/app/contacts/{client_contact.pk}/").content.decode()
    assert re.findall(r'data-glance="(\w+)"', body) == ["company", "tickets", "tasks", "deals"]
    assert f'href="/app/companies/{company.pk}/"' in card(body, "company")
    assert count_of(body, "tickets") == 1  # the ticket they are the contact of
    assert "Late domain" in card(body, "tickets") and "Fresh site" not in card(body, "tickets")
    assert count_of(body, "tasks") == 5  # every task their portal user asked for
    assert "Declined task" in card(body, "tasks")
    assert count_of(body, "deals") == 1
    assert "Open deal 0" in card(body, "deals")
    timeline = body[body.index('id="timeline-h"') :]
    assert "Contact created" in timeline
    assert "Ticket: Late domain" in timeline and "Deal: Open deal 0" in timeline
    assert "Client task: Queued task" in timeline
    assert "Ticket: Fresh site" not in timeline  # not about them


def test_contact_without_company_or_email(agent, admin):
    contact = services.contact_create(by=admin, first_name="Loner")
    body = login(agent).get(f"/app/contacts/{contact.pk}/").content.decode()
    assert "Not linked to a company." in body
    assert count_of(body, "tasks") == 0
    assert "Contact created" in body


# ---------------------------------------------------------------- a constant number of queries


def _grow(admin, company, contact, n, start):
    """``n`` more of every record the pages show: contacts, deals, tickets, tasks,
    subscriptions, each with their timeline entries."""
    pipeline = Pipeline.objects.get(object_type="deal", name="Email Subscription")
    client = make_user(
        f"grow{start}@acme-dental.com", Role.CLIENT, company=company, client_role=ClientRole.MEMBER
    )
    account = pp_services.account_create(
        by=admin,
        company=company,
        hub_id=f"77{start}",
        name=f"Grow {start}",
        opened_on=dt.date(2022, 1, 1),
    )
    for i in range(start, start + n):
        services.contact_create(by=admin, first_name=f"Grow{i}", company=company)
        services.deal_create(
            by=admin,
            name=f"Grow deal {i}",
            pipeline=pipeline,
            company=company,
            amount="10",
            contacts=[contact],
        )
        open_ticket(admin, "Website Creation", now=timezone.now(), company=company, contact=contact)
        submit(client, f"Grow task {i}")
        pp_services.subscription_create(
            by=admin,
            account=account,
            product=f"Hub {i}",
            mrr="10",
            currency="EUR",
            start_date=dt.date(2023, 1, 1),
        )


@pytest.mark.parametrize("who", ["admin", "agent"])
@pytest.mark.parametrize("page", ["company", "contact"])
def test_the_pages_run_the_same_queries_whatever_the_number_of_records(
    request, who, page, admin, company, on_duo, client_contact
):
    user = request.getfixturevalue(who)
    client = login(user)
    url = (
        f"/app/companies/{company.pk}/"
        if page == "company"
        else f"/app/contacts/{client_contact.pk}/"
    )

    def measure():
        client.get(url)  # warm caches (content types, sessions) outside the count
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    _grow(admin, company, client_contact, 2, 0)
    small, small_body = measure()
    _grow(admin, company, client_contact, 6, 100)
    large, large_body = measure()
    key = "deals"
    assert count_of(large_body, key) > count_of(small_body, key)
    assert large == small, f"{page} page for {who}: {small} queries, then {large}"
