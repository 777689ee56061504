"""The staff home at scale on PostgreSQL: 200,000 tickets (issue 16: flat from 100,000 to
1,000,000).

(a) The home of an agent and of a manager, and its trends (loaded after the page), run the
    same number of SQL queries with 2,000 and with 200,000 tickets, and that number is pinned
    (as tests/dashboard/test_home_budget.py).
(b) By EXPLAIN ANALYZE, each query the home adds over the tickets reads them through the index
    it was made for, from the index alone (an index-only scan, the table all-visible as VACUUM
    leaves it), with no Seq Scan, and each plan costs less than PostgreSQL's jit_above_cost:
    - the states of the agent's open tickets and the workload of every owner: capped samples
      of an owner's open tickets (ticket_open_owner_sla, or ticket_open_owner for a plain
      count), at most HOME_CAP + 1 and WORKLOAD_CAP + 1 rows read per owner;
    - the agent's next due: the first rows of an owner's running targets in due order
      (ticket_open_owner_sla, ticket_owner_fr_due), a handful of rows read;
    - the trends: only the tickets of their weeks, by creation time (ticket_newest), closing
      time (ticket_closed) and settled target (ticket_fr_settled, ticket_res_settled): the rows
      read are those of the range, whatever the history.
(The team's ticket counts, the page's first statement, are tests/tickets/test_scale_postgres.py's.)

The rows are tests/tickets/scale_rows.py's (bulk_create, precomputed), inside one transaction
rolled back at the end of the module. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest \
        tests/dashboard/test_scale_postgres.py -q -s

(-s prints the timings and the rows each scan read.)
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import Role
from partnerdesk.crm import services as crm_services
from partnerdesk.dashboard.selectors import home_charts
from partnerdesk.dashboard.selectors.home import HOME_CAP
from partnerdesk.dashboard.selectors.home_work import NEXT_DUE, WORKLOAD_CAP
from partnerdesk.tickets.models import Ticket
from tests.conftest import login, make_user
from tests.tickets.scale_rows import Builder
from tests.tickets.test_scale_postgres import (
    JIT_ABOVE_COST,
    explain,
    plan_nodes,
    rows_read,
    seq_scans_on_tickets,
    tickets_index_scans,
)

from .home_data import add_tasks
from .test_home_budget import PINNED, TRENDS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SMALL = 2_000
LARGE = 200_000
AGENTS = 4  # the Builder gives every fourth owned ticket to each (a third are nobody's)


@dataclass(frozen=True)
class Hot:
    """A query of the home: what picks it out of the request's SQL (``needles``, none of
    ``without``), the indexes it may read tickets_ticket through, the most rows a scan may
    read (None: those of its range) and whether the index alone answers it (the lists read
    their few rows from the table)."""

    role: str
    needles: tuple[str, ...]
    indexes: frozenset[str]
    most_rows: int | None
    index_only: bool = True
    without: tuple[str, ...] = ()


def _range(field: str) -> tuple[str, ...]:
    return (f'COUNT("tickets_ticket"."{field}") FILTER', f'"tickets_ticket"."{field}" >=')


HOT: dict[str, Hot] = {
    "agent's states": Hot(
        "agent",
        ("SELECT 0, NULL, COUNT(*)", '"tickets_ticket"."owner_id" =', f"LIMIT {HOME_CAP + 1}"),
        frozenset({"ticket_open_owner_sla"}),
        HOME_CAP + 1,
    ),
    "agent's next due, resolution": Hot(
        "agent",
        ('ORDER BY "tickets_ticket"."resolution_due_at" ASC', f"LIMIT {NEXT_DUE}"),
        frozenset({"ticket_open_owner_sla"}),
        NEXT_DUE,
        index_only=False,
    ),
    "agent's next due, first response": Hot(
        "agent",
        ('ORDER BY "tickets_ticket"."first_response_due_at" ASC', f"LIMIT {NEXT_DUE}"),
        frozenset({"ticket_owner_fr_due"}),
        NEXT_DUE,
        index_only=False,
    ),
    "workload": Hot(
        "manager",
        ('FROM "accounts_user"', '"tickets_ticket"', f"LIMIT {WORKLOAD_CAP + 1}"),
        frozenset({"ticket_open_owner_sla", "ticket_open_owner"}),
        WORKLOAD_CAP + 1,
    ),
    # Either index of creation times reads only the range (the second is the reports').
    "opened per day": Hot(
        "trends",
        _range("created_at"),
        frozenset({"ticket_newest", "ticket_created_report"}),
        None,
    ),
    "closed per day": Hot(
        "trends",
        _range("closed_at"),
        frozenset({"ticket_closed"}),
        None,
        without=('"resolution_met" IS NOT NULL',),
    ),
    "first responses settled per week": Hot(
        "trends",
        (*_range("first_response_at"), '"first_response_met" IS NOT NULL'),
        frozenset({"ticket_fr_settled"}),
        None,
    ),
    "resolutions settled per week": Hot(
        "trends",
        (*_range("closed_at"), '"resolution_met" IS NOT NULL'),
        frozenset({"ticket_res_settled"}),
        None,
    ),
}


@dataclass(repr=False)
class Scale:
    queries: dict[str, dict[int, int]] = field(default_factory=dict)
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    sql: dict[str, str] = field(default_factory=dict)
    plans: dict[str, dict] = field(default_factory=dict)  # EXPLAIN ANALYZE
    in_range: dict[str, int] = field(default_factory=dict)  # tickets of a trend's weeks
    rows: int = 0

    def __repr__(self) -> str:
        return f"Scale({self.rows} tickets)"


def pick(sqls: list[str], hot: Hot) -> str:
    found = [
        s for s in sqls if all(n in s for n in hot.needles) and not any(n in s for n in hot.without)
    ]
    assert len(found) == 1, f"{len(found)} queries with {hot.needles}"
    return found[0]


def midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker) -> Scale:
    result = Scale()
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip(
                "scale test: set DATABASE_URL=postgres://… (200,000 rows and PostgreSQL plans)"
            )
        with transaction.atomic():
            manager = make_user("scale-manager@agency.test", Role.MANAGER)
            agents = [make_user(f"scale-agent{i}@agency.test", Role.AGENT) for i in range(AGENTS)]
            companies = [
                crm_services.company_create(
                    by=manager, name=f"Scale Co {i}", domain=f"s{i}.example"
                )
                for i in range(20)
            ]
            now = timezone.now()
            builder = Builder(now, agents, companies)
            add_tasks(now, agents, companies[0], 200)
            requests = {
                "agent": (login(agents[1]), {}),
                "manager": (login(manager), {}),
                "trends": (login(manager), TRENDS),
            }
            sqls: dict[str, list[str]] = {}

            def measure(size: int) -> None:
                for role, (client, headers) in requests.items():
                    url = "/app/?trends=1" if headers else "/app/"
                    client.get(url, **headers)  # warm up (per-process caches)
                    with CaptureQueriesContext(connection) as ctx:
                        start = time.perf_counter()
                        assert client.get(url, **headers).status_code == 200
                        elapsed = time.perf_counter() - start
                    result.queries.setdefault(role, {})[size] = len(ctx.captured_queries)
                    result.seconds.setdefault(role, {})[size] = elapsed
                    sqls[role] = [q["sql"] for q in ctx.captured_queries]

            builder.grow_to(SMALL)
            measure(SMALL)
            builder.grow_to(LARGE)
            result.rows = Ticket.objects.count()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE tickets_ticket")
                # What VACUUM would tell the planner (see tests/tickets/test_scale_postgres.py).
                cursor.execute(
                    "UPDATE pg_class SET relallvisible = relpages "
                    "WHERE oid = 'tickets_ticket'::regclass"
                )
            measure(LARGE)
            for name, hot in HOT.items():
                result.sql[name] = pick(sqls[hot.role], hot)
                result.plans[name] = explain(result.sql[name], analyze=True)
            monday = home_charts.monday(timezone.localdate(now))
            days = midnight(monday - dt.timedelta(days=7))
            weeks = midnight(monday - dt.timedelta(weeks=home_charts.WEEKS - 1))
            tickets = Ticket.objects.all()
            result.in_range = {
                "opened per day": tickets.filter(created_at__gte=days).count(),
                "closed per day": tickets.filter(closed_at__gte=days).count(),
                "first responses settled per week": tickets.filter(
                    Q(first_response_at__gte=weeks, first_response_met__isnull=False)
                ).count(),
                "resolutions settled per week": tickets.filter(
                    closed_at__gte=weeks, resolution_met__isnull=False
                ).count(),
            }
            transaction.set_rollback(True)
    print("\nscale:", result.rows, "tickets")
    for role in result.queries:
        print(
            f"  staff home, {role:8} queries {result.queries[role]}  "
            + "  ".join(f"{size}: {s * 1000:.0f} ms" for size, s in result.seconds[role].items())
        )
    for name, plan in result.plans.items():
        read = [  # (index, rows read, in how many loops: the workload's are one per owner)
            (n.get("Index Name") or n["Node Type"], rows_read(n), n.get("Actual Loops", 1))
            for n in tickets_index_scans(plan)
        ]
        print(
            f"  {name:34} {plan['Actual Total Time']:7.1f} ms, cost {plan['Total Cost']:9.0f}, "
            f"rows read {read}"
            + (f" of {result.in_range[name]} in range" if name in result.in_range else "")
        )
    return result


def test_the_data_is_large(scale):
    assert scale.rows == LARGE


@pytest.mark.parametrize("role", list(PINNED))
def test_constant_and_pinned_query_count(scale, role):
    counts = scale.queries[role]
    assert counts[SMALL] == counts[LARGE], (role, counts)
    assert counts[LARGE] == PINNED[role], (role, counts[LARGE], PINNED[role])


@pytest.mark.parametrize("name", list(HOT))
def test_the_home_reads_tickets_from_its_indexes_alone(scale, name):
    hot, plan = HOT[name], scale.plans[name]
    assert not seq_scans_on_tickets(plan), (
        f"{name}: Seq Scan on tickets_ticket\n{json.dumps(plan, indent=1)[:3000]}"
    )
    scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == "tickets_ticket"]
    kinds = {"Index Only Scan"} if hot.index_only else {"Index Only Scan", "Index Scan"}
    assert scans and all(n["Node Type"] in kinds for n in scans), [
        (n["Node Type"], n.get("Index Name")) for n in scans
    ]
    used = {n["Index Name"] for n in scans}
    assert used <= hot.indexes, (name, used)
    assert plan["Total Cost"] < JIT_ABOVE_COST, (name, plan["Total Cost"])


@pytest.mark.parametrize("name", list(HOT))
def test_each_scan_reads_its_cap_or_its_weeks(scale, name):
    """Capped figures and the next due read at most their cap per scan (per owner for the
    workload); a trend reads the tickets of its weeks (those the range holds), never the
    history before them."""
    hot, plan = HOT[name], scale.plans[name]
    most = hot.most_rows if hot.most_rows is not None else scale.in_range[name]
    for node in tickets_index_scans(plan):
        per_loop = rows_read(node) / node.get("Actual Loops", 1)  # a subquery's, per owner
        assert per_loop <= most, (name, node.get("Index Name"), per_loop, most)
    if hot.most_rows is None:
        assert scale.in_range[name] < scale.rows / 5  # the weeks are a small part of the data
