"""The outbox drain (automation.outbox): events claimed in batches, one transaction per batch.

- a batch where one event fails: the others commit, the failing one is held and retried alone
  (with backoff), and is not doubled;
- an event whose workflow calls another system leaves the batch for a task of its own;
- a batch's notification emails are one task, committed with the batch;
- the sweep re-enqueues only what a task holds when the workers drain the outbox;
- PostgreSQL: threads draining at once never process one event twice, and the events of one
  record are processed in the order they were recorded.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import engine, outbox
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import OutboxHold, RunStatus, WorkflowRun
from partnerdesk.automation.tasks import process_event_task
from partnerdesk.core.events import record_event
from partnerdesk.core.models import Event
from partnerdesk.core.records import in_first_pass
from partnerdesk.crm import services as crm
from partnerdesk.notifications import tasks as notification_tasks
from partnerdesk.notifications.models import Notification
from partnerdesk.notifications.tasks import send_notification_email, send_notification_emails
from partnerdesk.tickets.models import Ticket
from tests.automation import email_deal, reset_task_backends, win, workflow
from tests.conftest import make_user
from tests.tickets import move, open_ticket

pytestmark = pytest.mark.django_db

NEW_CLIENT = "email-won-new-client"


@pytest.fixture
def drained(settings):
    """As in production: events handed over, the database task backend, whose workers drain
    the outbox."""
    settings.PARTNERDESK_DISPATCH_EVENTS = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reset_task_backends()
    assert engine.drained()
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset_task_backends()


def won_event(deal) -> Event:
    return Event.objects.get(kind="deal.stage_changed", subject_id=deal.pk, data__kind="won")


def retries_of(event) -> list[DBTaskResult]:
    """The queued (or deferred) tasks that process ``event`` on its own."""
    return list(
        DBTaskResult.objects.filter(
            status="READY",
            task_path=process_event_task.module_path,
            args_kwargs__kwargs__event_id=event.pk,
        )
    )


def drain_all() -> int:
    """Drain until the outbox has nothing left (one ``drain`` stops after a second)."""
    total = 0
    while taken := outbox.drain():
        total += taken
    return total


def run_task_row(row: DBTaskResult):
    return row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


@pytest.fixture
def clients(admin):
    return [
        crm.company_create(by=admin, name=f"Client {i}", domain=f"client{i}.example")
        for i in range(3)
    ]


@pytest.mark.usefixtures("drained")
def test_a_failing_event_leaves_the_batch_and_is_retried_alone_once(
    admin, clients, support_lead, monkeypatch
):
    deals = [email_deal(admin, client) for client in clients]
    for deal in deals:
        win(deal, by=admin)  # the workers drain the outbox: no task per event
    events = [won_event(deal) for deal in deals]
    assert not DBTaskResult.objects.exists()
    failing = events[1]
    handled = Counter()
    real = engine.run_handlers

    def run_handlers(event, subject):
        handled[event.pk] += 1
        real(event, subject)
        if event.pk == failing.pk:
            raise RuntimeError("the SMTP relay is down")

    monkeypatch.setattr(engine, "run_handlers", run_handlers)

    taken = drain_all()
    # The batch ran without a savepoint per event until the second raised, was rolled back
    # whole, and ran again with them: the first was handled twice, committed once.
    assert [handled[e.pk] for e in events] == [2, 2, 1]
    after_batch = handled.copy()

    assert taken >= 3  # the three, and the follow-ups of the two that committed
    assert Ticket.objects.filter(deal=deals[0]).count() == 1
    assert Ticket.objects.filter(deal=deals[2]).count() == 1
    assert not Ticket.objects.filter(deal=deals[1]).exists()  # rolled back with its savepoint
    assert not WorkflowRun.objects.filter(event=failing).exists()
    for event in (events[0], events[2]):
        event.refresh_from_db()
        assert event.processed_at is not None
    failing.refresh_from_db()
    assert failing.processed_at is None
    hold = OutboxHold.objects.get(event=failing)
    assert hold.reason == OutboxHold.Reason.FAILED and hold.attempts == 1
    assert "SMTP relay is down" in hold.error
    assert hold.retry_at > timezone.now() + dt.timedelta(seconds=20)  # 30 s backoff
    [retry] = retries_of(failing)
    assert retry.run_after == hold.retry_at

    # Later batches leave it to its retry: nothing is processed twice meanwhile.
    assert outbox.drain() == 0
    assert handled == after_batch

    # Its retry fails again: a longer wait, another retry queued.
    with pytest.raises(RuntimeError):
        process_event_task.call(event_id=failing.pk)
    hold.refresh_from_db()
    assert hold.attempts == 2 and hold.retry_at > timezone.now() + dt.timedelta(seconds=50)

    monkeypatch.setattr(engine, "run_handlers", real)
    assert run_task_row(retry) == 2  # the new-client run and the skipped existing-client run
    assert run_task_row(retry) == 0  # a second copy of the retry: already processed
    drain_all()  # its follow-ups

    assert Ticket.objects.filter(deal=deals[1]).count() == 1
    assert Ticket.objects.count() == 3
    assert not OutboxHold.objects.exists()
    assert not Event.objects.filter(processed_at__isnull=True).exists()
    runs = WorkflowRun.objects.filter(workflow__key=NEW_CLIENT)
    assert runs.count() == 3 and {r.status for r in runs} == {RunStatus.SUCCEEDED}
    assert Event.objects.filter(kind="workflow.ran").count() == 3


@pytest.fixture
def passes(monkeypatch) -> Counter:
    """How many generations the batches processed on a first pass (False) and a careful one
    (True)."""
    counted: Counter = Counter()
    real = outbox._process

    def process(events, workflows):
        counted[not in_first_pass()] += 1
        return real(events, workflows)

    monkeypatch.setattr(outbox, "_process", process)
    return counted


@pytest.mark.usefixtures("drained")
def test_a_first_pass_writes_the_runs_it_makes_once_with_the_batch(
    admin, clients, support_lead, passes
):
    # The runs a generation makes are written together at its end (engine.NewRuns): each deal
    # won has its run of one workflow, done, and of the other, skipped, exactly once.
    deals = [email_deal(admin, client) for client in clients]
    for deal in deals:
        win(deal, by=admin)
    drain_all()
    assert passes[True] == 0  # nothing raised: first passes only
    for run in WorkflowRun.objects.filter(workflow__key=NEW_CLIENT):
        # Written at the end of its generation with the id its steps and outcome named.
        assert run.status == RunStatus.SUCCEEDED and run.step == len(run.log) == 2
        assert Notification.objects.filter(dedupe_key=f"run:{run.pk}:assign").count() == 1
        assert Event.objects.filter(kind="workflow.ran", data__run_id=run.pk).count() == 1
    again = win(email_deal(admin, clients[0], name="More mailboxes"), by=admin)
    drain_all()

    for deal, ran in [*((d, NEW_CLIENT) for d in deals), (again, "email-won-existing-client")]:
        runs = {r.workflow.key: r for r in WorkflowRun.objects.filter(event=won_event(deal))}
        assert set(runs) == {NEW_CLIENT, "email-won-existing-client"}
        assert runs.pop(ran).status == RunStatus.SUCCEEDED
        [skipped] = runs.values()
        assert skipped.status == RunStatus.SKIPPED and skipped.finished_at is not None
    assert WorkflowRun.objects.filter(event__kind="deal.stage_changed").count() == 8
    assert Ticket.objects.filter(deal__in=[*deals, again]).count() == 4


@pytest.mark.usefixtures("drained")
def test_a_batch_asks_for_the_configurations_stamp_at_most_once_and_reads_what_is_kept(
    admin, clients, support_lead
):
    import re

    from django.test.utils import CaptureQueriesContext

    from partnerdesk.core import configuration

    win(email_deal(admin, clients[0]), by=admin)
    drain_all()  # the configuration a won deal's ticket needs, read once by this process
    win(email_deal(admin, clients[1]), by=admin)
    batches = 0
    with CaptureQueriesContext(connection) as queries:
        while outbox.process_batch(outbox.batch_size()):
            batches += 1
    sql = [q["sql"] for q in queries.captured_queries]
    assert 1 <= sql.count(configuration._STAMP_SQL) <= batches
    read = {t for s in sql for t in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', s)}
    assert not read & {"sla_slapolicy", "sla_calendar", "sla_holiday", "crm_propertydefinition"}
    assert Ticket.objects.filter(deal__company=clients[1]).count() == 1


@pytest.mark.usefixtures("drained")
def test_a_step_a_rule_refuses_fails_its_run_and_keeps_the_steps_before_it(admin, clients, passes):
    # The assignment step finds the support team empty. On the batch's first pass (a fresh
    # run's steps without savepoints, its row written with its last step) that rolls the whole
    # batch back; run again, each run fails at that step, keeping the ticket its first step
    # made, and the batch commits: nothing is held or retried.
    Team.objects.get(name="Support Team").members.clear()
    deals = [email_deal(admin, client) for client in clients]
    for deal in deals:
        win(deal, by=admin)

    drain_all()

    assert passes[False] >= 1 and passes[True] >= 1  # the first pass, then the careful one
    runs = WorkflowRun.objects.filter(workflow__key=NEW_CLIENT)
    assert runs.count() == 3
    for run in runs:
        assert run.status == RunStatus.FAILED and run.step == 1
        assert "Support Team" in run.error and run.log[0]["action"] == "create_ticket"
    assert Ticket.objects.filter(deal__in=deals, owner__isnull=True).count() == 3
    assert not OutboxHold.objects.exists()
    assert not Event.objects.filter(processed_at__isnull=True).exists()
    assert Event.objects.filter(kind="workflow.failed").count() == 3


@pytest.mark.usefixtures("drained")
def test_a_duplicate_notification_on_the_first_pass_is_skipped_on_the_second(agent, passes):
    # The first pass makes no savepoint around a notification: the duplicate of one that
    # exists rolls the batch back, and the second pass skips it in its savepoint and commits
    # the rest.
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now(), owner=agent)
    drain_all()
    with transaction.atomic():
        first, second = (
            record_event(kind="ticket.sla_breached", subject=ticket, data={"target": target})
            for target in ("first_response", "resolution")
        )
    earlier = Notification.objects.create(
        user=agent, kind="sla_breached", title="Sent before", dedupe_key=f"event:{first.pk}"
    )

    drain_all()

    assert passes[False] >= 1 and passes[True] >= 1
    mine = Notification.objects.filter(user=agent, kind="sla_breached")
    assert list(mine.filter(dedupe_key=f"event:{first.pk}")) == [earlier]  # not doubled
    assert mine.filter(dedupe_key=f"event:{second.pk}").count() == 1
    assert not Event.objects.filter(processed_at__isnull=True).exists()
    assert not OutboxHold.objects.exists()


@pytest.mark.usefixtures("drained")
def test_an_event_whose_workflow_calls_slack_is_processed_on_its_own(
    admin, agent, company, integrations, remote
):
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
    drain_all()  # the ticket's creation
    move(ticket, "Website Delivered", by=agent, now=timezone.now())
    moved = Event.objects.filter(kind="ticket.stage_changed", subject_id=ticket.pk).latest("pk")

    drain_all()

    assert remote.slack_posts == []  # never from inside the batch's transaction
    moved.refresh_from_db()
    assert moved.processed_at is None
    assert OutboxHold.objects.get(event=moved).reason == OutboxHold.Reason.ISOLATED
    [task] = DBTaskResult.objects.ready().filter(task_path=process_event_task.module_path)
    assert outbox.drain() == 0  # held: no other batch takes it

    run_task_row(task)

    assert len(remote.slack_posts) == 1
    moved.refresh_from_db()
    assert moved.processed_at is not None and not OutboxHold.objects.exists()
    run = WorkflowRun.objects.get(workflow__key="website-delivered-slack")
    assert run.status == RunStatus.SUCCEEDED


@pytest.mark.usefixtures("drained")
def test_the_sweep_re_enqueues_only_held_events_whose_task_was_lost(admin, clients):
    waiting, held = (won_event(win(email_deal(admin, c), by=admin)) for c in clients[:2])
    OutboxHold.objects.create(
        event=held, reason=OutboxHold.Reason.FAILED, attempts=1, retry_at=timezone.now()
    )
    Event.objects.update(occurred_at=timezone.now() - dt.timedelta(minutes=5))

    assert engine.sweep_outbox() == 1  # the unheld one is the drain's
    queued = DBTaskResult.objects.filter(task_path=process_event_task.module_path)
    assert [r.args_kwargs["kwargs"]["event_id"] for r in queued] == [held.pk]
    assert engine.sweep_outbox() == 0  # its task waits
    OutboxHold.objects.filter(event=held).update(retry_at=timezone.now() + dt.timedelta(hours=1))
    queued.delete()
    assert engine.sweep_outbox() == 0  # not due yet
    assert waiting.pk not in {
        r.args_kwargs["kwargs"]["event_id"] for r in DBTaskResult.objects.all()
    }


@pytest.mark.usefixtures("drained")
def test_a_batch_emails_its_notifications_with_one_task(admin, clients, monkeypatch, mailoutbox):
    lead = make_user("lead@agency.test", Role.AGENT)
    Team.objects.filter(name="Support Team").update(lead=lead)
    deals = [email_deal(admin, client) for client in clients]
    for deal in deals:
        win(deal, by=admin)
    monkeypatch.setattr(outbox, "batch_size", lambda: 50)  # every waiting event in one batch

    drain_all()

    assigned = list(Notification.objects.filter(user=lead, kind="assigned").order_by("pk"))
    assert len(assigned) == 3 and not any(n.emailed_at for n in assigned)
    [task] = DBTaskResult.objects.ready()  # committed with the batch: one for its emails
    assert task.task_path == send_notification_emails.module_path
    assert task.args_kwargs["kwargs"]["notification_ids"] == [n.pk for n in assigned]
    real = notification_tasks.email_message

    def email_message(notification):
        if notification.pk == assigned[1].pk:
            raise OSError("connection refused")
        return real(notification)

    monkeypatch.setattr(notification_tasks, "email_message", email_message)

    assert run_task_row(task) == {"sent": 2, "failed": 1, "skipped": 0}
    assert sorted(m.to[0] for m in mailoutbox) == [lead.email, lead.email]
    for notification in assigned:
        notification.refresh_from_db()
        assert notification.email_attempts == 1
    assert [n.emailed_at is not None for n in assigned] == [True, False, True]
    assert "connection refused" in assigned[1].email_error
    # The failed one is retried on its own, later.
    [retry] = DBTaskResult.objects.filter(task_path=send_notification_email.module_path)
    assert retry.args_kwargs["kwargs"] == {"notification_id": assigned[1].pk}
    monkeypatch.setattr(notification_tasks, "email_message", real)
    assert run_task_row(retry) == "sent"
    assert len(mailoutbox) == 3
    assert run_task_row(task) == {"sent": 0, "failed": 0, "skipped": 3}  # again: nothing twice


def test_without_the_database_backend_each_event_is_a_task_of_its_own(
    admin, company, support_lead, dispatch, committed
):
    assert not engine.drained()  # the immediate backend of the tests
    deal = email_deal(admin, company)
    with committed():
        win(deal, by=admin)
    assert won_event(deal).processed_at is not None
    assert Ticket.objects.filter(deal=deal).count() == 1


# ---------------------------------------------------------------- PostgreSQL: workers at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("drained")
def test_workers_draining_at_once_take_each_event_once_and_in_order(admin, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SELECT … FOR UPDATE SKIP LOCKED between connections: PostgreSQL")
    Team.objects.filter(name="Support Team").update(lead=admin)
    deals = []
    for index in range(24):
        client = crm.company_create(by=admin, name=f"Co {index}", domain=f"co{index}.example")
        deals.append(email_deal(admin, client))
        win(deals[-1], by=admin)
    # Several events about each of a few deals, to be processed in the order recorded.
    for round_no in range(5):
        for deal in deals[:6]:
            with transaction.atomic():
                record_event(kind="test.noted", subject=deal, data={"n": round_no})
    handled: list[tuple[tuple[int, int], int, int]] = []  # (record, event, thread)
    lock = threading.Lock()
    real = engine.handle_event

    def handle_event(event, subject, **kwargs):
        with lock:
            record = (event.subject_type_id, event.subject_id)
            handled.append((record, event.pk, threading.get_ident()))
        return real(event, subject, **kwargs)

    monkeypatch.setattr(engine, "handle_event", handle_event)
    monkeypatch.setattr(outbox, "batch_size", lambda: 4)  # many small batches, interleaved
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            idle = 0
            while idle < 3:  # until three drains in a row find nothing
                idle = idle + 1 if outbox.drain() == 0 else 0
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert not Event.objects.filter(processed_at__isnull=True).exists()
    seen = Counter(pk for _subject, pk, _thread in handled)
    assert seen and max(seen.values()) == 1, "an event was processed twice"
    assert set(seen) == set(Event.objects.values_list("pk", flat=True))  # every one, once
    assert len({thread for *_rest, thread in handled}) > 1, "one thread did everything"
    per_subject = defaultdict(list)
    for subject, pk, _thread in handled:
        per_subject[subject].append(pk)
    for subject, pks in per_subject.items():
        assert pks == sorted(pks), f"events of {subject} out of order: {pks}"
    for deal in deals:
        assert Ticket.objects.filter(deal=deal).count() == 1
    runs = WorkflowRun.objects.filter(workflow__key=NEW_CLIENT)
    assert runs.count() == 24 and {r.status for r in runs} == {RunStatus.SUCCEEDED}
