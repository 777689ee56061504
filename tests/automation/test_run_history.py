"""Run history: each run names the record its event was about, with a link, and says what
happened ("Deal *Nile Dental — Email* won"); the run list reads those records in a constant
number of queries; a run's log reads in the reader's language, older rows included."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from partnerdesk.automation import services
from partnerdesk.automation.models import RunStatus, Trigger, WorkflowRun
from partnerdesk.core.events import record_event
from partnerdesk.crm.models import Pipeline
from partnerdesk.portal import services as portal
from partnerdesk.portal.models import TaskCategory
from partnerdesk.tickets import services as ticket_services
from tests.automation import email_deal, win
from tests.conftest import login

pytestmark = pytest.mark.django_db

RUNS = "/app/settings/automations/runs/"


def text(body: str) -> str:
    return " ".join(unescape(strip_tags(body)).split())


@pytest.fixture
def history(admin):
    return services.workflow_create(by=admin, name="History", trigger=Trigger.DEAL_STAGE_ENTERED)


def runs_about_records(admin, company, client_user, workflow, n: int, start: int = 0) -> dict:
    """n runs about a deal, n about a ticket and n about a task request; their records."""
    website = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    category = TaskCategory.objects.get(name="HubSpot Administration")
    made = {"deals": [], "tickets": [], "tasks": []}
    for i in range(start, start + n):
        deal = email_deal(admin, company, name=f"Deal {i:03}")
        ticket = ticket_services.ticket_create(
            by=admin, pipeline=website, company=company, name=f"Ticket {i:03}"
        )
        task = portal.task_submit(by=client_user, title=f"Task {i:03}", category=category)
        events = [
            record_event(kind="deal.stage_changed", subject=deal, data={"kind": "won"}),
            record_event(
                kind="ticket.stage_changed", subject=ticket, data={"to_stage": "Waiting on you"}
            ),
            record_event(kind="task.state_changed", subject=task, data={"to": "accepted"}),
        ]
        for event in events:
            WorkflowRun.objects.create(workflow=workflow, event=event, status=RunStatus.SUCCEEDED)
        made["deals"].append(deal)
        made["tickets"].append(ticket)
        made["tasks"].append(task)
    return made


def test_the_run_list_links_each_run_to_its_record(admin, company, client_user, history):
    made = runs_about_records(admin, company, client_user, history, 1)
    deal, ticket, task = made["deals"][0], made["tickets"][0], made["tasks"][0]

    body = login(admin).get(f"{RUNS}?status=succeeded").content.decode()

    assert f'Deal <a href="/app/deals/{deal.pk}/"><strong>Deal 000</strong></a> won' in body
    assert f'<a href="/app/tickets/{ticket.pk}/"><strong>#{ticket.pk} Ticket 000</strong></a>' in (
        body
    )
    assert f"Ticket #{ticket.pk} Ticket 000 entered Waiting on you" in text(body)
    assert f'<a href="/app/tasks/{task.pk}/"><strong>Task 000</strong></a>' in body
    assert "Task request Task 000 moved to Accepted" in text(body)


def test_the_run_list_reads_the_records_in_a_constant_number_of_queries(
    admin, company, client_user, history
):
    client = login(admin)
    client.get(f"{RUNS}?status=succeeded")  # sessions, content types: warm

    def measure() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"{RUNS}?status=succeeded").content.decode()
        return len(queries), body

    runs_about_records(admin, company, client_user, history, 2)
    small, body = measure()
    assert len(re.findall(r'href="/app/deals/\d+/"', body)) == 2
    runs_about_records(admin, company, client_user, history, 8, start=2)
    large, body = measure()
    assert len(re.findall(r'href="/app/deals/\d+/"', body)) == 10
    assert len(re.findall(r'href="/app/tasks/\d+/"', body)) == 10
    # session, user, count, runs; deals, tickets, tasks (one query per kind of record)
    assert small == large == 7


def test_a_record_deleted_since_reads_as_such(admin, company, history):
    website = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    ticket = ticket_services.ticket_create(by=admin, pipeline=website, company=company, name="Gone")
    event = record_event(
        kind="ticket.created",
        subject=ticket,
        data={"name": "Gone", "pipeline": "Website Creation"},
    )
    run = WorkflowRun.objects.create(workflow=history, event=event, status=RunStatus.FAILED)
    event.subject_id = 999_999
    event.save(update_fields=["subject_id"])

    body = login(admin).get(f"{RUNS}{run.pk}/").content.decode()

    assert "Ticket #999999 Gone (deleted) opened in Website Creation" in text(body)


def test_a_won_deal_runs_the_default_workflow_and_its_history_reads_in_words(
    admin, company, support_lead, dispatch, committed
):
    deal = email_deal(admin, company, name="Nile Dental — Email")
    with committed():
        win(deal, by=admin)
    run = WorkflowRun.objects.get(workflow__key="email-won-new-client")
    assert run.status == RunStatus.SUCCEEDED
    ticket_id = run.context["ticket_id"]
    assert all(entry["messages"] for entry in run.log)
    client = login(admin)

    detail = client.get(f"{RUNS}{run.pk}/").content.decode()
    assert f'Deal <a href="/app/deals/{deal.pk}/"><strong>Nile Dental — Email</strong></a> won' in (
        detail
    )
    assert f'<a href="/app/tickets/{ticket_id}/">#{ticket_id} ' in detail
    words = text(detail)
    assert "Create a ticket — Created ticket" in words
    assert "Assign an owner — Assigned to Lead" in words

    page = client.get(f"/app/settings/automations/{run.workflow_id}/").content.decode()
    runs = page[page.index('id="runs"') :]
    assert f'href="/app/deals/{deal.pk}/"' in runs
    assert "Nile Dental — Email won" in text(runs)


def test_the_log_reads_in_the_readers_language(admin, company, history):
    """Old rows (English summaries only) and new ones (message keys) read the same, and the
    dates follow the reader's format."""
    deal = email_deal(admin, company, name="Acme")
    event = record_event(kind="deal.stage_changed", subject=deal, data={"kind": "lost"})
    run = WorkflowRun.objects.create(
        workflow=history,
        event=event,
        status=RunStatus.FAILED,
        step=2,
        error="Step 3 (Post to Slack): Slack answered 500: down",
        log=[
            {
                "step": 1,
                "action": "notify",
                "at": "2025-05-31T09:00:00+00:00",
                "result": "notified 1",
            },
            {
                "step": 2,
                "action": "move_stage",
                "at": "2025-05-31T09:00:01+00:00",
                "result": "moved to Closed Lost",
                "messages": [{"key": "moved", "params": {"stage_id": 1, "stage": "Closed Lost"}}],
            },
        ],
    )
    words = text(login(admin).get(f"{RUNS}{run.pk}/").content.decode())
    assert "Deal Acme lost" in words
    assert "Notify users or a team — Notified 1 person" in words
    assert "Move to a stage — Moved to Closed Lost" in words
    assert "31 May 2025" in words
    assert "Step 3 (Post to Slack): Slack answered 500: down" in words

    admin.language = "it"
    admin.save(update_fields=["language"])
    italian = text(login(admin).get(f"{RUNS}{run.pk}/").content.decode())
    assert "31 Mag 2025" in italian
