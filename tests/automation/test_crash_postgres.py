"""Crash test on PostgreSQL: 1,000 deals won, real ``db_worker`` processes, one SIGKILLed in the
middle, a new one started (with the outbox sweep): exactly 1,000 Email Creation tickets, one per
deal, none twice, none missing, every event processed.

The deals are written with bulk_create (no event: they are just there); each win goes through
crm.services.deal_move, which records the event in the outbox, where the workers take events in
batches (``automation.outbox``: a batch is one transaction, so a worker killed mid-batch leaves
nothing half done). The workers are subprocesses with the production settings pointed at the
test database. Run with -s to see the timings:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qa_automation .venv/bin/python -m pytest \
        tests/automation/test_crash_postgres.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import engine, outbox
from partnerdesk.automation.models import RunStatus, WorkflowRun
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from partnerdesk.crm.models import Company, Deal, LineItem
from partnerdesk.notifications import services as notification_services
from partnerdesk.notifications.models import Kind
from partnerdesk.tickets.models import Ticket
from tests.automation import EMAIL_DEAL_PROPERTIES, deal_pipeline, product, reset_task_backends
from tests.conftest import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DEALS = 1_000
KILL_AT = 300
TIMEOUT = 150  # seconds, for each phase


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """``db_worker`` subprocesses with the production settings, pointed at the test database.

    A worker that stops cleanly without being told to (exit 0 or SIGTERM: something else on
    the machine stopped it) is replaced and reported; any other exit fails the test."""

    def __init__(self, log_dir: Path):
        self.log_dir, self.running, self.started, self.replaced = log_dir, [], 0, []

    def start(self) -> subprocess.Popen:
        self.started += 1
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
            "PARTNERDESK_DISPATCH_EVENTS": "true",
            "PARTNERDESK_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_URL": "dummy:",
            "LOG_LEVEL": "WARNING",
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=(self.log_dir / f"worker-{self.started}.out").open("w"),
            stderr=(self.log_dir / f"worker-{self.started}.err").open("w"),
        )
        self.running.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        self.running.remove(worker)

    def check(self) -> None:
        for worker in list(self.running):
            code = worker.poll()
            if code is None:
                continue
            assert code in (0, -signal.SIGTERM), f"a worker died with {code}; see {self.log_dir}"
            self.running.remove(worker)
            self.replaced.append(code)
            print(f"a worker was stopped from outside (exit {code}): starting another")
            self.start()

    def stop_all(self) -> None:
        for worker in list(self.running):
            self.kill(worker)

    def errors(self) -> str:
        return "".join(p.read_text() for p in sorted(self.log_dir.glob("worker-*.err")))


def won_events():
    return Event.objects.filter(kind="deal.stage_changed", data__kind="won")


def new_client_runs():
    return WorkflowRun.objects.filter(workflow__key="email-won-new-client")


def progress() -> str:
    return (
        f"{Ticket.objects.count()} tickets, "
        f"{Event.objects.filter(processed_at__isnull=True).count()} events unprocessed, "
        f"{DBTaskResult.objects.ready().count()} tasks waiting"
    )


def wait_for(condition, what: str, workers: Workers) -> float:
    started = time.monotonic()
    while not condition():
        workers.check()
        assert time.monotonic() - started < TIMEOUT, f"timed out waiting for {what}: {progress()}"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def database_tasks(settings):
    settings.PARTNERDESK_DISPATCH_EVENTS = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reset_task_backends()
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset_task_backends()


def won_ready_deals(count: int) -> list[Deal]:
    """Deals in New with everything Closed Won requires, one new client each (bulk)."""
    pipeline = deal_pipeline("Email Subscription")
    first = pipeline.stages.order_by("order", "id").first()
    mailbox = product("email-10gb")
    companies = Company.objects.bulk_create(
        Company(name=f"Client {i}", domain=f"client{i}.example", country="EG") for i in range(count)
    )
    now = timezone.now()
    deals = Deal.objects.bulk_create(
        Deal(
            name=f"Mailboxes {i}",
            pipeline=pipeline,
            stage=first,
            company=company,
            amount=Decimal("70"),
            stage_entered_at=now,
            properties={**EMAIL_DEAL_PROPERTIES, "domain_name": company.domain},
        )
        for i, company in enumerate(companies)
    )
    LineItem.objects.bulk_create(
        LineItem(deal=deal, product=mailbox, quantity=2, unit_price=mailbox.unit_price)
        for deal in deals
    )
    return deals


@pytest.mark.usefixtures("database_tasks")
def test_a_worker_killed_mid_way_loses_and_duplicates_nothing(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the crash test runs on PostgreSQL")
    lead = make_user("lead@agency.test", Role.AGENT)
    Team.objects.filter(name="Support Team").update(lead=lead)
    # One "assigned to you" email per ticket would only add 1,000 tasks to wait for.
    notification_services.set_preferences(user=lead, values={Kind.ASSIGNED: (True, False)})
    admin = make_user("admin@agency.test", Role.ADMIN)
    deals = won_ready_deals(DEALS)
    won = deals[0].pipeline.stages.get(name="Closed Won")

    started = time.monotonic()
    for deal in deals:
        crm.deal_move(deal=deal, stage=won, by=admin)  # the event, in the outbox
    print(f"\n{DEALS} deals won in {time.monotonic() - started:.1f} s")
    assert won_events().filter(processed_at__isnull=True).count() == DEALS
    assert not DBTaskResult.objects.exists()  # the workers drain the outbox: no task per event
    assert not Ticket.objects.exists()

    def tickets() -> int:
        return Ticket.objects.count()

    workers = Workers(tmp_path)
    try:
        first = workers.start()
        took = wait_for(lambda: tickets() >= KILL_AT, f"{KILL_AT} tickets", workers)
        workers.kill(first if first in workers.running else workers.running[0])
        at_kill = tickets()
        running = DBTaskResult.objects.running().count()
        interrupted = new_client_runs().exclude(status=RunStatus.SUCCEEDED).count()
        print(
            f"worker killed after {took:.1f} s with {at_kill} tickets, {running} task running, "
            f"{interrupted} run unfinished"
        )
        assert KILL_AT <= at_kill < DEALS
        assert running <= 1  # a task the dead worker had claimed stays "running"
        assert interrupted == 0  # a batch commits its runs whole, or not at all

        workers.start()
        swept = engine.sweep_outbox(older_than=dt.timedelta(0))
        print(f"outbox sweep re-enqueued {swept} unprocessed events")

        def done() -> bool:
            return (
                tickets() >= DEALS
                and not won_events().filter(processed_at__isnull=True).exists()
                and not new_client_runs().exclude(status=RunStatus.SUCCEEDED).exists()
            )

        took = wait_for(done, "every deal-won event processed", workers)
        print(f"the new worker processed the rest in {took:.1f} s ({progress()})")
    finally:
        workers.stop_all()

    email_creation = Ticket.objects.filter(pipeline__name="Email Creation")
    deal_ids = list(email_creation.values_list("deal_id", flat=True))
    assert len(deal_ids) == DEALS
    assert sorted(deal_ids) == sorted(d.pk for d in deals)  # one per deal: none twice or missing
    assert Ticket.objects.count() == DEALS  # and no other ticket
    assert set(email_creation.values_list("stage__name", flat=True)) == {"New"}
    assert set(email_creation.values_list("owner_id", flat=True)) == {lead.pk}
    runs = new_client_runs()
    assert runs.count() == DEALS
    assert set(runs.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}
    assert sorted(runs.values_list("event__subject_id", flat=True)) == sorted(d.pk for d in deals)
    skipped = WorkflowRun.objects.filter(workflow__key="email-won-existing-client")
    assert set(skipped.values_list("status", flat=True)) == {RunStatus.SKIPPED}
    assert won_events().count() == DEALS
    assert not won_events().filter(processed_at__isnull=True).exists()
    assert Event.objects.filter(kind="workflow.ran").count() == DEALS
    # Nothing lost: an event still unprocessed (what the tickets' creation and assignment
    # recorded, when the workers were stopped) is in the outbox, where the next batch takes
    # it — or, held for a task of its own, has that task waiting once the sweep has
    # re-enqueued those that stopping the workers above interrupted.
    engine.sweep_outbox(older_than=dt.timedelta(0))
    waiting = {
        r.args_kwargs["kwargs"]["event_id"]
        for r in DBTaskResult.objects.ready().filter(task_path__endswith="process_event_task")
    }
    held = Event.objects.filter(processed_at__isnull=True, outbox_hold__isnull=False)
    assert set(held.values_list("pk", flat=True)) <= waiting
    while outbox.drain(seconds=30):
        pass
    unprocessed = Event.objects.filter(processed_at__isnull=True, outbox_hold__isnull=True)
    assert not unprocessed.exists()
    assert Ticket.objects.count() == DEALS  # and the rest created no second ticket
    failed = list(DBTaskResult.objects.failed().values_list("task_path", "exception_class_path"))
    assert failed == []
    assert "Traceback" not in workers.errors(), workers.errors()[-3000:]
