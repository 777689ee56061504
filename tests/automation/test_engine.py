"""Engine guarantees: at most one run per workflow and event, resuming after a crash, retries
with backoff against a real failing server, the failed-runs list and replay (UI and API),
immediate failure on a rule, skipped runs, the outbox sweep."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from partnerdesk.automation import engine
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import ActionType, RunStatus, Trigger, WorkflowRun
from partnerdesk.automation.tasks import process_event_task
from partnerdesk.core.events import timeline
from partnerdesk.core.models import Event
from partnerdesk.tickets.models import Ticket
from tests.automation import (
    deal_pipeline,
    deal_stage,
    email_deal,
    move_deal,
    run_deferred,
    win,
    workflow,
)
from tests.conftest import login
from tests.tickets import move, open_ticket, reload

pytestmark = pytest.mark.django_db

NEW_CLIENT = "email-won-new-client"


def won_event(deal) -> Event:
    return Event.objects.get(kind="deal.stage_changed", subject_id=deal.pk, data__kind="won")


# ---------------------------------------------------------------- at most once


def test_processing_an_event_again_never_runs_a_workflow_twice(admin, company, support_lead):
    deal = email_deal(admin, company)
    win(deal, by=admin)  # dispatch is off: the event waits in the outbox
    event = won_event(deal)
    assert event.processed_at is None and not WorkflowRun.objects.exists()

    assert engine.process_event(event.pk) == 2  # new-client ran, existing-client skipped
    assert engine.process_event(event.pk) == 0  # already processed
    process_event_task.enqueue(event_id=event.pk)
    # A task retried after its work committed but before the event was marked processed:
    Event.objects.filter(pk=event.pk).update(processed_at=None)
    assert engine.process_event(event.pk) == 2

    assert Ticket.objects.filter(deal=deal).count() == 1
    assert WorkflowRun.objects.filter(event=event).count() == 2
    run = WorkflowRun.objects.get(event=event, workflow__key=NEW_CLIENT)
    assert run.status == RunStatus.SUCCEEDED and run.step == 2
    assert [e["action"] for e in run.log] == ["create_ticket", "assign_owner"]


def test_a_run_interrupted_after_a_step_resumes_from_the_next_step(admin, company, support_lead):
    deal = email_deal(admin, company)
    win(deal, by=admin)
    event = won_event(deal)
    engine.process_event(event.pk)
    ticket = Ticket.objects.get(deal=deal)
    # As if the worker died after the create_ticket step committed, before assign_owner:
    run = WorkflowRun.objects.get(event=event, workflow__key=NEW_CLIENT)
    WorkflowRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, step=1, log=run.log[:1], finished_at=None
    )
    Event.objects.filter(pk=event.pk).update(processed_at=None)
    Ticket.objects.filter(pk=ticket.pk).update(owner=None)

    engine.process_event(event.pk)

    assert Ticket.objects.filter(deal=deal).count() == 1
    assert reload(ticket).owner == support_lead
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.step == 2
    assert [e["action"] for e in run.log] == ["create_ticket", "assign_owner"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_processing_the_same_event_at_once_create_one_ticket(admin):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) are meaningful on PostgreSQL")
    from partnerdesk.accounts.models import Team
    from partnerdesk.crm import services as crm

    Team.objects.filter(name="Support Team").update(lead=admin)
    deals = []
    for index in range(5):
        client = crm.company_create(by=admin, name=f"Co {index}", domain=f"co{index}.example")
        deals.append(email_deal(admin, client))
        win(deals[-1], by=admin)  # dispatch is off: the events wait for the "workers"
    events = [won_event(deal) for deal in deals]
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            for event in events:
                engine.process_event(event.pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    for deal in deals:
        assert Ticket.objects.filter(deal=deal).count() == 1
    runs = WorkflowRun.objects.filter(workflow__key=NEW_CLIENT)
    assert runs.count() == 5
    assert set(runs.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}


# ---------------------------------------------------------------- retries, failed list, replay


@pytest.fixture
def slack_ticket(admin, agent, company, integrations):
    automation_services.workflow_set_enabled(
        by=admin, workflow=workflow("website-delivered-slack"), enabled=True
    )
    return open_ticket(
        agent,
        "Website Creation",
        now=timezone.now(),
        company=company,
        properties={"website_domain": "www.acme-dental.com"},
    )


def slack_run() -> WorkflowRun:
    return WorkflowRun.objects.get(workflow__key="website-delivered-slack")


@pytest.mark.usefixtures("dispatch")
def test_a_failing_slack_post_retries_with_backoff_then_fails_and_is_replayed(
    admin, agent, slack_ticket, remote, deferring_tasks, committed
):
    remote.slack_statuses = [500] * engine.MAX_ATTEMPTS
    started = timezone.now()
    with committed():
        move(slack_ticket, "Website Delivered", by=agent, now=timezone.now())

    delays = []
    for attempt in range(1, engine.MAX_ATTEMPTS):
        run = slack_run()
        assert run.status == RunStatus.RETRYING
        assert run.attempts == attempt
        assert "Slack answered 500" in run.error
        assert run.finished_at is None
        [deferred] = deferring_tasks
        assert deferred.task.name == "retry_run"
        assert deferred.task.run_after == run.next_attempt_at
        assert deferred.kwargs == {"run_id": run.pk}
        delays.append(run.next_attempt_at - started)
        with committed():
            run_deferred()
    assert [round(d.total_seconds() / 30) for d in delays] == [1, 2, 4, 8]  # 30 s, 1, 2, 4 min

    run = slack_run()
    assert run.status == RunStatus.FAILED
    assert run.attempts == engine.MAX_ATTEMPTS
    assert run.next_attempt_at is None and run.finished_at is not None
    assert deferring_tasks == []  # no more retries
    assert len(remote.slack_posts) == engine.MAX_ATTEMPTS
    assert "workflow.failed" in [e.kind for e in timeline(slack_ticket)]

    # Listed for admins (the failed list is the default view of the runs page).
    client = login(admin)
    for url in ("/app/settings/automations/runs/?status=failed", "/app/settings/automations/runs/"):
        page = client.get(url).content.decode()
        assert f"/app/settings/automations/runs/{run.pk}/" in page
        assert "Slack answered 500" in page
    assert f"#{run.pk}" not in client.get("/app/settings/automations/runs/?status=succeeded")
    detail = client.get(f"/app/settings/automations/runs/{run.pk}/").content.decode()
    assert "Replay from the failed step" in detail and "ticket.stage_changed" in detail
    assert login(agent).get("/app/settings/automations/runs/").status_code == 403

    # Slack is back: the admin replays the run.
    with committed():
        response = client.post(f"/app/settings/automations/runs/{run.pk}/replay/")
    assert response.status_code == 302
    assert response["Location"] == f"/app/settings/automations/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.error == ""
    assert len(remote.slack_posts) == engine.MAX_ATTEMPTS + 1
    assert "workflow.ran" in [e.kind for e in timeline(slack_ticket)]
    # Replaying a run that did not fail is refused.
    with committed():
        client.post(f"/app/settings/automations/runs/{run.pk}/replay/")
    assert len(remote.slack_posts) == engine.MAX_ATTEMPTS + 1


@pytest.mark.usefixtures("dispatch")
def test_replay_through_the_api(
    admin, agent, slack_ticket, remote, deferring_tasks, committed, api_client_for
):
    remote.slack_statuses = [500] * engine.MAX_ATTEMPTS
    with committed():
        move(slack_ticket, "Website Delivered", by=agent, now=timezone.now())
    while deferring_tasks:
        with committed():
            run_deferred()
    run = slack_run()
    assert run.status == RunStatus.FAILED

    api = api_client_for(admin)
    listed = api.get("/api/workflow-runs?status=failed").json()
    assert [item["id"] for item in listed["items"]] == [run.pk]
    assert listed["items"][0]["attempts"] == engine.MAX_ATTEMPTS

    refused = api_client_for(agent).post(f"/api/workflow-runs/{run.pk}/replay")
    assert refused.status_code == 403
    assert slack_run().status == RunStatus.FAILED

    with committed():
        response = api.post(f"/api/workflow-runs/{run.pk}/replay")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "succeeded"
    assert response.json()["attempts"] == 0
    assert remote.slack_posts[-1].body == {
        "text": "Website delivered: www.acme-dental.com (Acme Dental)"
    }

    again = api.post(f"/api/workflow-runs/{run.pk}/replay")
    assert again.status_code == 409 and again.json()["code"] == "not_failed"
    assert api.post("/api/workflow-runs/999999/replay").status_code == 404


@pytest.mark.usefixtures("dispatch")
def test_github_failures_are_retried_and_the_issue_is_opened_once(
    admin, agent, company, integrations, remote, deferring_tasks, committed
):
    automation_services.workflow_set_enabled(
        by=admin, workflow=workflow("bug-confirmed-github"), enabled=True
    )
    bug = open_ticket(agent, "Bug Investigation", now=timezone.now(), company=company)
    remote.github_failures = 2

    with committed():
        move(bug, "Bug Confirmed & Issue Opened", by=agent, now=timezone.now())
    assert reload(bug).stage.name == "Bug Confirmed & Issue Opened"
    assert len(deferring_tasks) == 1
    while deferring_tasks:
        with committed():
            run_deferred()

    run = WorkflowRun.objects.get(workflow__key="bug-confirmed-github")
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert len(remote.github_calls) == 3  # two 500s, one 201
    ticket = reload(bug)
    assert ticket.properties["issue_tracker_number"] == "42"
    assert ticket.stage.name == "Waiting For Dev Reply"


# ---------------------------------------------------------------- rules, conditions


@pytest.fixture
def qualified_creates_ticket(admin):
    """A custom workflow: an Email Subscription deal entering Qualified opens an Email Creation
    ticket (whose entry stage requires the provisioning properties)."""
    from partnerdesk.crm.models import Pipeline

    wf = automation_services.workflow_save(
        by=admin,
        name="Qualified → Email Creation",
        trigger=Trigger.DEAL_STAGE_ENTERED,
        trigger_config={
            "pipeline_id": deal_pipeline("Email Subscription").pk,
            "stage_id": deal_stage("Email Subscription", "Qualified").pk,
        },
        conditions_tree={"all": [{"field": "deal.amount", "op": "gte", "value": 50}]},
    )
    creation = Pipeline.objects.get(object_type="ticket", name="Email Creation")
    automation_services.action_add(
        by=admin,
        workflow=wf,
        type=ActionType.CREATE_TICKET,
        config={"pipeline_id": creation.pk, "stage_id": creation.stages.get(name="New").pk},
    )
    return wf


@pytest.mark.usefixtures("dispatch")
def test_a_rule_refusal_fails_the_run_at_once_with_its_message(
    admin, company, qualified_creates_ticket, deferring_tasks, committed
):
    deal = email_deal(admin, company, properties={})

    with committed():
        move_deal(deal, "Qualified", by=admin)

    run = WorkflowRun.objects.get(workflow=qualified_creates_ticket)
    assert run.status == RunStatus.FAILED
    assert run.attempts == 0 and run.next_attempt_at is None and run.step == 0
    assert run.error.startswith("Step 1 (Create a ticket): To move into “New”, fill in:")
    assert "Domain name" in run.error
    assert deferring_tasks == []
    assert not Ticket.objects.exists()
    [failed] = [e for e in timeline(deal) if e.kind == "workflow.failed"]
    assert failed.data["error"] == run.error
    assert WorkflowRun.objects.filter(status=RunStatus.FAILED).count() == 1


@pytest.mark.usefixtures("dispatch")
def test_runs_are_skipped_when_the_conditions_do_not_hold(
    admin, company, qualified_creates_ticket, committed
):
    small = email_deal(admin, company, name="Small")
    from partnerdesk.crm import services as crm

    crm.deal_update(deal=small, by=admin, amount="10")
    big = email_deal(admin, company, name="Big")

    with committed():
        move_deal(small, "Qualified", by=admin)
        move_deal(big, "Qualified", by=admin)

    runs = {r.event.subject_id: r for r in WorkflowRun.objects.filter(workflow__isnull=False)}
    assert runs[small.pk].status == RunStatus.SKIPPED and runs[small.pk].log == []
    assert runs[big.pk].status == RunStatus.SUCCEEDED
    assert list(Ticket.objects.values_list("deal_id", flat=True)) == [big.pk]
    # A skipped run leaves no entry on the timeline.
    assert not [e for e in timeline(small) if e.kind.startswith("workflow.")]


@pytest.mark.usefixtures("dispatch")
def test_a_disabled_workflow_does_not_run(admin, company, support_lead, committed):
    automation_services.workflow_set_enabled(by=admin, workflow=workflow(NEW_CLIENT), enabled=False)
    deal = email_deal(admin, company)
    with committed():
        win(deal, by=admin)
    assert not Ticket.objects.exists()
    assert not WorkflowRun.objects.filter(workflow__key=NEW_CLIENT).exists()


# ---------------------------------------------------------------- the outbox sweep


def test_the_outbox_sweep_processes_events_whose_task_was_lost(
    admin, company, other_company, support_lead, settings
):
    deals = [email_deal(admin, company), email_deal(admin, other_company)]
    for deal in deals:
        win(deal, by=admin)  # dispatch off: as if the hand-off to the workers was lost
    lost = [won_event(deal) for deal in deals]
    assert not Ticket.objects.exists()

    assert engine.sweep_outbox() == 0  # younger than a minute: their task may still come
    swept = engine.sweep_outbox(older_than=dt.timedelta(0))

    assert swept >= len(lost)
    for deal, event in zip(deals, lost, strict=True):
        event.refresh_from_db()
        assert event.processed_at is not None
        assert Ticket.objects.filter(deal=deal, pipeline__name="Email Creation").count() == 1
    # Sweeping again (say the lost tasks turn up after all) changes nothing.
    Event.objects.filter(pk__in=[e.pk for e in lost]).update(processed_at=None)
    engine.sweep_outbox(older_than=dt.timedelta(0))
    assert Ticket.objects.count() == 2
    assert Event.objects.filter(processed_at__isnull=True).count() == 0


@pytest.mark.usefixtures("dispatch")
def test_the_outbox_sweep_restarts_a_retry_that_was_lost(
    admin, agent, slack_ticket, remote, deferring_tasks, committed
):
    remote.slack_statuses = [500]
    with committed():
        move(slack_ticket, "Website Delivered", by=agent, now=timezone.now())
    assert slack_run().status == RunStatus.RETRYING
    deferring_tasks.clear()  # the worker holding the retry died
    WorkflowRun.objects.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=5))

    with committed():
        engine.sweep_outbox(older_than=dt.timedelta(0))

    assert slack_run().status == RunStatus.SUCCEEDED
    assert len(remote.slack_posts) == 2


@pytest.mark.usefixtures("dispatch")
def test_a_retry_the_backend_cannot_defer_is_left_to_the_sweep(
    admin, agent, slack_ticket, remote, committed
):
    """The immediate backend refuses run_after: the failed step is recorded for a retry (not
    an error in the request) and the periodic sweep runs it once it is due."""
    remote.slack_statuses = [500]
    with committed():
        move(slack_ticket, "Website Delivered", by=agent, now=timezone.now())
    assert slack_run().status == RunStatus.RETRYING

    WorkflowRun.objects.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=5))
    with committed():
        engine.sweep_outbox(older_than=dt.timedelta(0))

    assert slack_run().status == RunStatus.SUCCEEDED
    assert len(remote.slack_posts) == 2


def test_the_outbox_sweep_does_not_enqueue_an_event_whose_task_is_still_queued(
    admin, company, other_company, settings
):
    """With the database backend a busy worker's queue is visible: an event whose task waits
    there is not enqueued a second time; one whose task was lost is."""
    from django_tasks_db.models import DBTaskResult

    from tests.automation import reset_task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reset_task_backends()
    try:
        queued, lost = (
            won_event(win(email_deal(admin, c), by=admin)) for c in (company, other_company)
        )
        process_event_task.enqueue(event_id=queued.pk)

        engine.sweep_outbox(older_than=dt.timedelta(0))
        engine.sweep_outbox(older_than=dt.timedelta(0))

        waiting = DBTaskResult.objects.filter(task_path=process_event_task.module_path)
        per_event = [r.args_kwargs["kwargs"]["event_id"] for r in waiting]
        assert per_event.count(queued.pk) == 1
        assert per_event.count(lost.pk) == 1

        # A task "running" for longer than the sweep's age belongs to a worker that died.
        waiting.filter(args_kwargs__kwargs__event_id=queued.pk).update(
            status="RUNNING", started_at=timezone.now() - dt.timedelta(minutes=10)
        )
        Event.objects.filter(pk=queued.pk).update(
            occurred_at=timezone.now() - dt.timedelta(minutes=5)
        )
        engine.sweep_outbox(older_than=dt.timedelta(minutes=1))
        per_event = [r.args_kwargs["kwargs"]["event_id"] for r in waiting.all()]
        assert per_event.count(queued.pk) == 2
    finally:
        settings.TASKS = {
            "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
        }
        reset_task_backends()


@pytest.mark.usefixtures("dispatch")
def test_an_issue_opened_before_a_failed_step_commit_is_not_opened_again(
    admin, agent, company, integrations, remote, deferring_tasks, committed, monkeypatch
):
    """GitHub answered, then the step's own write failed (a lock timeout, say): the retry
    finds the issue number saved right after the call and does not open a second issue."""
    from partnerdesk.automation import actions

    automation_services.workflow_set_enabled(
        by=admin, workflow=workflow("bug-confirmed-github"), enabled=True
    )
    bug = open_ticket(agent, "Bug Investigation", now=timezone.now(), company=company)
    real_apply = actions.GithubIssue.apply
    failures = [RuntimeError("database is locked")]

    def apply_failing_once(self, **kwargs):
        if failures:
            raise failures.pop()
        return real_apply(self, **kwargs)

    monkeypatch.setattr(actions.GithubIssue, "apply", apply_failing_once)
    with committed():
        move(bug, "Bug Confirmed & Issue Opened", by=agent, now=timezone.now())
    assert WorkflowRun.objects.get(workflow__key="bug-confirmed-github").status == "retrying"
    while deferring_tasks:
        with committed():
            run_deferred()

    run = WorkflowRun.objects.get(workflow__key="bug-confirmed-github")
    assert run.status == RunStatus.SUCCEEDED
    assert len(remote.github_calls) == 1
    assert reload(bug).properties["issue_tracker_number"] == "42"
