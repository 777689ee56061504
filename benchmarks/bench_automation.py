"""Benchmark of event processing: deal won → Email Creation ticket, with one and two workers.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_automation.py [--deals 500] [--conn-max-age 0] [--keep]

Each round creates ``--deals`` Email Subscription deals ready to be won (one new client each,
written in bulk), wins every one through ``crm.services.deal_move`` (the deal-won events are
recorded, not yet handed to a worker), starts the workers (``manage.py db_worker``
subprocesses with the production settings) and waits until they are idle; then the clock
starts, the events' tasks are enqueued in one transaction, and the round ends when every deal
has its ticket. The figure is deal-won events per second, from the enqueue to the last ticket.
The workers also process what those runs cause (ticket.created, assignment, notification
emails to a ``dummy:`` mailer, the workflow.ran timeline events); the time until the queue is
empty is printed too. Round 1 uses one worker, round 2 two workers.

``--conn-max-age`` is passed to the workers as CONN_MAX_AGE (default: 0, the setting's
default, which opens a new database connection for every task).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _postgres import (  # noqa: E402  (benchmarks/ is on sys.path when run)
    database_url,
    migrated_database,
    server_settings,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=500, help="deals won per round")
    parser.add_argument("--conn-max-age", type=int, default=0, help="CONN_MAX_AGE of the workers")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per round at most")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return parser.parse_args()


class Workers:
    def __init__(self, env: dict, count: int, log_dir: Path):
        self.logs = [log_dir / f"bench-worker-{os.getpid()}-{i}.log" for i in range(count)]
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--no-reload",
                    "--no-startup-delay",
                    "--interval",
                    "0.05",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            for log in self.logs
        ]

    def wait_ready(self, timeout: float = 60) -> None:
        started = time.monotonic()
        while not all("Starting worker" in log.read_text() for log in self.logs):
            self.check()
            if time.monotonic() - started > timeout:
                sys.exit("The workers did not start; see " + ", ".join(map(str, self.logs)))
            time.sleep(0.05)

    def check(self) -> None:
        for process, log in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                sys.exit(f"A worker exited with {process.returncode}:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.unlink(missing_ok=True)


def won_ready_deals(count: int, round_no: int, admin):
    from partnerdesk.crm.models import Company, Deal, LineItem, Pipeline, Product

    pipeline = Pipeline.objects.get(object_type="deal", name="Email Subscription")
    first = pipeline.stages.order_by("order", "id").first()
    product = Product.objects.get(sku="email-10gb")
    companies = Company.objects.bulk_create(
        Company(name=f"Client {round_no}-{i}", domain=f"client{round_no}-{i}.example")
        for i in range(count)
    )
    deals = Deal.objects.bulk_create(
        Deal(
            name=f"Mailboxes {round_no}-{i}",
            pipeline=pipeline,
            stage=first,
            company=company,
            owner=admin,
            amount=Decimal("70"),
            properties={
                "purchased_mailbox_names": "info, sales",
                "domain_name": company.domain,
                "number_of_licences": 2,
            },
        )
        for i, company in enumerate(companies)
    )
    LineItem.objects.bulk_create(
        LineItem(deal=deal, product=product, quantity=2, unit_price=product.unit_price)
        for deal in deals
    )
    return deals, pipeline.stages.get(name="Closed Won")


def run_round(*, round_no: int, workers: int, deals_count: int, env: dict, admin, timeout):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from partnerdesk.automation.tasks import process_event_task
    from partnerdesk.core.models import Event
    from partnerdesk.crm import services as crm
    from partnerdesk.tickets.models import Ticket

    deals, won = won_ready_deals(deals_count, round_no, admin)
    for deal in deals:
        crm.deal_move(deal=deal, stage=won, by=admin)  # dispatch is off in this process
    events = list(
        Event.objects.filter(
            kind="deal.stage_changed", subject_id__in=[d.pk for d in deals], processed_at=None
        ).values_list("pk", flat=True)
    )
    assert len(events) == deals_count
    Event.objects.exclude(pk__in=events).filter(processed_at=None).update(processed_at=time_now())
    tickets = Ticket.objects.filter(deal__in=deals)

    pool = Workers(env, workers, Path("/tmp"))  # noqa: S108
    try:
        pool.wait_ready()
        started = time.monotonic()
        with transaction.atomic():
            for pk in events:
                process_event_task.enqueue(event_id=pk)
        while tickets.count() < deals_count:
            pool.check()
            if time.monotonic() - started > timeout:
                sys.exit(f"Round {round_no} timed out with {tickets.count()} tickets")
            time.sleep(0.02)
        won_seconds = time.monotonic() - started
        while DBTaskResult.objects.ready().exists() or DBTaskResult.objects.running().exists():
            pool.check()
            if time.monotonic() - started > timeout:
                sys.exit(f"Round {round_no}: the queue did not empty")
            time.sleep(0.05)
        drain_seconds = time.monotonic() - started
    finally:
        pool.stop()
    tasks = DBTaskResult.objects.filter(enqueued_at__isnull=False).count()
    failed = DBTaskResult.objects.failed().count()
    DBTaskResult.objects.all().delete()
    assert tickets.count() == deals_count and failed == 0, (tickets.count(), failed)
    return won_seconds, drain_seconds, tasks


def time_now():
    from django.utils import timezone

    return timezone.now()


def main() -> None:
    args = parse_args()
    config = server_settings("SQLite has one writer at a time, so a second worker cannot help")
    name = f"partnerdesk_bench_{os.getpid()}"
    url = database_url(config, name)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="partnerdesk.settings",
        PARTNERDESK_DISPATCH_EVENTS="false",
        PARTNERDESK_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_URL="dummy:",
        LOG_LEVEL="WARNING",
    )
    env = {
        **os.environ,
        "PARTNERDESK_DISPATCH_EVENTS": "true",
        "CONN_MAX_AGE": str(args.conn_max_age),
    }
    with migrated_database(config, name, keep=args.keep) as ready:
        print(
            f"{ready}; {args.deals} deals per round; workers' CONN_MAX_AGE={args.conn_max_age}",
            flush=True,
        )
        from partnerdesk.accounts.models import Role, Team, User

        admin = User.objects.create_user(
            "bench@agency.test", None, full_name="Bench", role=Role.ADMIN
        )
        Team.objects.filter(name="Support Team").update(lead=admin)
        results = {}
        for round_no, workers in enumerate((1, 2), start=1):
            won_seconds, drain_seconds, tasks = run_round(
                round_no=round_no,
                workers=workers,
                deals_count=args.deals,
                env=env,
                admin=admin,
                timeout=args.timeout,
            )
            results[workers] = args.deals / won_seconds
            print(
                f"{workers} worker{'s' if workers > 1 else ' '}: {args.deals} deal-won events → "
                f"tickets in {won_seconds:.1f} s = {results[workers]:.1f} events/s; "
                f"all {tasks} tasks done in {drain_seconds:.1f} s = {tasks / drain_seconds:.1f} tasks/s"
            )
        print(f"speed-up with 2 workers: ×{results[2] / results[1]:.2f}")


if __name__ == "__main__":
    main()
