"""Tickets at scale on PostgreSQL: 200,000 tickets.

(a) The ticket list (with and without filters), the board, the API list and the SLA sweep run the
    same number of SQL queries with 2,000 and with 200,000 tickets, and that number is pinned.
(b) The plans (EXPLAIN (FORMAT JSON), after ANALYZE) of the board column query, the "resolution due
    soonest" list query and the sweep's breached-resolution selections (running, and overdue
    before a pause began) use indexes: no Seq Scan on tickets_ticket.

The rows are written with bulk_create from precomputed values (no service call per row; see
tests/tickets/scale_rows.py, shared with benchmarks/bench_tickets.py), inside one transaction
rolled back at the end of the module. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest \
        tests/tickets/test_scale_postgres.py -q -s

(-s prints the timings.)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import Role
from partnerdesk.accounts.services import api_token_create
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket
from tests.conftest import login, make_user
from tests.tickets.scale_rows import FRESH, Builder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SMALL = 2_000
LARGE = 200_000

# route -> SQL queries per request, pinned from measurements (equal at SMALL and LARGE).
# The board runs one indexed query per stage column (Website Creation: 9 stages); the sweep
# reports FRESH breached resolutions, one event row each.
PINNED: dict[str, int] = {
    "list": 10,
    "list sla=breached": 10,
    "list breached_without_cause=1": 10,
    "list pipeline": 10,
    "list resolution due soonest": 10,
    "board": 17,
    "api list": 4,  # + the deals each ticket is associated with (one prefetch)
    "api list sla=breached": 4,
    "sweep": 28,  # two more passes: targets that were overdue before a pause began
}


@dataclass(repr=False)
class Scale:
    queries: dict[str, dict[int, int]] = field(default_factory=dict)
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    sql: dict[str, str] = field(default_factory=dict)
    plans: dict[str, dict] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    rows: int = 0

    def __repr__(self) -> str:
        return f"Scale({self.rows} tickets)"


def timed_count(run) -> tuple[int, float, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
    return len(ctx.captured_queries), elapsed, [q["sql"] for q in ctx.captured_queries]


def explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        return cursor.fetchone()[0][0]["Plan"]


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def seq_scans_on_tickets(plan: dict) -> list[dict]:
    return [
        n
        for n in plan_nodes(plan)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "tickets_ticket"
    ]


def pick(sqls: list[str], *needles: str) -> str:
    found = [s for s in sqls if all(n in s for n in needles)]
    assert found, f"no query with {needles}"
    return found[0]


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker) -> Scale:
    result = Scale()
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip(
                "scale test: set DATABASE_URL=postgres://… (200,000 rows and PostgreSQL plans)"
            )
        with transaction.atomic():
            admin = make_user("scale-admin@agency.test", Role.ADMIN)
            agents = [make_user(f"scale-agent{i}@agency.test", Role.AGENT) for i in range(3)]
            companies = [
                crm_services.company_create(by=admin, name=f"Scale Co {i}", domain=f"s{i}.example")
                for i in range(20)
            ]
            now = timezone.now()
            ContentType.objects.get_for_model(Ticket)  # warm the cache the sweep's events use
            builder = Builder(now, agents, companies)
            staff = login(admin)
            api = Client(
                headers={"Authorization": f"Bearer {api_token_create(user=admin, name='s')[1]}"}
            )
            email = Pipeline.objects.get(object_type="ticket", name="Email Creation")
            website = Pipeline.objects.get(object_type="ticket", name="Website Creation")

            def get(client, url):
                def run():
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)

                return run

            routes = {
                "list": get(staff, "/app/tickets/"),
                "list sla=breached": get(staff, "/app/tickets/?sla=breached"),
                "list breached_without_cause=1": get(
                    staff, "/app/tickets/?breached_without_cause=1"
                ),
                "list pipeline": get(staff, f"/app/tickets/?pipeline={email.pk}"),
                "list resolution due soonest": get(
                    staff, "/app/tickets/?status=open&sort=resolution_due"
                ),
                "board": get(staff, f"/app/tickets/board/{website.pk}/"),
                "api list": get(api, "/api/tickets?limit=100"),
                "api list sla=breached": get(api, "/api/tickets?limit=100&sla=breached"),
            }

            def measure(size: int) -> None:
                for name, run in routes.items():
                    run()  # warm up (per-process caches, the token's last-used stamp)
                    n, seconds, sqls = timed_count(run)
                    result.queries.setdefault(name, {})[size] = n
                    result.seconds.setdefault(name, {})[size] = seconds
                    if size == LARGE:
                        result.sql[name] = "\n".join(sqls)
                builder.add_fresh(size)
                n, seconds, sqls = timed_count(lambda: services.sla_sweep(now=now))
                result.queries.setdefault("sweep", {})[size] = n
                result.seconds.setdefault("sweep", {})[size] = seconds
                result.sql["sweep"] = "\n".join(sqls)

            clock = time.perf_counter()

            def phase(name):
                nonlocal clock
                result.phases[name] = time.perf_counter() - clock
                clock = time.perf_counter()

            builder.grow_to(SMALL)
            phase(f"bulk_create {SMALL}")
            measure(SMALL)
            phase(f"measure at {SMALL}")
            builder.grow_to(LARGE)
            phase(f"bulk_create {LARGE - SMALL} more")
            result.rows = Ticket.objects.count()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE tickets_ticket")
            phase("count + ANALYZE")
            measure(LARGE)
            phase(f"measure at {LARGE}")

            # (b) plans of the hot queries, as the pages and the sweep send them
            with CaptureQueriesContext(connection) as ctx:
                routes["board"]()
            board_sql = pick(
                [q["sql"] for q in ctx.captured_queries],
                '"tickets_ticket"."stage_id" =',
                "ORDER BY",
                "LIMIT 25",
            )
            with CaptureQueriesContext(connection) as ctx:
                routes["list resolution due soonest"]()
            soonest_sql = pick(
                [q["sql"] for q in ctx.captured_queries], '"resolution_due_at" ASC', "LIMIT 25"
            )
            builder.add_fresh(0)
            with CaptureQueriesContext(connection) as ctx:
                services.sla_sweep(now=now)
            sweep_sql = pick(
                [q["sql"] for q in ctx.captured_queries],
                "FOR UPDATE SKIP LOCKED",
                '"resolution_breach_sent"',
            )
            paused_sql = pick(
                [q["sql"] for q in ctx.captured_queries],
                "FOR UPDATE SKIP LOCKED",
                '"resolution_breach_sent"',
                '"sla_paused_at" IS NOT NULL',
            )
            result.sql.update(
                {
                    "plan board": board_sql,
                    "plan soonest": soonest_sql,
                    "plan sweep": sweep_sql,
                    "plan sweep paused": paused_sql,
                }
            )
            result.plans = {
                "board column": explain(board_sql),
                "resolution due soonest": explain(soonest_sql),
                "sweep breached resolution": explain(sweep_sql),
                "sweep resolution overdue before a pause": explain(paused_sql),
            }
            phase("EXPLAIN of the hot queries")
            transaction.set_rollback(True)
    print("\nscale:", result.rows, "tickets")
    for name, seconds in result.phases.items():
        print(f"  {name:32} {seconds:6.1f} s")
    for name in result.queries:
        print(
            f"  {name:32} queries {result.queries[name]}  "
            + "  ".join(f"{size}: {s * 1000:.0f} ms" for size, s in result.seconds[name].items())
        )
    for name, plan in result.plans.items():
        print(f"  plan {name:28} {plan['Node Type']} (total cost {plan['Total Cost']})")
    return result


def test_the_data_is_large(scale):
    assert scale.rows == LARGE + FRESH  # counted before the second batch of fresh tickets


@pytest.mark.parametrize("route", list(PINNED))
def test_constant_and_pinned_query_count(scale, route):
    counts = scale.queries[route]
    assert counts[SMALL] == counts[LARGE], (
        f"{route}: {counts[SMALL]} queries with {SMALL} tickets, {counts[LARGE]} with {LARGE}"
    )
    assert counts[LARGE] == PINNED[route], (
        f"{route}: {counts[LARGE]} queries, pinned {PINNED[route]}"
    )


@pytest.mark.parametrize(
    "name",
    [
        "board column",
        "resolution due soonest",
        "sweep breached resolution",
        "sweep resolution overdue before a pause",
    ],
)
def test_hot_queries_use_an_index(scale, name):
    plan = scale.plans[name]
    assert not seq_scans_on_tickets(plan), (
        f"{name}: Seq Scan on tickets_ticket\n{json.dumps(plan, indent=1)[:3000]}"
    )
    scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == "tickets_ticket"]
    assert scans and all(uses_index(n) for n in scans), [n["Node Type"] for n in scans]


def uses_index(node: dict) -> bool:
    """An index (only) scan, or a bitmap heap scan fed by bitmap index scans."""
    if "Index" in node["Node Type"]:
        return True
    if node["Node Type"] == "Bitmap Heap Scan":
        inputs = [
            n
            for n in plan_nodes(node)
            if n is not node and n["Node Type"] not in ("BitmapAnd", "BitmapOr")
        ]
        return bool(inputs) and all(n["Node Type"] == "Bitmap Index Scan" for n in inputs)
    return False
