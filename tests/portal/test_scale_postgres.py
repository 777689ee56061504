"""Client tasks at scale on PostgreSQL: 200,000 tasks across 200 companies, 99 % of them closed
history (tests/portal/scale_rows.py), with message threads.

(a) Each hot page — the staff task desk (/app/tasks/: open tasks, the quick filters, the
    triage list, the accepted queue, the other statuses, by company, assignee and plan), a
    task's staff page, the client portal's home, task list (and its closed history's second
    page) and a task's page as a client user of one company, and the task API (staff and
    client: the list with its filters, the queue, a task's messages) — runs the same number of
    SQL queries with 2,000 and with 200,000 tasks.
(b) The plan (EXPLAIN (FORMAT JSON), after ANALYZE) of every query of those requests that reads
    portal_task reads it through an index: no Seq Scan on portal_task. (The tiny tables such as
    plans and categories may be read whole.)
(c) None of them reads the closed history from the table (EXPLAIN ANALYZE: rows a scan of
    portal_task fetched, returned or filtered out; index-only scans fetch none): a staff page at
    most the open tasks and two pages more; a client's page at most CLIENT_ROWS, while their
    company holds 1,000 tasks — their open work, a page of their history, and the open tasks
    waiting on a client (found through task_open_waiting, then narrowed to the company).

The rows are written with bulk_create inside one transaction rolled back at the end of the
module. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest \\
        tests/portal/test_scale_postgres.py -q -s

(-s prints the query counts and timings; timings are never asserted.)
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.accounts.services import api_token_create
from partnerdesk.crm import services as crm_services
from partnerdesk.portal.models import (
    OPEN_STATUSES,
    Message,
    Plan,
    Status,
    Subscription,
    Task,
    WaitingOn,
)
from tests.conftest import login, make_user
from tests.portal.scale_rows import TaskRows
from tests.tickets.test_scale_postgres import explain, plan_nodes, uses_index

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SMALL = 2_000
LARGE = 200_000
COMPANIES = 200
TABLE = "portal_task"
PAGE_ROWS = 100  # the API's largest page (the pages show 20 or 25 rows)
CLIENT_ROWS = 300


@dataclass(repr=False)
class Scale:
    queries: dict[str, dict[int, int]] = field(default_factory=dict)
    ms: dict[str, dict[int, float]] = field(default_factory=dict)
    plans: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    analyzed: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)  # EXPLAIN ANALYZE
    phases: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    closed: int = 0
    open: int = 0
    waiting_on_clients: int = 0  # open tasks waiting on the client, at every company
    company_tasks: int = 0  # the client user's company's


def seq_scans(plan: dict) -> list[dict]:
    return [
        n
        for n in plan_nodes(plan)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == TABLE
    ]


def heap_rows_read(plan: dict) -> int:
    """The most rows one node of an EXPLAIN ANALYZE plan read from portal_task itself (returned
    or filtered out, over all its loops); index-only scans read none."""
    return max(
        (
            (
                n.get("Actual Rows", 0)
                + n.get("Rows Removed by Filter", 0)
                + n.get("Rows Removed by Index Recheck", 0)
            )
            * n.get("Actual Loops", 1)
            for n in plan_nodes(plan)
            if n.get("Relation Name") == TABLE and n["Node Type"] != "Index Only Scan"
        ),
        default=0,
    )


def indexes_read(plans: list[tuple[str, dict]]) -> set[str]:
    return {
        n["Index Name"]
        for _sql, plan in plans
        for n in plan_nodes(plan)
        if str(n.get("Index Name", "")).startswith(("task_", "portal_task_"))
    }


def reads_tasks(sql: str) -> bool:
    return f'"{TABLE}"' in sql and sql.lstrip().upper().startswith(("SELECT", "WITH"))


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker) -> Scale:
    result = Scale()
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip(
                "scale test: set DATABASE_URL=postgres://… (200,000 rows and PostgreSQL plans)"
            )
        with transaction.atomic():
            clock = time.perf_counter()

            def phase(name):
                nonlocal clock
                result.phases[name] = time.perf_counter() - clock
                clock = time.perf_counter()

            admin = make_user("scale-admin@agency.test", Role.ADMIN)
            agents = [make_user(f"scale-agent{i}@agency.test", Role.AGENT) for i in range(5)]
            companies = [
                crm_services.company_create(by=admin, name=f"Scale Co {i}", domain=f"s{i}.example")
                for i in range(COMPANIES)
            ]
            plans = [Plan.objects.get(name=name) for name in ("Solo", "Duo", "Team")]
            now = timezone.now()
            # Every company but one in ten on a plan (Solo, Duo, Team in turn).
            on_plan = {c.pk: plans[n % 3] for n, c in enumerate(companies) if n % 10 != 9}
            Subscription.objects.bulk_create(
                Subscription(company_id=pk, plan=plan, started_at=now - dt.timedelta(days=400))
                for pk, plan in on_plan.items()
            )
            # The client user's company: Team plan, two tasks in triage, one pending approval,
            # three working, three in its queue (see tests/portal/scale_rows.py).
            mine = companies[2]
            client_user = make_user(
                "scale-client@s2.example", Role.CLIENT, company=mine, client_role=ClientRole.ADMIN
            )
            rows = TaskRows(
                now,
                companies=companies,
                slots={
                    c.pk: on_plan[c.pk].concurrent_tasks if c.pk in on_plan else 0
                    for c in companies
                },
                agents=agents,
                clients={mine.pk: client_user},
            )
            phase("users, companies, plans")
            rows.grow_to(SMALL)
            phase(f"bulk_create {SMALL}")

            # A task of the client's queue with a thread: both task pages read it.
            task = (
                Task.objects.filter(company=mine, status=Status.ACCEPTED, messages__isnull=False)
                .order_by("queue_position")
                .first()
            )
            assert task is not None and task.messages.count() == 3
            assert Task.objects.filter(company=mine, status=Status.ACCEPTED).count() == 3
            staff, agent, client = login(admin), login(agents[1]), login(client_user)

            def api(user):
                return Client(
                    headers={"Authorization": f"Bearer {api_token_create(user=user, name='s')[1]}"}
                )

            staff_api, client_api = api(admin), api(client_user)
            pages: dict[str, tuple[Client, str]] = {
                # the staff task desk: open tasks, newest first, and its quick filters
                "desk": (staff, "/app/tasks/"),
                "desk page 2": (staff, "/app/tasks/?page=2"),
                "desk waiting on us": (staff, "/app/tasks/?waiting=agency"),
                "desk waiting on the client": (staff, "/app/tasks/?waiting=client"),
                "desk overdue": (staff, "/app/tasks/?overdue=1"),
                # the triage list, the accepted queue and the other statuses
                "desk triage": (staff, "/app/tasks/?status=triage"),
                "desk accepted": (staff, "/app/tasks/?status=accepted"),
                "desk working": (staff, "/app/tasks/?status=working"),
                "desk pending approval": (staff, "/app/tasks/?status=pending_approval"),
                "desk complete": (staff, "/app/tasks/?status=complete"),
                "desk all": (staff, "/app/tasks/?status=all"),
                "desk company": (staff, f"/app/tasks/?company={companies[5].pk}"),
                "desk mine": (agent, f"/app/tasks/?assignee={agents[1].pk}"),
                "desk unassigned": (staff, "/app/tasks/?assignee=none"),
                "desk plan": (staff, f"/app/tasks/?plan={plans[2].pk}"),
                "desk results (htmx)": (staff, "/app/tasks/?status=triage&waiting=client"),
                "staff task": (staff, f"/app/tasks/{task.pk}/"),
                # the client portal, as a client user of one company
                "portal home": (client, "/portal/"),
                "portal tasks": (client, "/portal/tasks/"),
                "portal tasks page 2": (client, "/portal/tasks/?page=2"),
                "portal task": (client, f"/portal/tasks/{task.pk}/"),
                # the task API
                "api tasks": (staff_api, "/api/tasks?limit=100"),
                "api tasks waiting on the client": (
                    staff_api,
                    "/api/tasks?limit=100&waiting_on=client",
                ),
                "api tasks accepted": (staff_api, "/api/tasks?limit=100&status=accepted"),
                "api tasks complete": (staff_api, "/api/tasks?limit=100&status=complete"),
                "api tasks all": (staff_api, "/api/tasks?limit=100&status=all"),
                "api tasks company": (
                    staff_api,
                    f"/api/tasks?limit=100&company_id={companies[5].pk}",
                ),
                "api tasks overdue": (staff_api, "/api/tasks?limit=100&overdue=true"),
                "api tasks (client)": (client_api, "/api/tasks?limit=100"),
                "api tasks (client) complete": (client_api, "/api/tasks?limit=100&status=complete"),
                "api queue (client)": (client_api, f"/api/companies/{mine.pk}/queue"),
                "api messages (client)": (client_api, f"/api/tasks/{task.pk}/messages"),
            }
            assert list(pages) == PAGES
            htmx = {"desk results (htmx)"}

            def measure(size: int) -> None:
                for name, (user_client, url) in pages.items():
                    headers = {"HX-Request": "true", "HX-Target": "results"} if name in htmx else {}
                    assert user_client.get(url, headers=headers).status_code == 200, url  # warm up
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        response = user_client.get(url, headers=headers)
                        elapsed = time.perf_counter() - started
                    assert response.status_code == 200, (url, response.status_code)
                    result.queries.setdefault(name, {})[size] = len(ctx.captured_queries)
                    result.ms.setdefault(name, {})[size] = elapsed * 1000
                    if size == LARGE:
                        sqls = [q["sql"] for q in ctx.captured_queries if reads_tasks(q["sql"])]
                        result.plans[name] = [(sql, explain(sql)) for sql in sqls]
                        result.analyzed[name] = [(sql, explain(sql, analyze=True)) for sql in sqls]

            measure(SMALL)
            phase(f"measure at {SMALL}")
            rows.grow_to(LARGE)
            phase(f"bulk_create {LARGE - SMALL} more")
            result.rows = Task.objects.count()
            result.closed = Task.objects.filter(closed_at__isnull=False).count()
            result.open = Task.objects.filter(status__in=OPEN_STATUSES).count()
            result.waiting_on_clients = Task.objects.filter(
                status__in=OPEN_STATUSES, waiting_on=WaitingOn.CLIENT
            ).count()
            result.company_tasks = Task.objects.filter(company=mine).count()
            with connection.cursor() as cursor:
                for table in (TABLE, "portal_message", "portal_subscription", "crm_company"):
                    cursor.execute(f"ANALYZE {table}")
                # What VACUUM (autovacuum in a live database) would tell the planner: every page
                # visible to all (see tests/tickets/test_scale_postgres.py).
                cursor.execute(
                    "UPDATE pg_class SET relallvisible = relpages WHERE oid = 'portal_task'::regclass"
                )
            phase("count + ANALYZE")
            measure(LARGE)
            phase(f"measure at {LARGE} + EXPLAIN")
            messages = Message.objects.count()
            transaction.set_rollback(True)
    print(
        f"\nclient tasks at scale: {result.rows} tasks ({result.open} open, {result.closed} closed),"
        f" {messages} messages"
    )
    for name, seconds in result.phases.items():
        print(f"  {name:34} {seconds:6.1f} s")
    for name, counts in result.queries.items():
        scans = sum(len(seq_scans(plan)) for _sql, plan in result.plans[name])
        ms = "  ".join(f"{size}: {v:5.0f} ms" for size, v in result.ms[name].items())
        rows = max((heap_rows_read(plan) for _sql, plan in result.analyzed[name]), default=0)
        print(
            f"  {name:34} queries {counts[SMALL]:>2} / {counts[LARGE]:>2}  {ms}"
            f"  reads {TABLE} {len(result.plans[name])}x, at most {rows} rows from the table,"
            f" through {', '.join(sorted(indexes_read(result.plans[name])))}"
            + (f"  Seq Scan on {TABLE}: {scans}" if scans else "")
        )
    return result


def test_the_data_is_large(scale):
    assert scale.rows == LARGE
    assert scale.closed > 0.95 * LARGE
    # What makes CLIENT_ROWS a test: the company's history is far larger than it; what a
    # client's page may read (a page and its open work, or the open tasks waiting on a client)
    # is not.
    assert scale.company_tasks >= 3 * CLIENT_ROWS
    assert max(scale.waiting_on_clients, PAGE_ROWS + 20) < CLIENT_ROWS


PAGES = [
    "desk",
    "desk page 2",
    "desk waiting on us",
    "desk waiting on the client",
    "desk overdue",
    "desk triage",
    "desk accepted",
    "desk working",
    "desk pending approval",
    "desk complete",
    "desk all",
    "desk company",
    "desk mine",
    "desk unassigned",
    "desk plan",
    "desk results (htmx)",
    "staff task",
    "portal home",
    "portal tasks",
    "portal tasks page 2",
    "portal task",
    "api tasks",
    "api tasks waiting on the client",
    "api tasks accepted",
    "api tasks complete",
    "api tasks all",
    "api tasks company",
    "api tasks overdue",
    "api tasks (client)",
    "api tasks (client) complete",
    "api queue (client)",
    "api messages (client)",
]


@pytest.mark.parametrize("name", PAGES)
def test_constant_query_count(scale, name):
    counts = scale.queries[name]
    assert counts[SMALL] == counts[LARGE], (
        f"{name}: {counts[SMALL]} queries with {SMALL} tasks, {counts[LARGE]} with {LARGE}"
    )


@pytest.mark.parametrize("name", PAGES)
def test_task_queries_read_through_indexes(scale, name):
    plans = scale.plans[name]
    assert plans, f"{name}: no query reads {TABLE}"
    for sql, plan in plans:
        assert not seq_scans(plan), (
            f"{name}: Seq Scan on {TABLE}\n{sql}\n{json.dumps(plan, indent=1)[:4000]}"
        )
        scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == TABLE]
        assert all(uses_index(n) for n in scans), (name, sql, [n["Node Type"] for n in scans])


def is_clients(name: str) -> bool:
    return name.startswith("portal ") or "(client)" in name


@pytest.mark.parametrize("name", PAGES)
def test_no_page_reads_the_closed_history_from_the_table(scale, name):
    budget = CLIENT_ROWS if is_clients(name) else scale.open + 2 * PAGE_ROWS
    for sql, plan in scale.analyzed[name]:
        rows = heap_rows_read(plan)
        assert rows <= budget, (
            f"{name}: {rows} rows read from {TABLE} (at most {budget})\n{sql}\n"
            f"{json.dumps(plan, indent=1)[:4000]}"
        )
