"""The steps of the agency's ticket process (seed 002) that the first default workflows left out,
end to end through the outbox (see test_default_workflows.py for the set-up):

- the email specialist hears of every Email Related Requests ticket as soon as it is opened;
- hand-opened Connect External Domain and Bug Investigation tickets go to the support lead;
- a delivered website is linked to the company's annual renewal deal, the domain on both deals;
- the new defaults are installed once per key, and the changed "email-lost" reaches old installs
  through a data migration that leaves a deleted or edited default alone.

(A lost deal without a domain name opening its Cancel Emails ticket is in
test_default_workflows.py, next to the other lost-deal tests.)
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.utils import timezone

from partnerdesk.automation import engine
from partnerdesk.automation.defaults import WORKFLOWS
from partnerdesk.automation.models import RunStatus, Workflow, WorkflowRun
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import timeline
from partnerdesk.core.models import Event, InstalledDefault
from partnerdesk.crm import services as crm
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.models import Ticket
from tests.automation import deal_pipeline, email_deal, move_deal, product, win, workflow
from tests.conftest import login
from tests.tickets import open_ticket, reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]

NEW_KEYS = [
    "email-request-opened",
    "domain-connect-to-support-lead",
    "bug-to-support-lead",
    "website-delivered-renewal-deal",
]
EMAIL_LOST_MIGRATION = "partnerdesk.automation.migrations.0003_email_lost_every_deal"


def runs_of(key: str):
    return WorkflowRun.objects.filter(workflow__key=key)


# ---------------------------------------------------------------- email specialist


def test_an_email_related_requests_ticket_notifies_the_specialist_once(
    agent, company, provisioning, committed, mailbox
):
    _team, members = provisioning

    with committed():
        ticket = open_ticket(
            agent,
            "Email Related Requests",
            "Email Plan Upgrade",
            now=timezone.now(),
            company=company,
        )

    title = f"New email request: {ticket.name}"
    for member in members:
        [note] = Notification.objects.filter(user=member)
        assert (note.kind, note.title) == (Kind.WORKFLOW, title)
        assert note.body == (
            "New Email Plan Upgrade request for Acme Dental. "
            "Move the ticket to Done when it is handled."
        )
        assert note.url == f"/app/tickets/{ticket.pk}/"
        assert [m.subject for m in mailbox.to(member.email)] == [title]
    assert runs_of("email-request-opened").get().status == RunStatus.SUCCEEDED

    # The event handed over again (a retried task, the outbox sweep) notifies nobody twice.
    created = Event.objects.get(kind="ticket.created", subject_id=ticket.pk)
    Event.objects.filter(pk=created.pk).update(processed_at=None)
    with committed():
        engine.process_event(created.pk)
    assert Notification.objects.filter(user__in=members).count() == len(members)
    assert len(mailbox.messages) == len(members)


def test_tickets_the_automations_open_in_email_related_requests_notify_the_specialist_too(
    admin, company, provisioning, committed
):
    _team, members = provisioning
    deal = email_deal(admin, company, properties={})  # lost without a domain: still a ticket

    with committed():
        move_deal(deal, "Closed Lost", by=admin)

    ticket = Ticket.objects.get(deal=deal)
    assert ticket.stage.name == "Cancel Emails"
    for member in members:
        [note] = Notification.objects.filter(user=member)
        assert note.title == f"New email request: {ticket.name}"


def test_other_pipelines_do_not_notify_the_specialist(agent, company, provisioning, committed):
    _team, members = provisioning
    with committed():
        open_ticket(agent, "Email Creation", now=timezone.now(), company=company)
    assert not Notification.objects.filter(user__in=members).exists()
    assert not runs_of("email-request-opened").exists()


# ---------------------------------------------------------------- support lead


@pytest.mark.parametrize(
    ("pipeline", "stage", "key"),
    [
        ("Domain Related Requests", "Connect External Domain", "domain-connect-to-support-lead"),
        ("Bug Investigation", "New", "bug-to-support-lead"),
    ],
)
def test_a_hand_opened_ticket_without_an_owner_goes_to_the_support_lead(
    agent, company, support_lead, committed, pipeline, stage, key
):
    with committed():
        ticket = open_ticket(agent, pipeline, stage, now=timezone.now(), company=company)

    assert ticket.owner is None  # as opened
    assert reload(ticket).owner == support_lead
    assert runs_of(key).get().status == RunStatus.SUCCEEDED
    note = Notification.objects.get(user=support_lead, kind=Kind.ASSIGNED)
    assert note.url == f"/app/tickets/{ticket.pk}/"
    assert "ticket.updated" in [e.kind for e in timeline(ticket)]


@pytest.mark.parametrize(
    ("pipeline", "stage", "key"),
    [
        ("Domain Related Requests", "Connect External Domain", "domain-connect-to-support-lead"),
        ("Bug Investigation", "New", "bug-to-support-lead"),
    ],
)
def test_a_ticket_opened_with_an_owner_keeps_it(
    agent, company, support_lead, committed, pipeline, stage, key
):
    with committed():
        ticket = open_ticket(
            agent, pipeline, stage, now=timezone.now(), company=company, owner=agent
        )

    assert reload(ticket).owner == agent
    assert runs_of(key).get().status == RunStatus.SKIPPED
    assert not Notification.objects.filter(user=support_lead).exists()


def test_a_domain_deletion_ticket_is_not_given_to_the_support_lead(
    agent, company, support_lead, committed
):
    with committed():
        ticket = open_ticket(
            agent,
            "Domain Related Requests",
            "Domain Deletion",
            now=timezone.now(),
            company=company,
            properties={"domain_purchase_date": timezone.localdate().isoformat()},
        )
    assert reload(ticket).owner is None
    assert not runs_of("domain-connect-to-support-lead").exists()


# ---------------------------------------------------------------- website delivered


def renewal_deal(admin, company, name: str):
    return crm.deal_create(
        by=admin, name=name, pipeline=deal_pipeline("Website Annual Renewal"), company=company
    )


def test_website_delivered_links_the_renewal_deal_and_copies_the_domain_to_both_deals(
    admin, agent, company, other_company, website_team, committed, api_client_for
):
    website = crm.deal_create(
        by=admin,
        name="Acme website",
        pipeline=deal_pipeline("Website Creation"),
        company=company,
        line_items=[{"product": product("website-starter"), "quantity": 1}],
    )
    with committed():
        win(website, by=admin)
    ticket = Ticket.objects.get(deal=website)
    older = renewal_deal(admin, company, "Renewal 2026")
    renewal = renewal_deal(admin, company, "Renewal 2027")
    lost = renewal_deal(admin, company, "Renewal declined")
    move_deal(lost, "Not Renewed", by=admin)  # newest, but closed
    elsewhere = renewal_deal(admin, other_company, "Other renewal")  # newest open: not theirs

    delivered = ticket.pipeline.stages.get(name="Website Delivered")
    with committed():
        ticket_services.ticket_move(
            ticket=ticket,
            stage=delivered,
            by=agent,
            properties={"website_domain": "www.acme-dental.com"},
        )

    run = runs_of("website-delivered-renewal-deal").get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.log[0]["result"] == f"linked deal #{renewal.pk}; website_domain set on 2 deal(s)"
    ticket = reload(ticket)
    assert ticket.deal == website  # still the deal it was opened from
    assert set(ticket.deals.all()) == {website, renewal}
    for deal in (website, renewal):
        deal.refresh_from_db()
        assert deal.properties["website_domain"] == "www.acme-dental.com"
    for deal in (older, lost, elsewhere):
        deal.refresh_from_db()
        assert "website_domain" not in deal.properties
        assert not deal.tickets.exists()
    linked = [e for e in timeline(ticket) if e.kind == "ticket.updated" and "deal_id" in e.data]
    assert [e.data["deal_id"] for e in linked] == [renewal.pk]

    # The API, the ticket page and both deal pages show the association.
    client = api_client_for(admin)
    answer = client.get(f"/api/tickets/{ticket.pk}").json()
    assert (answer["deal_id"], answer["deal_ids"]) == (website.pk, [website.pk, renewal.pk])
    [listed] = client.get(f"/api/tickets?deal={website.pk}").json()["items"]
    assert listed["deal_ids"] == [website.pk, renewal.pk]
    page = login(admin)
    body = page.get(f"/app/tickets/{ticket.pk}/").content.decode()
    assert f'href="/app/deals/{website.pk}/"' in body and f'href="/app/deals/{renewal.pk}/"' in body
    for deal in (website, renewal):
        body = page.get(f"/app/deals/{deal.pk}/").content.decode()
        assert f'href="/app/tickets/{ticket.pk}/"' in body
    assert "opened from another deal" in body  # the renewal deal's page


def test_website_delivered_without_a_renewal_deal_still_copies_the_domain(
    admin, agent, company, committed
):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now(), company=company)

    with committed():
        ticket_services.ticket_move(
            ticket=ticket,
            stage=ticket.pipeline.stages.get(name="Website Delivered"),
            by=agent,
            properties={"website_domain": "www.acme-dental.com"},
        )

    run = runs_of("website-delivered-renewal-deal").get()
    assert run.status == RunStatus.SUCCEEDED
    assert run.log[0]["result"] == "no open deal to link; website_domain set on 0 deal(s)"
    assert not reload(ticket).deals.exists()


def test_linking_a_deal_of_another_company_is_refused(admin, agent, company, other_company):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now(), company=company)
    theirs = renewal_deal(admin, other_company, "Other renewal")
    with pytest.raises(DomainError) as refused:
        ticket_services.ticket_deal_link(ticket=ticket, deal=theirs, by=agent)
    assert refused.value.code == "deal_not_in_company"
    assert not ticket.deals.exists()


# ---------------------------------------------------------------- installed once per key


def test_the_new_defaults_are_installed_once_and_migrate_twice_adds_nothing():
    for key in NEW_KEYS:
        assert Workflow.objects.filter(key=key).count() == 1
        assert InstalledDefault.objects.filter(key=f"automation.workflow.{key}").exists()
    before = Workflow.objects.count()

    call_command("migrate", verbosity=0, interactive=False)
    call_command("migrate", verbosity=0, interactive=False)

    assert Workflow.objects.count() == before == len(WORKFLOWS)
    for key in NEW_KEYS:
        assert Workflow.objects.filter(key=key).count() == 1


def test_an_install_from_before_gets_the_new_workflows_on_its_next_migrate():
    """A database that ran migrate before these defaults existed has neither the workflows nor
    their ledger entries: they are new keys, so the next migrate installs them, once."""
    Workflow.objects.filter(key__in=NEW_KEYS).delete()
    InstalledDefault.objects.filter(key__in=[f"automation.workflow.{k}" for k in NEW_KEYS]).delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    for key in NEW_KEYS:
        assert Workflow.objects.filter(key=key).count() == 1
    assert workflow("email-request-opened").actions.get().type == "notify"


def test_a_deleted_new_default_is_not_brought_back():
    Workflow.objects.filter(key__in=["bug-to-support-lead", "email-request-opened"]).delete()

    call_command("migrate", verbosity=0, interactive=False)

    assert not Workflow.objects.filter(key="bug-to-support-lead").exists()
    assert not Workflow.objects.filter(key="email-request-opened").exists()


# ---------------------------------------------------------------- email-lost on old installs


OLD_CONDITIONS = {"all": [{"field": "deal.properties.domain_name", "op": "is_set"}]}


def make_it_old() -> Workflow:
    """The "email-lost" workflow as installs from before this change have it."""
    lost = workflow("email-lost")
    Workflow.objects.filter(pk=lost.pk).update(conditions=OLD_CONDITIONS)
    action = lost.actions.get()
    action.config = {k: v for k, v in action.config.items() if k != "if_missing"}
    action.save(update_fields=["config"])
    return lost


def run_email_lost_migration() -> None:
    importlib.import_module(EMAIL_LOST_MIGRATION).forwards(apps, None)


def test_the_data_migration_brings_email_lost_up_to_date(admin, company, committed):
    lost = make_it_old()

    run_email_lost_migration()
    run_email_lost_migration()  # twice changes nothing more

    lost.refresh_from_db()
    assert lost.conditions == {}
    assert lost.actions.get().config["if_missing"] == "ask"
    deal = email_deal(admin, company, properties={})
    with committed():
        move_deal(deal, "Closed Lost", by=admin)
    assert Ticket.objects.get(deal=deal).stage.name == "Cancel Emails"


def test_the_data_migration_leaves_an_edited_email_lost_alone():
    lost = make_it_old()
    edited = {"all": [*OLD_CONDITIONS["all"], {"field": "deal.amount", "op": "gt", "value": 10}]}
    Workflow.objects.filter(pk=lost.pk).update(conditions=edited)
    action = lost.actions.get()
    action.config = {**action.config, "if_missing": "refuse"}
    action.save(update_fields=["config"])

    run_email_lost_migration()

    lost.refresh_from_db()
    assert lost.conditions == edited
    assert lost.actions.get().config["if_missing"] == "refuse"


def test_the_data_migration_does_not_bring_back_a_deleted_email_lost():
    Workflow.objects.filter(key="email-lost").delete()
    before = Workflow.objects.count()

    run_email_lost_migration()
    call_command("migrate", verbosity=0, interactive=False)

    assert not Workflow.objects.filter(key="email-lost").exists()
    assert Workflow.objects.count() == before


# ---------------------------------------------------------------- asking for the domain


def test_the_ticket_page_asks_for_the_domain_and_the_move_form_takes_it(admin, company, committed):
    deal = email_deal(admin, company, properties={})
    with committed():
        move_deal(deal, "Closed Lost", by=admin)
    ticket = Ticket.objects.get(deal=deal)
    done = ticket.pipeline.stages.get(name="Done")
    page = login(admin)
    url = f"/app/tickets/{ticket.pk}/"

    body = page.get(url).content.decode()
    assert 'id="needed-properties"' in body
    assert "Needed before this ticket can leave its stage: Domain name." in body

    refused = page.post(f"{url}move/", {"stage": done.pk})
    assert refused.status_code == 422
    assert 'name="prop__domain_name"' in refused.content.decode()
    assert reload(ticket).stage.name == "Cancel Emails"

    moved = page.post(f"{url}move/", {"stage": done.pk, "prop__domain_name": "acme-dental.com"})
    assert moved.status_code == 302
    ticket = reload(ticket)
    assert (ticket.stage.name, ticket.properties["domain_name"]) == ("Done", "acme-dental.com")
    assert 'id="needed-properties"' not in page.get(url).content.decode()


def test_tickets_from_before_get_their_deal_as_an_association(agent, company, deal):
    """Migration tickets 0005: a ticket opened from a deal before ``Ticket.deals`` existed gets
    that deal in it, so the deal page (which reads the association) still lists it."""
    ticket = open_ticket(
        agent,
        "Email Related Requests",
        "Cancel Emails",
        now=timezone.now(),
        company=company,
        deal=deal,
    )
    assert list(ticket.deals.all()) == [deal]  # a ticket opened now has it at once
    ticket.deals.clear()  # as a ticket from before the migration

    migration = importlib.import_module("partnerdesk.tickets.migrations.0005_ticket_deals")
    migration.forwards(apps, None)
    migration.forwards(apps, None)

    assert list(reload(ticket).deals.all()) == [deal]
    assert list(deal.tickets.all()) == [ticket]
