"""Benchmark of event processing: deal won → Email Creation ticket, with one and two workers.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_automation.py [--deals 500] [--repeat 2] [--keep]

Each round creates ``--deals`` Email Subscription deals ready to be won (one new client each,
written in bulk) and wins every one through ``crm.services.deal_move``; the deal-won events
are recorded and set aside (marked processed) before the workers start. The workers
(``manage.py db_worker`` subprocesses, DEBUG off as in production) are started and waited for;
then the clock starts and the events are released in one transaction (their ``processed_at``
cleared, and their tasks enqueued when the workers take events from tasks rather than from
the outbox). Two figures:

- **→ tickets**: deal-won events per second until every deal has its ticket;
- **all done**: until everything those events cause is done — the ticket assigned, the
  assignment notification created and emailed (to a ``dummy:`` mailer), the ``ticket.created``
  and ``workflow.ran`` events processed, no task waiting or running.

Round 1 uses one worker, round 2 two (``--workers 1,2``); each is run ``--repeat`` times (fresh
deals each time) and the best is reported with the others. The CPU seconds the workers and
the PostgreSQL server spent per event are printed too: on a machine shared with other work
they say more than the wall clock (the server's figure is its backends serving the workers).

``--conn-max-age`` sets the workers' PARTNERDESK_WORKER_CONN_MAX_AGE (and CONN_MAX_AGE);
by default the settings' own (the workers keep their connection). ``--env NAME=VALUE`` passes
more settings to the workers (e.g. ``PARTNERDESK_OUTBOX_BATCH=20``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
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

SET_ASIDE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
POLL, SAMPLE = (
    0.1,
    0.5,
)  # seconds between checks for the end of a round, between CPU samples  # processed_at of the events not yet released
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=500, help="deals won per round")
    parser.add_argument("--workers", default="1,2", help="workers per round, comma-separated")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each round (best shown)")
    parser.add_argument("--conn-max-age", type=int, default=None, help="workers' CONN_MAX_AGE")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the workers")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per round at most")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return parser.parse_args()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


class ServerCpu:
    """CPU seconds of the PostgreSQL backends serving the benchmark database (the workers'
    connections; not this process's own, nor autovacuum's), sampled while the round runs: a
    backend that lives
    shorter than a sample (CONN_MAX_AGE=0: one connection per task) is partly missed, so the
    figure is a lower bound there."""

    def __init__(self):
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.sampled = 0.0
        self.sample()
        self.first = dict(self.last)

    def sample(self, *, every: float = 0.0) -> None:
        from django.db import connection

        if time.monotonic() - self.sampled < every:
            return
        self.sampled = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            cpu = cpu_seconds(pid)
            if cpu:
                self.last[pid] = cpu

    def seconds(self) -> float:
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())


class Workers:
    def __init__(self, env: dict, count: int, log_dir: Path, label: str):
        self.logs = [log_dir / f"bench-worker-{os.getpid()}-{label}-{i}.log" for i in range(count)]
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
        """Until every worker has recorded its heartbeat (it beats before its first claim)."""
        from partnerdesk.core.models import WorkerHeartbeat

        started = time.monotonic()
        pids = {p.pid for p in self.processes}
        while WorkerHeartbeat.objects.filter(pid__in=pids, stopped_at=None).count() < len(pids):
            self.check()
            if time.monotonic() - started > timeout:
                sys.exit("The workers did not start; see " + ", ".join(map(str, self.logs)))
            time.sleep(0.05)
        time.sleep(0.5)  # past the first close_old_connections and pollers' set-up

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

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
            if "Traceback" in log.read_text():
                print(f"worker log with a traceback kept: {log}")
            else:
                log.unlink(missing_ok=True)


def won_ready_deals(count: int, label: str, admin):
    from partnerdesk.crm.models import Company, Deal, LineItem, Pipeline, Product

    pipeline = Pipeline.objects.get(object_type="deal", name="Email Subscription")
    first = pipeline.stages.order_by("order", "id").first()
    product = Product.objects.get(sku="email-10gb")
    companies = Company.objects.bulk_create(
        Company(name=f"Client {label}-{i}", domain=f"client{label}-{i}.example")
        for i in range(count)
    )
    deals = Deal.objects.bulk_create(
        Deal(
            name=f"Mailboxes {label}-{i}",
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


def outbox_drained() -> bool:
    """Whether this code's workers take events from the outbox (else from a task per event)."""
    return importlib.util.find_spec("partnerdesk.automation.outbox") is not None


def all_done(deals, tickets) -> bool:
    from django_tasks_db.models import DBTaskResult

    from partnerdesk.core.models import Event
    from partnerdesk.notifications.models import Notification

    if DBTaskResult.objects.ready().exists() or DBTaskResult.objects.running().exists():
        return False
    if Event.objects.filter(processed_at__isnull=True).exists():
        return False
    if tickets.filter(owner__isnull=True).exists():
        return False
    urls = [f"/app/tickets/{pk}/" for pk in tickets.values_list("pk", flat=True)]
    emailed = Notification.objects.filter(url__in=urls, kind="assigned", emailed_at__isnull=False)
    return emailed.count() == len(deals)


def run_round(*, label: str, workers: int, deals_count: int, env: dict, admin, timeout):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from partnerdesk.automation.tasks import process_event_task
    from partnerdesk.core.models import Event
    from partnerdesk.crm import services as crm
    from partnerdesk.tickets.models import Ticket

    deals, won = won_ready_deals(deals_count, label, admin)
    for deal in deals:
        crm.deal_move(deal=deal, stage=won, by=admin)  # dispatch is off in this process
    events = list(
        Event.objects.filter(
            kind="deal.stage_changed", subject_id__in=[d.pk for d in deals], processed_at=None
        ).values_list("pk", flat=True)
    )
    assert len(events) == deals_count
    Event.objects.filter(processed_at=None).update(processed_at=SET_ASIDE)
    tickets = Ticket.objects.filter(deal__in=deals)

    pool = Workers(env, workers, Path("/tmp"), label)  # noqa: S108
    try:
        pool.wait_ready()
        cpu, server = pool.cpu(), ServerCpu()
        started = time.monotonic()
        with transaction.atomic():
            Event.objects.filter(pk__in=events).update(processed_at=None)
            if not outbox_drained():
                for pk in events:
                    process_event_task.enqueue(event_id=pk)
        # Polled every POLL seconds (the server's CPU every SAMPLE): on two cores, a tighter
        # loop takes CPU from the workers it measures.
        while tickets.count() < deals_count:
            pool.check()
            server.sample(every=SAMPLE)
            if time.monotonic() - started > timeout:
                sys.exit(f"Round {label} timed out with {tickets.count()} tickets")
            time.sleep(POLL)
        won_seconds = time.monotonic() - started
        while not all_done(deals, tickets):
            pool.check()
            server.sample(every=SAMPLE)
            if time.monotonic() - started > timeout:
                sys.exit(f"Round {label}: the follow-up work did not finish")
            time.sleep(POLL)
        drain_seconds = time.monotonic() - started
        server.sample()
        cpu, server_cpu = pool.cpu() - cpu, server.seconds()
    finally:
        pool.stop()
    tasks = DBTaskResult.objects.filter(enqueued_at__isnull=False).count()
    failed = DBTaskResult.objects.failed().count()
    DBTaskResult.objects.all().delete()
    assert tickets.count() == deals_count and failed == 0, (tickets.count(), failed)
    return {
        "won": deals_count / won_seconds,
        "done": deals_count / drain_seconds,
        "won_s": won_seconds,
        "done_s": drain_seconds,
        "tasks": tasks,
        "cpu_ms": 1000 * cpu / deals_count,
        "server_ms": 1000 * server_cpu / deals_count,
    }


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
    env = {**os.environ, "PARTNERDESK_DISPATCH_EVENTS": "true", "DEBUG": "false"}
    if args.conn_max_age is not None:
        env["CONN_MAX_AGE"] = env["PARTNERDESK_WORKER_CONN_MAX_AGE"] = str(args.conn_max_age)
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    counts = [int(n) for n in args.workers.split(",")]
    with migrated_database(config, name, keep=args.keep) as ready:
        extra = " ".join(
            args.env
            + ([f"conn-max-age={args.conn_max_age}"] if args.conn_max_age is not None else [])
        )
        print(
            f"{ready}; {args.deals} deals per round; hand-off: "
            f"{'outbox' if outbox_drained() else 'a task per event'}; {extra or 'defaults'}",
            flush=True,
        )
        from partnerdesk.accounts.models import Role, Team, User

        admin = User.objects.create_user(
            "bench@agency.test", None, full_name="Bench", role=Role.ADMIN
        )
        Team.objects.filter(name="Support Team").update(lead=admin)
        best = {}
        for workers in counts:
            runs = []
            for attempt in range(1, args.repeat + 1):
                result = run_round(
                    label=f"{workers}-{attempt}",
                    workers=workers,
                    deals_count=args.deals,
                    env=env,
                    admin=admin,
                    timeout=args.timeout,
                )
                runs.append(result)
                print(
                    f"{workers} worker{'s' if workers > 1 else ' '} run {attempt}: "
                    f"→ tickets {result['won']:6.1f} events/s ({result['won_s']:.1f} s); "
                    f"all done {result['done']:6.1f} events/s ({result['done_s']:.1f} s, "
                    f"{result['tasks']} tasks); CPU per event: workers {result['cpu_ms']:.1f} ms, "
                    f"PostgreSQL {result['server_ms']:.1f} ms; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            best[workers] = max(runs, key=lambda r: r["done"])
            print(
                f"{workers} worker{'s' if workers > 1 else ' '} best: "
                f"→ tickets {max(r['won'] for r in runs):.1f} events/s, "
                f"all done {best[workers]['done']:.1f} events/s",
                flush=True,
            )
        if len(counts) > 1:
            first, last = best[counts[0]]["done"], best[counts[-1]]["done"]
            print(f"speed-up with {counts[-1]} workers: ×{last / first:.2f}")


if __name__ == "__main__":
    main()
