"""The default workflows 1-9 of PRODUCT.md part 4, end to end with event dispatch on.

Each change runs in ``committed()``: its on-commit callbacks (the event hand-off to the task
backend, the notification emails) run when it "commits", as in a real request; tasks run at
once (ImmediateBackend). Emails arrive at a real SMTP server, Slack posts and GitHub calls at
a real HTTP server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import RunStatus, WorkflowRun
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import timeline
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.sla.clock import agency_calendar
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.models import Source, Ticket
from tests.automation import (
    EMAIL_DEAL_PROPERTIES,
    deal_pipeline,
    email_deal,
    move_deal,
    product,
    win,
    workflow,
)
from tests.automation.conftest import GITHUB_REPOSITORY, GITHUB_TOKEN, WEBHOOK_SECRET
from tests.conftest import login
from tests.tickets import move, open_ticket, reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]


def runs_of(key: str, event=None):
    qs = WorkflowRun.objects.filter(workflow__key=key)
    return qs.filter(event=event) if event is not None else qs


def won_event(deal) -> Event:
    return Event.objects.get(kind="deal.stage_changed", subject_id=deal.pk, data__kind="won")


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- 1. won, new client


def test_email_won_for_a_new_client_opens_an_email_creation_ticket(
    admin, company, support_lead, committed, mailbox
):
    contact = crm.contact_create(
        by=admin, company=company, first_name="Mona", email="mona@acme-dental.com"
    )
    deal = email_deal(admin, company, contacts=[contact])

    with committed():
        win(deal, by=admin)

    ticket = Ticket.objects.get(deal=deal)
    assert ticket.pipeline.name == "Email Creation"
    assert ticket.stage.name == "New"
    assert ticket.name == "Email Creation For acme-dental.com"
    assert ticket.properties["purchased_mailbox_names"] == "info, sales"
    assert ticket.properties["domain_name"] == "acme-dental.com"
    assert ticket.properties["number_of_licences"] == 2
    assert ticket.properties["line_items"] == "2 × Business Email 10 GB"
    assert ticket.properties["product"] == "Business Email 10 GB"
    assert (ticket.company, ticket.deal, ticket.contact) == (company, deal, contact)
    assert ticket.owner == support_lead
    assert ticket.source == Source.AUTOMATION

    event = won_event(deal)
    assert event.processed_at is not None
    run = runs_of("email-won-new-client", event).get()
    assert run.status == RunStatus.SUCCEEDED
    assert run.step == 2 and run.attempts == 0 and run.error == ""
    assert [entry["action"] for entry in run.log] == ["create_ticket", "assign_owner"]
    assert run.context["ticket_id"] == ticket.pk
    assert runs_of("email-won-existing-client", event).get().status == RunStatus.SKIPPED
    # Only the won-stage workflows of this pipeline were touched by the event.
    assert set(WorkflowRun.objects.filter(event=event).values_list("workflow__key", flat=True)) == {
        "email-won-new-client",
        "email-won-existing-client",
    }

    ran = [e for e in timeline(deal) if e.kind == "workflow.ran"]
    assert len(ran) == 1
    assert ran[0].data["run_id"] == run.pk
    assert ran[0].data["workflow_id"] == workflow("email-won-new-client").pk
    assert any(f"ticket #{ticket.pk}" in step for step in ran[0].data["steps"])
    assert [e.kind for e in timeline(ticket)][-1] == "ticket.created"

    # The lead hears about the assignment, in the app and by email.
    note = Notification.objects.get(user=support_lead, kind=Kind.ASSIGNED)
    assert note.url == f"/app/tickets/{ticket.pk}/"
    assert note.emailed_at is not None
    [received] = mailbox.to(support_lead.email)
    assert received.subject == note.title


def test_email_won_for_an_existing_client_opens_an_add_email_licence_ticket(
    admin, company, support_lead, committed
):
    earlier = email_deal(admin, company, name="First mailboxes")
    win(earlier, by=admin)  # not dispatched: just a won deal in the company's history
    deal = email_deal(
        admin,
        company,
        name="More mailboxes",
        properties={**EMAIL_DEAL_PROPERTIES, "number_of_licences": 3},
    )

    with committed():
        win(deal, by=admin)

    [ticket] = Ticket.objects.filter(deal=deal)
    assert ticket.pipeline.name == "Email Related Requests"
    assert ticket.stage.name == "Add Email Licence"
    assert ticket.properties["number_of_licences"] == 3
    assert ticket.properties["product"] == "Business Email 10 GB"
    assert not Ticket.objects.filter(pipeline__name="Email Creation").exists()
    event = won_event(deal)
    assert runs_of("email-won-existing-client", event).get().status == RunStatus.SUCCEEDED
    assert runs_of("email-won-new-client", event).get().status == RunStatus.SKIPPED


# ---------------------------------------------------------------- 4. lost


def test_email_lost_opens_a_cancel_emails_ticket(admin, company, committed):
    deal = email_deal(admin, company)

    with committed():
        move_deal(deal, "Closed Lost", by=admin)

    [ticket] = Ticket.objects.filter(deal=deal)
    assert (ticket.pipeline.name, ticket.stage.name) == ("Email Related Requests", "Cancel Emails")
    assert ticket.properties["domain_name"] == "acme-dental.com"
    assert runs_of("email-lost").get().status == RunStatus.SUCCEEDED
    assert not runs_of("email-won-new-client").exists()


def test_email_lost_without_a_domain_opens_the_ticket_asking_for_the_domain(
    admin, agent, company, committed
):
    """Every lost deal opens its Cancel Emails ticket (it used to be skipped without a domain):
    the ticket says the domain is needed and cannot leave Cancel Emails until it is there."""
    deal = email_deal(admin, company, properties={})

    with committed():
        move_deal(deal, "Closed Lost", by=admin)

    [ticket] = Ticket.objects.filter(deal=deal)
    assert (ticket.pipeline.name, ticket.stage.name) == ("Email Related Requests", "Cancel Emails")
    assert "domain_name" not in ticket.properties
    assert "Needed before this request can be worked on: Domain name." in ticket.description
    assert runs_of("email-lost").get().status == RunStatus.SUCCEEDED
    created = Event.objects.get(kind="ticket.created", subject_id=ticket.pk)
    assert created.data["missing_properties"] == ["domain_name"]

    done = ticket.pipeline.stages.get(name="Done")
    with pytest.raises(DomainError) as refused:
        move(ticket, "Done", by=agent, now=timezone.now())
    assert refused.value.code == "missing_required_properties"
    assert refused.value.field == "domain_name"
    assert "cannot leave “Cancel Emails” without: Domain name" in refused.value.message
    assert reload(ticket).stage.name == "Cancel Emails"

    with committed():
        ticket_services.ticket_move(
            ticket=ticket, stage=done, by=agent, properties={"domain_name": "acme-dental.com"}
        )
    assert reload(ticket).stage.name == "Done"


# ---------------------------------------------------------------- 5. domain deletion


def domain_deletion_deal(admin, company, purchased: dt.date):
    return crm.deal_create(
        by=admin,
        name="Delete old-acme.com",
        pipeline=deal_pipeline("Domain Services"),
        company=company,
        line_items=[{"product": product("domain-deletion"), "quantity": 1}],
        properties={"domain_name": "old-acme.com", "domain_purchase_date": purchased.isoformat()},
    )


def agency_today() -> dt.date:
    return timezone.now().astimezone(agency_calendar().timezone).date()


def test_deal_won_with_domain_deletion_opens_a_domain_deletion_ticket(admin, company, committed):
    deal = domain_deletion_deal(admin, company, agency_today() - dt.timedelta(days=2))

    with committed():
        win(deal, by=admin)

    [ticket] = Ticket.objects.filter(deal=deal)
    assert (ticket.pipeline.name, ticket.stage.name) == (
        "Domain Related Requests",
        "Domain Deletion",
    )
    assert ticket.properties["domain_name"] == "old-acme.com"
    assert ticket.properties["domain_purchase_date"] == deal.properties["domain_purchase_date"]
    assert runs_of("domain-deletion-won").get().status == RunStatus.SUCCEEDED


def test_domain_deletion_after_the_window_fails_visibly(admin, company, committed):
    deal = domain_deletion_deal(admin, company, agency_today() - dt.timedelta(days=10))

    with committed():
        win(deal, by=admin)

    assert not Ticket.objects.exists()
    run = runs_of("domain-deletion-won").get()
    assert run.status == RunStatus.FAILED
    assert run.attempts == 0  # a rule refused: not retried
    assert "can be deleted only within 4 days" in run.error
    assert [e.kind for e in timeline(deal) if e.kind.startswith("workflow.")] == ["workflow.failed"]


def test_a_won_deal_without_the_product_does_not_touch_the_domain_workflow(
    admin, company, committed
):
    deal = email_deal(admin, company)
    with committed():
        win(deal, by=admin)
    assert not runs_of("domain-deletion-won").exists()


# ---------------------------------------------------------------- 6. website, round-robin


def test_website_won_opens_website_tickets_round_robin_in_the_website_team(
    admin, company, other_company, website_team, committed
):
    _team, (a, b) = website_team
    owners = []
    for index in range(4):
        deal = crm.deal_create(
            by=admin,
            name=f"Website {index}",
            pipeline=deal_pipeline("Website Creation"),
            company=company if index % 2 else other_company,
            line_items=[{"product": product("website-starter"), "quantity": 1}],
        )
        with committed():
            win(deal, by=admin)
        ticket = Ticket.objects.get(deal=deal)
        assert (ticket.pipeline.name, ticket.stage.name) == ("Website Creation", "New")
        owners.append(ticket.owner)
    assert owners == [a, b, a, b]
    assert runs_of("website-won").filter(status=RunStatus.SUCCEEDED).count() == 4


# ---------------------------------------------------------------- 2. email creation stages


@pytest.fixture
def email_ticket(agent, company):
    return open_ticket(agent, "Email Creation", now=timezone.now(), company=company)


def test_waiting_for_upgrade_notifies_email_provisioning_in_app_and_by_email(
    agent, email_ticket, provisioning, committed, mailbox
):
    _team, members = provisioning

    with committed():
        move(email_ticket, "Waiting For Upgrade", by=agent, now=timezone.now())

    title = f"Upgrade the mailboxes: {email_ticket.name}"
    body = "The emails for acme-dental.com are created and wait for the upgrade."
    run = runs_of("email-waiting-for-upgrade").get()
    assert run.status == RunStatus.SUCCEEDED
    assert "workflow.ran" in [e.kind for e in timeline(email_ticket)]
    url = f"http://127.0.0.1:8000/app/tickets/{email_ticket.pk}/"
    for member in members:
        note = Notification.objects.get(user=member)
        assert (note.kind, note.title, note.body) == (Kind.WORKFLOW, title, body)
        assert note.in_app and note.read_at is None and note.emailed_at is not None
        [received] = mailbox.to(member.email)
        assert received.subject == title
        assert received.message.get_content_type() == "multipart/alternative"
        assert received.text.startswith(title)
        assert body in received.text and url in received.text
        assert f">{title}</h2>" in received.html and body in received.html
        assert f'href="{url}"' in received.html
    assert len(mailbox.messages) == len(members)
    # Each recipient's email is in their own language.
    by_lang = {m.language: mailbox.to(m.email)[0] for m in members}
    assert "Open it:" in by_lang["en"].text and 'lang="en" dir="ltr"' in by_lang["en"].html
    assert "Sent by Partnerdesk through Partnerdesk." in by_lang["en"].text
    assert "Apri:" in by_lang["it"].text and 'lang="it" dir="ltr"' in by_lang["it"].html
    assert "Inviato da Partnerdesk tramite Partnerdesk." in by_lang["it"].text
    assert "Scegli quali email ricevere" in by_lang["it"].html
    assert "افتحه من هنا:" in by_lang["ar"].text and 'lang="ar" dir="rtl"' in by_lang["ar"].html
    assert "Open it" not in by_lang["ar"].text + by_lang["it"].text
    # The footer links to the real preferences page.
    preferences = "http://127.0.0.1:8000/notifications/preferences/"
    assert preferences in by_lang["en"].text and f'href="{preferences}"' in by_lang["en"].html
    assert login(members[0]).get("/notifications/preferences/").status_code == 200


def test_emails_upgraded_notifies_the_support_team(
    agent, email_ticket, support_lead, committed, mailbox
):
    with committed():
        move(email_ticket, "Emails Upgraded", by=agent, now=timezone.now())

    note = Notification.objects.get(user=support_lead, kind=Kind.WORKFLOW)
    assert note.title == f"Emails upgraded: {email_ticket.name}"
    assert "acme-dental.com" in note.body
    assert [m.subject for m in mailbox.to(support_lead.email)] == [note.title]
    assert not runs_of("email-waiting-for-upgrade").exists()


# ---------------------------------------------------------------- 7. website delivered → Slack


def test_website_delivered_posts_the_domain_to_slack(
    admin, agent, company, integrations, remote, committed
):
    assert not workflow("website-delivered-slack").enabled  # off until Integrations are set
    automation_services.workflow_set_enabled(
        by=admin, workflow=workflow("website-delivered-slack"), enabled=True
    )
    ticket = open_ticket(
        agent,
        "Website Creation",
        now=timezone.now(),
        company=company,
        properties={"website_domain": "www.acme-dental.com"},
    )

    with committed():
        move(ticket, "Website Delivered", by=agent, now=timezone.now())

    [post] = remote.slack_posts
    assert post.path == "/slack/T000/B000/XXXX"
    assert post.headers["Content-Type"] == "application/json"
    assert post.body == {"text": "Website delivered: www.acme-dental.com (Acme Dental)"}
    run = runs_of("website-delivered-slack").get()
    assert run.status == RunStatus.SUCCEEDED
    assert "www.acme-dental.com" in run.log[0]["result"]


def test_disabled_slack_workflow_posts_nothing(agent, company, integrations, remote, committed):
    ticket = open_ticket(
        agent,
        "Website Creation",
        now=timezone.now(),
        company=company,
        properties={"website_domain": "www.acme-dental.com"},
    )
    with committed():
        move(ticket, "Website Delivered", by=agent, now=timezone.now())
    assert remote.slack_posts == []
    assert not runs_of("website-delivered-slack").exists()


# ---------------------------------------------------------------- 8. bug → GitHub → resolved


@pytest.fixture
def bug(admin, agent, company, integrations):
    automation_services.workflow_set_enabled(
        by=admin, workflow=workflow("bug-confirmed-github"), enabled=True
    )
    return open_ticket(agent, "Bug Investigation", now=timezone.now(), company=company)


def closed_payload(number: int, repository: str = GITHUB_REPOSITORY) -> bytes:
    return json.dumps(
        {
            "action": "closed",
            "issue": {"number": number, "state": "closed"},
            "repository": {"full_name": repository},
        }
    ).encode()


def post_hook(body: bytes, signature: str, event: str = "issues"):
    return Client().post(
        "/hooks/github/",
        data=body,
        content_type="application/json",
        headers={"X-GitHub-Event": event, "X-Hub-Signature-256": signature},
    )


def test_bug_confirmed_opens_a_github_issue_and_its_closing_resolves_the_ticket(
    agent, bug, remote, committed
):
    with committed():
        move(bug, "Bug Confirmed & Issue Opened", by=agent, now=timezone.now())

    [call] = remote.github_calls
    assert call.path == f"/repos/{GITHUB_REPOSITORY}/issues"
    assert call.headers["Authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert call.body["title"] == bug.name
    assert "https://backoffice.example.com/acme" in call.body["body"]
    assert f"Partnerdesk ticket #{bug.pk}" in call.body["body"]
    ticket = reload(bug)
    assert ticket.properties["issue_tracker_number"] == "42"
    assert ticket.stage.name == "Waiting For Dev Reply"
    run = runs_of("bug-confirmed-github").get()
    assert run.status == RunStatus.SUCCEEDED and run.context["issue_number"] == 42

    body = closed_payload(42)
    with committed():
        response = post_hook(body, sign(body))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "tickets": 1}
    ticket = reload(bug)
    assert ticket.stage.name == "Resolved By Dev"
    assert ticket.closed_at is not None
    assert runs_of("bug-issue-closed").get().status == RunStatus.SUCCEEDED
    assert "ticket.tracker_issue_closed" in [e.kind for e in timeline(ticket)]


def test_github_webhook_with_a_bad_signature_is_refused_and_moves_nothing(
    agent, bug, remote, committed
):
    with committed():
        move(bug, "Bug Confirmed & Issue Opened", by=agent, now=timezone.now())
    body = closed_payload(42)

    with committed():
        responses = [
            post_hook(body, sign(body, "wrong-secret")),
            post_hook(body, sign(body)[:-2] + "00"),
            post_hook(body, ""),
            post_hook(body, sign(body).removeprefix("sha256=")),
            post_hook(closed_payload(43), sign(body)),  # signature of another body
        ]

    assert [r.status_code for r in responses] == [403] * 5
    assert all(r.json()["code"] == "bad_signature" for r in responses)
    assert reload(bug).stage.name == "Waiting For Dev Reply"
    assert not Event.objects.filter(kind="ticket.tracker_issue_closed").exists()
    assert not runs_of("bug-issue-closed").exists()


def test_github_webhook_ignores_other_events_repositories_and_issues(agent, bug, remote, committed):
    with committed():
        move(bug, "Bug Confirmed & Issue Opened", by=agent, now=timezone.now())
    opened = json.dumps({"action": "opened", "issue": {"number": 42}}).encode()
    other_repo = closed_payload(42, "someone/else")
    other_issue = closed_payload(7)

    with committed():
        assert post_hook(b"{}", sign(b"{}"), event="ping").json() == {"ok": True}
        assert post_hook(opened, sign(opened)).json() == {"ok": True, "ignored": True}
        assert post_hook(other_repo, sign(other_repo)).json() == {"ok": True, "tickets": 0}
        assert post_hook(other_issue, sign(other_issue)).json() == {"ok": True, "tickets": 0}

    assert reload(bug).stage.name == "Waiting For Dev Reply"


# ---------------------------------------------------------------- 9. required properties


@pytest.mark.parametrize(
    ("properties", "line_items", "missing"),
    [
        ({}, True, {"purchased_mailbox_names", "domain_name", "number_of_licences"}),
        ({**EMAIL_DEAL_PROPERTIES, "domain_name": ""}, True, {"domain_name"}),
        (EMAIL_DEAL_PROPERTIES, False, {"line_items"}),
    ],
)
def test_winning_without_the_required_properties_is_refused(
    admin, company, committed, properties, line_items, missing
):
    deal = email_deal(admin, company, properties=properties, line_items=line_items)

    with committed(), pytest.raises(DomainError) as refused:
        win(deal, by=admin)

    assert refused.value.code == "missing_required_properties"
    assert {e.field for e in refused.value.all_errors()} == missing
    deal.refresh_from_db()
    assert deal.stage.kind == "open" and deal.closed_at is None
    assert not Ticket.objects.exists()
    assert not Event.objects.filter(kind="deal.stage_changed").exists()
    assert not WorkflowRun.objects.exists()


def test_a_ticket_is_also_created_through_the_api_move(
    admin, company, support_lead, committed, api_client_for
):
    deal = email_deal(admin, company)
    won = deal.pipeline.stages.get(name="Closed Won")
    client = api_client_for(admin)

    with committed():
        response = client.post(
            f"/api/deals/{deal.pk}/move",
            json.dumps({"stage_id": won.pk}),
            content_type="application/json",
        )

    assert response.status_code == 200, response.content
    assert Ticket.objects.get(deal=deal).pipeline.name == "Email Creation"
