"""Benchmark of every registered report with a million tickets.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, filled and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_reports.py [--tickets 1000000] [--repeat 20] \\
        [--explain] [--keep]

The rows are the reports' scale rows (tests/reports/scale_rows.py, the ticket scale test's
tickets spread over two years, each with its stage history and SLA times, plus a client task per
10 tickets, an answered survey per 20 and a deflection per 50), written with bulk_create in
batches (a progress line per step; tickets and stage visits with COPY) with the big tables'
secondary indexes built once after the load, as a bulk load does; the database is then VACUUMed and ANALYZEd, as autovacuum
keeps a live one. Every report in ``reports.registry.REPORTS`` is requested through Django's test
Client — its page for the last 30 days as a manager and as an agent (their own and their team's
work), for the last 90 days and this quarter as a manager, and its CSV for the last 30 days —
once to warm up and ``--repeat`` times timed; for each the SQL query count, the median (p50)
and the 95th percentile (p95) of the wall time of the request (view, template and SQL, in this
process) and its slowest SQL query are printed. ``--explain`` prints the plan of each one's
slowest query (EXPLAIN ANALYZE). The goal: every report under 500 ms p95.

The settings are the project's (partnerdesk.settings) with DEBUG off; the query counts come
from CaptureQueriesContext, which turns on the debug cursor only while it is open.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _postgres import (  # noqa: E402  (benchmarks/ is on sys.path when run)
    database_url,
    migrated_database,
    server_settings,
)

sys.path.insert(0, str(ROOT))  # for tests.reports.scale_rows

GOAL_MS = 500
BATCH_SIZE = 5_000
BIG_TABLES = ("tickets_ticket", "tickets_ticketstagevisit", "portal_task")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the table")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per route")
    parser.add_argument("--explain", action="store_true", help="print each slowest plan")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--reports", nargs="*", metavar="SLUG", help="measure only these reports (default: all)"
    )
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="measure again on a database an earlier run kept (migrated first, not refilled)",
    )
    args = parser.parse_args()
    if args.tickets < 1 or args.repeat < 1:
        parser.error("--tickets and --repeat must be at least 1")
    return args


@dataclass
class Result:
    name: str
    queries: list[int] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    slowest_ms: float = 0.0
    slowest_sql: str = ""

    def percentile(self, fraction: float) -> float:
        """Nearest rank, as the reports compute theirs."""
        ordered = sorted(self.ms)
        return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]

    def line(self) -> str:
        low, high = min(self.queries), max(self.queries)
        count = str(low) if low == high else f"{low}-{high}"
        p95 = self.percentile(0.95)
        flag = "" if p95 < GOAL_MS else "  over the goal"
        return (
            f"  {self.name:40} {count:>7} {statistics.median(self.ms):8.1f} {p95:8.1f} "
            f"{self.slowest_ms:11.1f}{flag}"
        )


HEADER = f"  {'report':40} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'slowest SQL':>11}"


def timed(name: str, repeat: int, run) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Result(name)
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
        result.queries.append(len(ctx.captured_queries))
        result.ms.append(elapsed * 1000)
        for query in ctx.captured_queries:
            ms = float(query["time"]) * 1000
            if ms >= result.slowest_ms:
                result.slowest_ms, result.slowest_sql = ms, query["sql"]
    return result


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def copy_rows(model, objects, first_id: int) -> None:
    """Write ``objects`` with PostgreSQL's COPY (ids from ``first_id`` on): the same rows
    bulk_create writes, without preparing each value through the ORM (10x faster)."""
    from django.db import connection
    from django.db.models import JSONField
    from psycopg.types.json import Jsonb

    fields = model._meta.concrete_fields
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy,
    ):
        for offset, obj in enumerate(objects):
            obj.pk = first_id + offset
            copy.write_row(
                [
                    Jsonb(getattr(obj, f.attname))
                    if isinstance(f, JSONField)
                    else getattr(obj, f.attname)
                    for f in fields
                ]
            )


def copying(rows_class):
    """``ReportRows`` writing its tickets and stage visits with COPY."""
    from django.db import connection

    from partnerdesk.tickets.models import Ticket, TicketStageVisit

    class CopyRows(rows_class):
        next_ids = {Ticket: 1, TicketStageVisit: 1}

        def grow_to(self, total: int) -> None:
            while self.count < total:
                n = min(BATCH_SIZE, total - self.count)
                tickets = [self.ticket(self.count + k) for k in range(n)]
                visits = []
                self._copy(Ticket, tickets)
                for ticket in tickets:
                    visits += self._visits(ticket)
                self._copy(TicketStageVisit, visits)
                self.visits += len(visits)
                self._extras(tickets)
                self.count += n

        def _copy(self, model, objects) -> None:
            copy_rows(model, objects, self.next_ids[model])
            self.next_ids[model] += len(objects)

        def finish(self) -> None:
            with connection.cursor() as cursor:
                for model, next_id in self.next_ids.items():
                    table = model._meta.db_table
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, next_id]
                    )

    return CopyRows


def build(count: int, admin):
    """The people, the companies and ``count`` tickets with everything the reports read."""
    from django.db import connection
    from django.utils import timezone
    from tests.reports.scale_rows import ReportRows
    from tests.tickets.scale_rows import BATCH

    from partnerdesk.accounts.models import Role, User
    from partnerdesk.accounts.services import team_save
    from partnerdesk.crm import services as crm_services

    agents = [
        User.objects.create_user(
            f"bench-agent{i}@agency.test", None, full_name=f"Agent {i}", role=Role.AGENT
        )
        for i in range(3)
    ]
    team_save(by=admin, name="Bench team", members=agents[:2], lead=agents[0])
    companies = [
        crm_services.company_create(by=admin, name=f"Bench Co {i}", domain=f"b{i}.example")
        for i in range(20)
    ]
    rows = copying(ReportRows)(timezone.now(), agents, companies)
    step = max(BATCH, count // 20 // BATCH * BATCH)
    started = time.monotonic()
    # As a bulk load does: the secondary indexes of the big tables are built once at the end
    # instead of row by row (the unique ones, which back constraints, stay).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
            [list(BIG_TABLES)],
        )
        deferred = cursor.fetchall()
        for index, _definition in deferred:
            cursor.execute(f'DROP INDEX "{index}"')
    while rows.count < count:
        rows.grow_to(min(count, rows.count + step))
        elapsed = time.monotonic() - started
        print(
            f"  {rows.count:>11,} / {count:,} tickets, {rows.visits:,} stage visits, "
            f"{rows.tasks:,} tasks  {elapsed:7.1f} s  ({rows.count / elapsed:,.0f} tickets/s)",
            flush=True,
        )
    rows.finish()
    indexing = time.monotonic()
    with connection.cursor() as cursor:
        for _index, definition in deferred:
            cursor.execute(definition)
    print(f"  {len(deferred)} indexes built in {time.monotonic() - indexing:.1f} s", flush=True)
    build_seconds = time.monotonic() - started
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('tickets_ticket')), "
            "pg_size_pretty(pg_total_relation_size('tickets_ticketstagevisit'))"
        )
        tickets_size, visits_size = cursor.fetchone()
    print(
        f"built {count:,} tickets in {build_seconds:.1f} s; VACUUM ANALYZE "
        f"{time.monotonic() - started:.1f} s; with their indexes: tickets {tickets_size}, "
        f"stage visits {visits_size}",
        flush=True,
    )
    return agents, build_seconds


def main() -> None:
    args = parse_args()
    config = server_settings("it measures PostgreSQL's plans with a million rows")
    name = f"partnerdesk_bench_reports_{os.getpid()}"
    os.environ.update(
        DATABASE_URL=database_url(config, name),
        DJANGO_SETTINGS_MODULE="partnerdesk.settings",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        PARTNERDESK_DISPATCH_EVENTS="false",
        EMAIL_URL="dummy:",
        LOG_LEVEL="WARNING",
    )
    if args.reuse:
        os.environ["DATABASE_URL"] = database_url(config, args.reuse)
        measure_again(args)
        return
    with migrated_database(config, name, keep=args.keep) as ready:
        print(f"{ready}; {args.tickets:,} tickets, {args.repeat} timed requests each", flush=True)
        results, build_seconds = run(args)
        print(
            f"\n{args.tickets:,} tickets, built in {build_seconds:.1f} s; "
            f"load average {os.getloadavg()[0]:.2f}; goal: p95 under {GOAL_MS} ms"
        )
        print(HEADER)
        for result in results:
            print(result.line())


def measure_again(args) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    from partnerdesk.accounts.models import User
    from partnerdesk.tickets.models import Ticket

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    count = Ticket.objects.count()
    print(f"database {args.reuse}: {count:,} tickets; {args.repeat} timed requests each")
    manager = User.objects.get(email="bench-manager@agency.test")
    agent = User.objects.get(email="bench-agent0@agency.test")
    results = measure(args, manager, agent)
    print(
        f"\n{count:,} tickets; load average {os.getloadavg()[0]:.2f}; goal: p95 under {GOAL_MS} ms"
    )
    print(HEADER)
    for result in results:
        print(result.line())


def run(args) -> tuple[list[Result], float]:
    from partnerdesk.accounts.models import Role, User

    admin = User.objects.create_user("bench@agency.test", None, full_name="Bench", role=Role.ADMIN)
    manager = User.objects.create_user(
        "bench-manager@agency.test", None, full_name="Manager", role=Role.MANAGER
    )
    agents, build_seconds = build(args.tickets, admin)
    return measure(args, manager, agents[0]), build_seconds


def measure(args, manager, someone) -> list[Result]:
    from django.test import Client

    from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
    from partnerdesk.reports.registry import all_reports

    boss, agent = Client(), Client()
    boss.force_login(manager)
    agent.force_login(someone)
    routes = {}
    for report in all_reports():
        page = f"/app/reports/{report.slug}/"
        routes |= {
            f"{report.slug}, 30 days": (boss, f"{page}?preset=30d"),
            f"{report.slug}, 30 days, agent": (agent, f"{page}?preset=30d"),
            f"{report.slug}, 90 days": (boss, f"{page}?preset=90d"),
            f"{report.slug}, this quarter": (boss, f"{page}?preset=quarter"),
            f"{report.slug}, CSV 30 days": (boss, f"{page}export.csv?preset=30d"),
        }
        for key, _label in report.groups[1:]:  # the other ways it groups its table
            routes[f"{report.slug}, 30 days, by {key}"] = (boss, f"{page}?preset=30d&group={key}")
        if args.reports and report.slug not in args.reports:
            routes = {k: v for k, v in routes.items() if not k.startswith(f"{report.slug},")}

    def get(client, url):
        def request():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)

        return request

    print(f"\n{HEADER}")
    results = []
    for route, (client, url) in routes.items():
        request = get(client, url)
        request()  # warm-up
        results.append(timed(route, args.repeat, request))
        print(results[-1].line(), flush=True)
    if args.explain:
        for result in results:
            print(f"\n--- {result.name}: slowest query, {result.slowest_ms:.1f} ms")
            print(result.slowest_sql)
            print(explain(result.slowest_sql))
    return results


if __name__ == "__main__":
    main()
