"""Tickets at scale on PostgreSQL: 200,000 tickets.

(a) The ticket list (with and without filters), the board, the API list and the SLA sweep run the
    same number of SQL queries with 2,000 and with 200,000 tickets, and that number is pinned.
(b) The plans (EXPLAIN (FORMAT JSON), after ANALYZE) of the board column query, the "resolution
    due soonest" list query and the sweep's due-soon and breached-resolution selections (running,
    and overdue before a pause began) use indexes: no Seq Scan on tickets_ticket.
(c) Every count a page shows stops at the cap (issue 16: flat from 100,000 to 1,000,000
    tickets): by EXPLAIN ANALYZE, the staff home's ticket counts and the capped counts of open
    tickets (of a pipeline, page and API; of one owner; all of them)
    read at most COUNT_CAP + 1 rows (returned or filtered out) per scan of tickets_ticket or
    its indexes, through the partial indexes of open work, with no Seq Scan; each plan costs
    less than PostgreSQL's jit_above_cost, so JIT never compiles them. The pages of those lists
    read the same indexes (open tickets by resolution due time read them in due order, never
    the closed tickets due earlier). The planner is told the table is all-visible, as VACUUM
    leaves it (see the fixture). A whole pipeline's board counts its columns from the totals
    the database keeps per stage (tickets.totals), never from the tickets.

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
from partnerdesk.core.pagination import COUNT_CAP
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import BOARD_PER_COLUMN
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
    "list pipeline, open": 10,
    "list mine, open": 10,
    "list resolution due soonest": 10,
    "board": 17,  # the column counts are one statement (the kept totals: test below)
    "staff home": 14,  # an agent's: tests/dashboard/test_home_budget.py says which
    "api list": 4,  # + the deals each ticket is associated with (one prefetch)
    "api list sla=breached": 4,
    "api list pipeline, open": 4,
    "sweep": 28,  # two more passes: targets that were overdue before a pause began
}


# (c) route -> what picks its count statement and its page query out of the request's SQL
OPEN_PIPELINE = ('"tickets_ticket"."pipeline_id" =', '"tickets_ticket"."closed_at" IS NULL')
HOT_COUNTS: dict[str, tuple[str, ...]] = {
    "staff home": ("CASE WHEN", '"tickets_ticket"'),
}
# Lists filtered by pipeline, stage, owner and open or closed alone count from the running
# total (tickets.totals, a few rows each), never the tickets.
KEPT_COUNTS = (
    "list pipeline, open",
    "api list pipeline, open",
    "list mine, open",
    "list resolution due soonest",
)
HOT_PAGES: dict[str, tuple[str, ...]] = {
    "list pipeline, open": ("ORDER BY", "LIMIT 25", *OPEN_PIPELINE),
    "api list pipeline, open": ("ORDER BY", "LIMIT 100", *OPEN_PIPELINE),
    "list mine, open": ("ORDER BY", "LIMIT 25", '"tickets_ticket"."owner_id" ='),
    "list resolution due soonest": ('"resolution_due_at" ASC', "LIMIT 25"),
}
# The indexes each one may read tickets_ticket through (the partial indexes of open work).
HOT_INDEXES: dict[str, set[str]] = {
    "staff home": {
        "ticket_resolution_due",
        "ticket_first_response_due",
        "ticket_fr_open_due",
        "ticket_open_breached",
        "ticket_open_owner",
    },
    "board": {"ticket_board"},
    "list pipeline, open": {"ticket_open_pipeline"},
    "api list pipeline, open": {"ticket_open_pipeline"},
    "list mine, open": {"ticket_open_owner"},
    # the count: any index of the open tickets alone; the page: the one in due order
    "list resolution due soonest": {
        "ticket_open_pipeline",
        "ticket_open_owner",
        "ticket_open_resolution_sort",
        "ticket_open_fr_sort",
    },
}
# ... where a page must read one index (the count above may read any of them)
PAGE_INDEXES: dict[str, set[str]] = {"list resolution due soonest": {"ticket_open_resolution_sort"}}
JIT_ABOVE_COST = 100_000  # PostgreSQL's default jit_above_cost


@dataclass(repr=False)
class Scale:
    queries: dict[str, dict[int, int]] = field(default_factory=dict)
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    sql: dict[str, str] = field(default_factory=dict)
    plans: dict[str, dict] = field(default_factory=dict)
    analyzed: dict[str, dict] = field(default_factory=dict)  # EXPLAIN ANALYZE of the counts
    counted: dict[str, list[str]] = field(default_factory=dict)  # a list's counting queries
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


def explain(sql: str, *, analyze: bool = False) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) " + sql)
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
            agent = login(agents[1])
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
                "list pipeline, open": get(staff, f"/app/tickets/?pipeline={email.pk}&status=open"),
                "list mine, open": get(agent, f"/app/tickets/?owner={agents[1].pk}&status=open"),
                "list resolution due soonest": get(
                    staff, "/app/tickets/?status=open&sort=resolution_due"
                ),
                "board": get(staff, f"/app/tickets/board/{website.pk}/"),
                "staff home": get(agent, "/app/"),
                "api list": get(api, "/api/tickets?limit=100"),
                "api list sla=breached": get(api, "/api/tickets?limit=100&sla=breached"),
                "api list pipeline, open": get(
                    api, f"/api/tickets?limit=100&pipeline={email.pk}&status=open"
                ),
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
                # What VACUUM (autovacuum in a live database) would tell the planner: every page
                # visible to all, so an index holding every column a query reads answers it
                # alone (an index-only scan). VACUUM cannot run inside this transaction, and
                # its rows are visible to no one else yet: set the statistic it would set
                # (rolled back with the rest; superuser, as the DATABASE_URL above).
                cursor.execute(
                    "UPDATE pg_class SET relallvisible = relpages "
                    "WHERE oid = 'tickets_ticket'::regclass"
                )
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
                f"LIMIT {BOARD_PER_COLUMN}",
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
            due_soon_sql = pick(
                [q["sql"] for q in ctx.captured_queries],
                "FOR UPDATE SKIP LOCKED",
                '"resolution_due_soon_sent"',
            )
            result.sql.update(
                {
                    "plan sweep due soon": due_soon_sql,
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
                "sweep due-soon resolution": explain(due_soon_sql),
                "sweep resolution overdue before a pause": explain(paused_sql),
            }
            # (c) the counts the pages show, and the pages of the open-work lists
            hot = {}
            for route in {**HOT_COUNTS, **HOT_PAGES}:
                with CaptureQueriesContext(connection) as ctx:
                    routes[route]()
                sqls = [q["sql"] for q in ctx.captured_queries]
                if route in HOT_COUNTS:
                    hot[f"count: {route}"] = pick(sqls, *HOT_COUNTS[route])
                if route in HOT_PAGES:
                    hot[f"page: {route}"] = pick(sqls, *HOT_PAGES[route])
                if route in KEPT_COUNTS:
                    result.counted[route] = [s for s in sqls if "COUNT(" in s or "SUM(" in s]
            result.sql.update(hot)
            for name, sql in hot.items():
                result.plans[name] = explain(sql)
                if name.startswith("count: "):
                    result.analyzed[name] = explain(sql, analyze=True)
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
    for name, plan in result.analyzed.items():
        read = [
            (n.get("Index Name") or n["Node Type"], rows_read(n)) for n in tickets_index_scans(plan)
        ]
        print(f"  {name:33} rows read per scan {read}")
    return result


def test_the_data_is_large(scale):
    assert scale.rows == LARGE + FRESH  # counted before the second batch of fresh tickets


@pytest.mark.parametrize("route", KEPT_COUNTS)
def test_the_lists_counts_read_the_kept_totals_not_the_tickets(scale, route):
    counted = scale.counted[route]
    assert any('"tickets_ticketcount"' in sql for sql in counted), counted
    assert not any('"tickets_ticket"' in sql for sql in counted), counted


def test_the_whole_boards_counts_read_the_kept_totals_not_the_tickets(scale):
    # A whole pipeline's board counts its columns from tickets.totals (a few rows per stage),
    # not by scanning the tickets of each stage up to the cap.
    board = scale.sql["board"]
    assert '"tickets_ticketcount"' in board
    assert "SELECT (SELECT COUNT(*)" not in board


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
        "sweep due-soon resolution",
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


def tickets_index_scans(plan: dict) -> list[dict]:
    """The nodes that read tickets_ticket or one of its indexes."""
    return [
        n
        for n in plan_nodes(plan)
        if n.get("Relation Name") == "tickets_ticket"
        or str(n.get("Index Name", "")).startswith(("ticket_", "tickets_ticket"))
    ]


def rows_read(node: dict) -> int:
    """The rows a scan node read: those it returned and those its filter removed."""
    loops = node.get("Actual Loops", 1)
    kept = node.get("Actual Rows", 0)
    return (kept + node.get("Rows Removed by Filter", 0)) * loops


HOT = [f"count: {route}" for route in HOT_COUNTS] + [f"page: {route}" for route in HOT_PAGES]


@pytest.mark.parametrize("name", HOT)
def test_the_hot_queries_read_the_indexes_of_open_work(scale, name):
    plan = scale.plans[name]
    route = name.split(": ", 1)[1]
    assert not seq_scans_on_tickets(plan), (
        f"{name}: Seq Scan on tickets_ticket\n{json.dumps(plan, indent=1)[:3000]}"
    )
    scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == "tickets_ticket"]
    assert scans and all(uses_index(n) for n in scans), [n["Node Type"] for n in scans]
    used = {n["Index Name"] for n in tickets_index_scans(plan) if "Index Name" in n}
    expected = PAGE_INDEXES.get(route, HOT_INDEXES[route]) if name.startswith("page") else None
    assert used and used <= (expected or HOT_INDEXES[route]), (name, used)
    assert plan["Total Cost"] < JIT_ABOVE_COST, (name, plan["Total Cost"])


@pytest.mark.parametrize("name", [f"count: {route}" for route in HOT_COUNTS])
def test_counts_stop_at_the_cap(scale, name):
    """Each scan of the tickets or of their indexes reads at most COUNT_CAP + 1 rows (returned
    or filtered out), so the count costs the same at 200,000 tickets as at a million. (A bitmap
    index scan returns every match before the LIMIT applies: it passes only where the matches
    are few anyway.)"""
    plan = scale.analyzed[name]
    scans = tickets_index_scans(plan)
    assert scans
    for node in scans:
        rows = rows_read(node)
        assert rows <= COUNT_CAP + 1, (name, node["Node Type"], node.get("Index Name"), rows)
