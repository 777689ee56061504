"""Benchmark of the ticket list, the board, the API list and the SLA sweep with a million tickets.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, filled and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_tickets.py [--tickets 1000000] [--seed 1] \\
        [--repeat 5] [--explain] [--keep]

The data is the agency of ``manage.py scale_data --tickets N --seed S`` (the one generator of
every benchmark that needs tickets: companies, contacts, deals, tickets with their stage
history, notes, pauses and SLA clocks as the services compute them, portal tasks, timelines;
a progress bar while it writes), then the database is VACUUMed and ANALYZEd, as autovacuum
keeps a live database (the visibility map lets counts read only an index). Each route is then requested
once to warm up (per-process caches, the API token's last-used stamp) and ``--repeat`` times
through Django's test Client, as an admin (a session from force_login) or with a Bearer API
token; for each one the SQL query count, the median and the maximum wall time of the request
(view, templates and SQL, in this process) and the slowest of its SQL queries are printed.
The routes are those the scale test pins: the list (plain, ``sla=breached``,
``breached_without_cause=1``, one pipeline, its open tickets, open tickets by resolution due
soonest), the board of the Website Creation pipeline, the staff home (its ticket counts), and
the API list (plain and ``sla=breached``).

The SLA sweep (``tickets.services.sla_sweep``, what the scheduler runs every minute) is timed
twice: with nothing to report (after a first sweep has reported what fell due since the data's
``now``), and right after 6 open tickets with a breached resolution were added
(tests/tickets/scale_rows.py's ``add_fresh``; the sweep writes their events). ``--explain``
prints the plan of each route's slowest query (EXPLAIN ANALYZE for a SELECT, plain EXPLAIN
otherwise).

The settings are the project's (partnerdesk.settings) with DEBUG off; the query counts come from
CaptureQueriesContext, which turns on the debug cursor only while it is open.
"""

from __future__ import annotations

import argparse
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

sys.path.insert(0, str(ROOT))  # for tests.tickets.scale_rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the table")
    parser.add_argument("--seed", type=int, default=1, help="scale_data's random seed")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per route")
    parser.add_argument("--explain", action="store_true", help="print each route's slowest plan")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
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

    @property
    def query_count(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    def line(self) -> str:
        return (
            f"  {self.name:31} {self.query_count:>7} {statistics.median(self.ms):9.1f} "
            f"{max(self.ms):9.1f} {self.slowest_ms:11.1f}"
        )


HEADER = f"  {'route':31} {'queries':>7} {'median ms':>9} {'max ms':>9} {'slowest SQL':>11}"


def timed(name: str, repeat: int, run, before=None) -> Result:
    """Call run() repeat times (before() first, untimed), counting and timing its SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Result(name)
    for _ in range(repeat):
        if before is not None:
            before()
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

    analyze = sql.lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in sql.upper()
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def build(count: int, seed: int):
    """The agency of ``scale_data`` with ``count`` tickets; returns a Builder for the fresh
    tickets the sweep reports, the admin and the seconds the build took."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from tests.tickets.scale_rows import Builder

    from partnerdesk.accounts.models import Role, User
    from partnerdesk.crm.models import Company
    from partnerdesk.tickets.models import Ticket

    started = time.monotonic()
    call_command("scale_data", tickets=count, seed=seed, verbosity=1, no_analyze=True)
    build_seconds = time.monotonic() - started
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('tickets_ticket'))")
        size = cursor.fetchone()[0]
    print(
        f"built {count:,} tickets in {build_seconds:.1f} s; VACUUM ANALYZE "
        f"{time.monotonic() - started:.1f} s; tickets_ticket with its indexes: {size}",
        flush=True,
    )
    ContentType.objects.get_for_model(Ticket)  # warm the cache the sweep's events use
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    agents = list(User.objects.filter(role=Role.AGENT).order_by("pk")[:3])
    companies = list(Company.objects.order_by("pk")[:20])
    return Builder(timezone.now(), agents, companies), admin, build_seconds


def main() -> None:
    args = parse_args()
    config = server_settings("it measures PostgreSQL's plans with a million rows")
    name = f"partnerdesk_bench_tickets_{os.getpid()}"
    os.environ.update(
        DATABASE_URL=database_url(config, name),
        DJANGO_SETTINGS_MODULE="partnerdesk.settings",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        PARTNERDESK_DISPATCH_EVENTS="false",
        EMAIL_URL="dummy:",
        LOG_LEVEL="WARNING",
    )
    with migrated_database(config, name, keep=args.keep) as ready:
        print(
            f"{ready}; {args.tickets:,} tickets, {args.repeat} timed requests per route",
            flush=True,
        )
        results, build_seconds = run(args)
        print(
            f"\n{args.tickets:,} tickets, built in {build_seconds:.1f} s; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        print(HEADER)
        for result in results:
            print(result.line())


def run(args) -> tuple[list[Result], float]:
    from django.test import Client
    from tests.tickets.scale_rows import FRESH

    from partnerdesk.accounts.services import api_token_create
    from partnerdesk.crm.models import Pipeline
    from partnerdesk.tickets import services

    builder, admin, build_seconds = build(args.tickets, args.seed)

    staff = Client()
    staff.force_login(admin)
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=admin, name='b')[1]}"})
    email = Pipeline.objects.get(object_type="ticket", name="Email Creation")
    website = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    routes = {
        "list": (staff, "/app/tickets/"),
        "list sla=breached": (staff, "/app/tickets/?sla=breached"),
        "list breached_without_cause=1": (staff, "/app/tickets/?breached_without_cause=1"),
        "list pipeline": (staff, f"/app/tickets/?pipeline={email.pk}"),
        "list pipeline, open": (staff, f"/app/tickets/?pipeline={email.pk}&status=open"),
        "list resolution due soonest": (staff, "/app/tickets/?status=open&sort=resolution_due"),
        "board": (staff, f"/app/tickets/board/{website.pk}/"),
        "staff home": (staff, "/app/"),
        "api list": (api, "/api/tickets?limit=100"),
        "api list sla=breached": (api, "/api/tickets?limit=100&sla=breached"),
    }

    def get(client, url):
        def request():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return request

    print(f"\n{HEADER}")
    results = []
    for route, (client, url) in routes.items():
        request = get(client, url)
        request()  # warm-up
        results.append(timed(route, args.repeat, request))
        print(results[-1].line(), flush=True)

    services.sla_sweep()  # warm-up; reports what fell due since the data's now
    results.append(timed("sweep, nothing due", args.repeat, services.sla_sweep))
    print(results[-1].line(), flush=True)
    tags = iter(range(1, args.repeat + 2))
    builder.add_fresh(next(tags))
    services.sla_sweep()  # warm-up with events to write
    results.append(
        timed(
            f"sweep, {FRESH} breached",
            args.repeat,
            services.sla_sweep,
            before=lambda: builder.add_fresh(next(tags)),
        )
    )
    print(results[-1].line(), flush=True)

    if args.explain:
        for result in results:
            print(f"\n--- {result.name}: slowest query, {result.slowest_ms:.1f} ms")
            print(result.slowest_sql)
            print(explain(result.slowest_sql))
    return results, build_seconds


if __name__ == "__main__":
    main()
