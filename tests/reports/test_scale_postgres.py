"""The reports at scale on PostgreSQL: 200,000 tickets over two years (about 8,000 in a 30-day
range), their ~500,000 stage visits, 20,000 client tasks, surveys and deflections
(tests/reports/scale_rows.py, shared with benchmarks/bench_reports.py); the tickets past the
first 2,000 are written in the order they were created, as a ticket table fills.

(a) Every registered report's page runs the same number of SQL queries with 2,000 and with
    200,000 tickets (the budgets themselves are pinned in tests/reports/test_queries.py).
(b) The plans (EXPLAIN (FORMAT JSON), after ANALYZE) of the ticket reports' queries for the
    last 30 days — as a manager, as an agent (their own and their team's work), with filters
    — read tickets and stage visits through indexes: no Seq Scan on tickets_ticket or
    tickets_ticketstagevisit. The other reports' plans are printed (with -s), not asserted.

The rows are written with bulk_create inside one transaction rolled back at the end. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest \\
        tests/reports/test_scale_postgres.py -q -s
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import Role
from partnerdesk.accounts.services import team_save
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login, make_user
from tests.reports.scale_rows import ReportRows
from tests.tickets.test_scale_postgres import explain, plan_nodes, uses_index

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SMALL = 2_000
LARGE = 200_000
MINE = ("most-requested", "sla-compliance", "time-in-stage")
TABLES = ("tickets_ticket", "tickets_ticketstagevisit")


@dataclass(repr=False)
class Scale:
    queries: dict[str, dict[int, int]] = field(default_factory=dict)
    ms: dict[str, float] = field(default_factory=dict)
    plans: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    rows: int = 0


def seq_scans(plan: dict) -> list[str]:
    return [
        n["Relation Name"]
        for n in plan_nodes(plan)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in TABLES
    ]


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker) -> Scale:
    result = Scale()
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("scale test: set DATABASE_URL=postgres://… (PostgreSQL plans)")
        with transaction.atomic():
            admin = make_user("scale-admin@agency.test", Role.ADMIN)
            manager = make_user("scale-manager@agency.test", Role.MANAGER)
            agents = [make_user(f"scale-agent{i}@agency.test", Role.AGENT) for i in range(3)]
            team_save(by=admin, name="Scale team", members=agents[:2], lead=agents[0])
            companies = [
                crm_services.company_create(by=admin, name=f"Scale Co {i}", domain=f"s{i}.example")
                for i in range(20)
            ]
            rows = ReportRows(timezone.now(), agents, companies, in_time_order=(SMALL, LARGE))
            website = Pipeline.objects.get(object_type="ticket", name="Website Creation")
            boss, agent = login(manager), login(agents[0])
            pages = {
                f"{slug} {who}": (client, f"/app/reports/{slug}/?preset=30d")
                for slug in REPORTS
                for who, client in (("manager", boss), ("agent", agent))
            }
            pages |= {
                "sla-compliance company": (
                    boss,
                    f"/app/reports/sla-compliance/?preset=30d&company={companies[3].pk}",
                ),
                "sla-compliance owner": (
                    boss,
                    f"/app/reports/sla-compliance/?preset=30d&owner={agents[1].pk}",
                ),
                "time-in-stage website": (
                    boss,
                    f"/app/reports/time-in-stage/?preset=30d&pipeline={website.pk}",
                ),
                "most-requested 90 days": (boss, "/app/reports/most-requested/?preset=90d"),
            }

            def measure(size: int) -> None:
                for name, (client, url) in pages.items():
                    assert client.get(url).status_code == 200, url  # warm up
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        assert client.get(url).status_code == 200, url
                        elapsed = time.perf_counter() - started
                    result.queries.setdefault(name, {})[size] = len(ctx.captured_queries)
                    if size == LARGE:
                        result.ms[name] = elapsed * 1000
                        result.plans[name] = [
                            (q["sql"], explain(q["sql"]))
                            for q in ctx.captured_queries
                            if any(f'"{t}"' in q["sql"] for t in TABLES)
                            and q["sql"].lstrip().upper().startswith("SELECT")
                        ]

            started = time.perf_counter()
            rows.grow_to(SMALL)
            measure(SMALL)
            rows.grow_to(LARGE)
            with connection.cursor() as cursor:
                for table in (*TABLES, "portal_task", "satisfaction_survey"):
                    cursor.execute(f"ANALYZE {table}")
            result.rows = rows.count
            build = time.perf_counter() - started
            measure(LARGE)
            transaction.set_rollback(True)
    print(f"\nreports at scale: {rows.count} tickets, {rows.visits} visits, {rows.tasks} tasks")
    print(f"  built and measured at {SMALL} in {build:.0f} s")
    for name, counts in result.queries.items():
        scans = sorted({t for _sql, plan in result.plans[name] for t in seq_scans(plan)})
        print(
            f"  {name:36} queries {counts}  {result.ms[name]:7.0f} ms"
            + (f"  Seq Scan on {', '.join(scans)}" if scans else "")
        )
    return result


def test_the_data_is_large(scale):
    assert scale.rows == LARGE


@pytest.mark.parametrize("name", sorted(f"{s} {w}" for s in REPORTS for w in ("manager", "agent")))
def test_constant_query_count(scale, name):
    counts = scale.queries[name]
    assert counts[SMALL] == counts[LARGE], f"{name}: {counts}"


PLANNED = [
    *(f"{slug} {who}" for slug in MINE for who in ("manager", "agent")),
    "sla-compliance company",
    "sla-compliance owner",
    "time-in-stage website",
    "most-requested 90 days",
]


@pytest.mark.parametrize("name", PLANNED)
def test_ticket_reports_read_through_indexes(scale, name):
    plans = scale.plans[name]
    assert plans, f"{name}: no query on the tickets"
    for sql, plan in plans:
        assert not seq_scans(plan), f"{name}: Seq Scan\n{sql}\n{json.dumps(plan, indent=1)[:4000]}"
        scans = [n for n in plan_nodes(plan) if n.get("Relation Name") in TABLES]
        assert all(uses_index(n) for n in scans), (name, sql, [n["Node Type"] for n in scans])
