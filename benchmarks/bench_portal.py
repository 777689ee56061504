"""Benchmark of the client portal's task queue: pages and API at scale, transitions, contention.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_portal.py [--companies 1000] [--tasks-per-company 100] \\
        [--repeat 5] [--cycles 200] [--threads 50] [--explain] [--keep]

It measures three things, with the project settings (DEBUG off, the database task backend,
events dispatched to it as in production; no worker runs, so the queued jobs just accumulate):

1. Reads at scale. Client companies, each with a plan (Solo, Duo and Team in turn; some with
   an ended earlier plan), one client user and tasks in every status -- complete, declined,
   pending approval, working, accepted (the queue, positions 1..n per company), triage; at most
   the plan's limit working or pending approval -- and ``--messages-per-task`` messages each,
   are written in bulk (``bulk_create``, with realistic timestamps spread over two years and
   rows interleaved across companies as they would be in real life), checked, then
   ``VACUUM ANALYZE``-d. Each page is then requested through Django's test client (logged in
   with ``force_login``, or with an API token) once to warm up and ``--repeat`` times timed:
   the SQL query count, the median and maximum time of a request, the SQL time within it and
   the slowest query are printed. This is done twice: first at a small size
   (``--small-companies`` x ``--small-tasks-per-company``), then with the full size added to
   the same database, and the query counts of both are printed side by side -- they must be
   equal (ROWS marks a page whose count differs, with the queries repeated). SLOW marks a page
   whose median is above ``--slow-ms``, "slow max" one whose slowest request is; their queries
   are listed with their times, and ``--explain`` adds the EXPLAIN ANALYZE of the slowest.
   The test client keeps one database connection open, so the figures do not include
   opening a connection per request (CONN_MAX_AGE=0 in production does).
2. Throughput of the task transitions: ``--cycles`` accept + start + deliver + approve cycles
   through ``portal.services`` in one thread, on a company of its own (after a few warm-up
   cycles); cycles per second and the time of each transition.
3. Contention: ``--threads`` threads (each with its own connection, opened before the race,
   and closed at the end) released together by a barrier call ``task_start`` on the 10
   accepted tasks of a Duo client (limit 2): the wall time from the release to the last
   thread, the outcomes, and a check that exactly 2 tasks are working and the queue of the
   other 8 is numbered 1..8.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _postgres import (  # noqa: E402  (benchmarks/ is on sys.path when run)
    database_url,
    migrated_database,
    server_settings,
)

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=1000, help="client companies")
    parser.add_argument("--tasks-per-company", type=int, default=100, help="tasks of each")
    parser.add_argument("--messages-per-task", type=int, default=2, help="messages on each task")
    parser.add_argument("--small-companies", type=int, default=10, help="the small size")
    parser.add_argument("--small-tasks-per-company", type=int, default=10, help="the small size")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument("--cycles", type=int, default=200, help="transition cycles timed")
    parser.add_argument("--threads", type=int, default=50, help="concurrent task_start calls")
    parser.add_argument("--slow-ms", type=float, default=300, help="flag pages slower than this")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of slow pages"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if min(args.tasks_per_company, args.small_tasks_per_company) < 8:
        parser.error("every company needs at least 8 tasks (one or more of each status)")
    if min(args.companies, args.small_companies, args.repeat, args.cycles) < 1:
        parser.error("--companies, --small-companies, --repeat and --cycles are at least 1")
    if args.threads < 2:
        parser.error("--threads is at least 2")
    return args


# ---------------------------------------------------------------- the data


@contextmanager
def explicit_created_at(*models):
    """Let bulk_create keep the ``created_at`` given (it is ``auto_now_add`` otherwise)."""
    fields = [model._meta.get_field("created_at") for model in models]
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


@dataclass
class Scenario:
    """What one population round measures: its first company (on the Team plan)."""

    label: str
    companies: int
    tasks_per_company: int
    client_user: object
    queued_task: object
    tasks: int = 0
    messages: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)


def status_plan(n: int, limit: int, index: int) -> list[str]:
    """The statuses of a company's ``n`` tasks, oldest first: closed ones, then the slot
    holders (the plan's limit, one less for every fifth company), the queue, triage."""
    from partnerdesk.portal.models import Status

    used = limit - (1 if index % 5 == 4 else 0)
    working = (used + 1) // 2
    pending = used - working
    rest = n - used
    triage = max(1, round(rest * 0.10))
    accepted = max(1, round(rest * 0.20))
    declined = max(1, round(rest * 0.05))
    complete = rest - triage - accepted - declined
    closed = [Status.COMPLETE] * complete + [Status.DECLINED] * declined
    return (
        closed
        + [Status.PENDING_APPROVAL] * pending
        + [Status.WORKING] * working
        + [Status.ACCEPTED] * accepted
        + [Status.TRIAGE] * triage
    )


def company_tasks(company, client, agents, categories, limit, index, n, now, rng, cal):
    """A company's tasks (unsaved), valid for their status, with their creation times."""
    from partnerdesk.portal.models import Status, Task, WaitingOn

    statuses = status_plan(n, limit, index)
    # Closed tasks are the oldest and are shuffled among themselves (declined ones are not all
    # the most recent closed); the open ones are the latest requests.
    closed_count = sum(1 for s in statuses if s in (Status.COMPLETE, Status.DECLINED))
    head = statuses[:closed_count]
    rng.shuffle(head)
    statuses[:closed_count] = head
    span = int((730 * DAY).total_seconds())
    created = sorted(now - dt.timedelta(seconds=rng.randrange(3600, span)) for _ in statuses)
    tasks, queue_position, working_seen = [], 0, 0
    for status, created_at in zip(statuses, created, strict=True):
        agent = agents[rng.randrange(len(agents))]
        task = Task(
            company=company,
            title=f"Request {len(tasks) + 1} of {company.name}",
            description="Please look at the lifecycle stages and the duplicate contacts.",
            category=categories[rng.randrange(len(categories))],
            status=status,
            requested_by=client,
            created_at=created_at,
        )
        if status == Status.TRIAGE:
            task.waiting_on = WaitingOn.CLIENT if rng.random() < 0.3 else WaitingOn.AGENCY
            task.assignee = agent if rng.random() < 0.5 else None
        elif status == Status.DECLINED:
            task.waiting_on = WaitingOn.NOBODY
            task.decline_reason = "Out of scope of the plan."
            task.closed_at = min(now, created_at + DAY)
        else:
            task.assignee = agent
            task.estimate_minutes = rng.choice((30, 60, 90, 120, 180, 240, 480, 960))
            task.accepted_at = min(now, created_at + HOUR)
        if status == Status.ACCEPTED:
            queue_position += 1
            task.queue_position = queue_position
            task.waiting_on = WaitingOn.AGENCY
        elif status in (Status.WORKING, Status.PENDING_APPROVAL, Status.COMPLETE):
            if status == Status.COMPLETE:
                started = min(now, created_at + DAY)
            elif status == Status.WORKING and working_seen == 0 and index % 4 == 1:
                started = max(task.accepted_at, now - 30 * DAY)  # surely past its estimate
            else:
                started = max(task.accepted_at, now - dt.timedelta(hours=rng.randrange(1, 96)))
            working_seen += status == Status.WORKING
            task.started_at = started
            task.estimated_completion = cal.add_working_time(
                started, dt.timedelta(minutes=task.estimate_minutes)
            )
            task.waiting_on = WaitingOn.AGENCY
            if status in (Status.PENDING_APPROVAL, Status.COMPLETE):
                task.delivered_at = min(now, max(started, task.estimated_completion))
                task.waiting_on = WaitingOn.CLIENT
            if status == Status.PENDING_APPROVAL:
                task.next_reminder_at = cal.add_working_days(task.delivered_at, 2)
            if status == Status.COMPLETE:
                task.waiting_on = WaitingOn.NOBODY
                task.closed_at = min(now, task.delivered_at + DAY)
        tasks.append(task)
    return tasks


def populate(label: str, companies: int, per_company: int, messages: int, agents, rng):
    """Write ``companies`` client companies with their plans, users, tasks and messages."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from partnerdesk.accounts.models import ClientRole, Role, User
    from partnerdesk.core import clock
    from partnerdesk.crm.models import Company
    from partnerdesk.portal.models import Message, Plan, Status, Subscription, Task, TaskCategory
    from partnerdesk.sla.clock import agency_calendar

    started = time.monotonic()
    now = clock.now()
    cal = agency_calendar()
    plans = {p.name: p for p in Plan.objects.all()}
    by_index = [plans["Team"], plans["Duo"], plans["Solo"]]  # company 0 is on Team
    categories = list(TaskCategory.objects.filter(is_active=True, is_consultation=False))
    slug = label.lower()
    unusable = make_password(None)
    with transaction.atomic():
        company_rows = Company.objects.bulk_create(
            Company(name=f"{label} Client {i:05d}", domain=f"{slug}-client-{i}.example")
            for i in range(companies)
        )
        clients = User.objects.bulk_create(
            User(
                email=f"owner@{c.domain}",
                full_name=f"Owner of {c.name}",
                role=Role.CLIENT,
                company=c,
                client_role=ClientRole.ADMIN,
                password=unusable,
            )
            for c in company_rows
        )
        subscriptions = []
        for i, company in enumerate(company_rows):
            if i % 4 == 0:  # on a smaller plan before
                subscriptions.append(
                    Subscription(
                        company=company,
                        plan=plans["Solo"],
                        started_at=now - 800 * DAY,
                        ended_at=now - 400 * DAY,
                    )
                )
            subscriptions.append(
                Subscription(company=company, plan=by_index[i % 3], started_at=now - 400 * DAY)
            )
        Subscription.objects.bulk_create(subscriptions)
        pending = []
        for i, (company, client) in enumerate(zip(company_rows, clients, strict=True)):
            pending += company_tasks(
                company,
                client,
                agents,
                categories,
                by_index[i % 3].concurrent_tasks,
                i,
                per_company,
                now,
                rng,
                cal,
            )
        pending.sort(key=lambda t: t.created_at)  # ids in submission order, companies mixed
        client_of = {c.company_id: c for c in clients}
        message_count = 0
        with explicit_created_at(Task, Message):
            for first in range(0, len(pending), 5000):
                batch = Task.objects.bulk_create(pending[first : first + 5000])
                rows = [
                    Message(
                        task=task,
                        author=agents[0] if k % 2 else client_of[task.company_id],
                        from_agency=bool(k % 2),
                        body=f"Message {k + 1} about {task.title}.\n\nThanks!",
                        created_at=min(now, task.created_at + (k + 1) * HOUR),
                    )
                    for task in batch
                    for k in range(messages)
                ]
                Message.objects.bulk_create(rows, batch_size=5000)
                message_count += len(rows)
    first_company = company_rows[0]
    queue = list(
        Task.objects.filter(company=first_company, status=Status.ACCEPTED).order_by(
            "queue_position"
        )
    )
    return Scenario(
        label=label,
        companies=companies,
        tasks_per_company=per_company,
        client_user=clients[0],
        queued_task=queue[len(queue) // 2],
        tasks=len(pending),
        messages=message_count,
        seconds=time.monotonic() - started,
    )


def check_data() -> Counter:
    """The rules the services keep hold for the bulk-written data too."""
    from django.db.models import Count, Max, Min

    from partnerdesk.portal.models import SLOT_STATUSES, Status, Subscription, Task

    limits = dict(
        Subscription.objects.filter(ended_at__isnull=True).values_list(
            "company_id", "plan__concurrent_tasks"
        )
    )
    for row in (
        Task.objects.filter(status__in=SLOT_STATUSES)
        .values("company_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        assert row["n"] <= limits.get(row["company_id"], 0), row
    for row in (
        Task.objects.filter(status=Status.ACCEPTED)
        .values("company_id")
        .annotate(
            n=Count("id"),
            distinct=Count("queue_position", distinct=True),
            low=Min("queue_position"),
            high=Max("queue_position"),
        )
        .order_by()
    ):
        assert row["low"] == 1 and row["high"] == row["n"] == row["distinct"], row
    return Counter(dict(Task.objects.values_list("status").annotate(n=Count("id")).order_by()))


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------- timing pages


@dataclass
class Measure:
    queries: list[int]
    ms: list[float]
    sql_ms: list[float]
    last: list[tuple[float, str]]  # (ms, SQL) of each query of the last request

    @property
    def slowest(self) -> tuple[float, str]:
        return max(self.last, key=lambda q: q[0])

    @property
    def shapes(self) -> Counter:
        return Counter(shape(sql) for _ms, sql in self.last)

    @property
    def count(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"


# The list of plain columns of a SELECT ("table"."column" [AS "alias"], ...).
COLUMNS = re.compile(r'^SELECT (?:"\w+"\."\w+"(?: AS "\w+")?, )+"\w+"\."\w+"(?: AS "\w+")? FROM ')


def short(sql: str, limit: int = 200) -> str:
    """A query with its list of columns left out, cut to ``limit`` characters."""
    sql = COLUMNS.sub("SELECT ... FROM ", sql, count=1)
    return sql if len(sql) <= limit else sql[: limit - 3] + "..."


def shape(sql: str) -> str:
    """A query without its literals, to spot the same query repeated per row (N+1)."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    return re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)


def measure(client, url: str, repeat: int, headers: dict | None = None) -> Measure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, headers=headers or {})
    if response.status_code != 200:
        sys.exit(f"GET {url} answered {response.status_code}:\n{response.content[:2000]!r}")
    queries, times, sql_times, last = [], [], [], None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, headers=headers or {})
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured.captured_queries))
        sql_times.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        last = captured.captured_queries
    return Measure(
        queries=queries,
        ms=times,
        sql_ms=sql_times,
        last=[(float(q["time"]) * 1000, q["sql"]) for q in last],
    )


def pages(scenario: Scenario, staff, team_plan, tokens: dict) -> list[tuple[str, object, str]]:
    """(name, client, url) of every page measured, for this round's client company."""
    from django.test import Client
    from django.urls import reverse

    client_web = Client()
    client_web.force_login(scenario.client_user)
    staff_web = Client()
    staff_web.force_login(staff)
    client_api = Client(headers={"Authorization": f"Bearer {tokens['client']}"})
    staff_api = Client(headers={"Authorization": f"Bearer {tokens['staff']}"})
    triage = reverse("taskdesk:triage")
    return [
        ("client: task list + queue forecast", client_web, reverse("portal:task_list")),
        (
            "client: task detail (queued task)",
            client_web,
            reverse("portal:task_detail", kwargs={"pk": scenario.queued_task.pk}),
        ),
        ("staff: triage, open tasks", staff_web, triage),
        ("staff: triage ?plan=Team", staff_web, f"{triage}?plan={team_plan.pk}"),
        ("staff: triage ?waiting=agency", staff_web, f"{triage}?waiting=agency"),
        ("staff: triage ?waiting=client", staff_web, f"{triage}?waiting=client"),
        ("staff: triage ?overdue=1", staff_web, f"{triage}?overdue=1"),
        ("API GET /api/tasks, client token", client_api, "/api/tasks"),
        ("API GET /api/tasks, staff token", staff_api, "/api/tasks"),
    ]


def measure_round(scenario: Scenario, staff, team_plan, repeat: int) -> dict[str, Measure]:
    from partnerdesk.accounts.services import api_token_create

    tokens = {
        "client": api_token_create(user=scenario.client_user, name="bench")[1],
        "staff": api_token_create(user=staff, name=f"bench {scenario.label}")[1],
    }
    return {
        name: measure(client, url, repeat)
        for name, client, url in pages(scenario, staff, team_plan, tokens)
    }


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def report_pages(small: dict, big: dict, args, scenarios) -> list[str]:
    """Print the table; returns the names of the pages that are slow or grow with rows."""
    s, b = scenarios
    print(
        f"\nQuery counts at {s.companies} x {s.tasks_per_company} tasks ({s.tasks:,}) and at "
        f"{b.companies:,} x {b.tasks_per_company} ({b.tasks:,}); times at the full size, "
        f"median and max of {args.repeat} requests after a warm-up:"
    )
    header = (
        f"{'page':<36} {'q small':>7} {'q big':>6}  {'median ms':>9} {'max ms':>7} "
        f"{'SQL ms':>7} {'slowest q ms':>12}  {'small ms':>8}"
    )
    print(header)
    print("-" * len(header))
    flagged = []
    for name, m in big.items():
        small_m = small[name]
        median = statistics.median(m.ms)
        grows = min(small_m.queries) != min(m.queries)
        mark = "  ROWS" if grows else ""
        if median > args.slow_ms:
            mark += "  SLOW"
        elif max(m.ms) > args.slow_ms:
            mark += "  slow max"
        print(
            f"{name:<36} {small_m.count:>7} {m.count:>6}  {median:>9.1f} {max(m.ms):>7.1f} "
            f"{statistics.median(m.sql_ms):>7.1f} {m.slowest[0]:>12.1f}  "
            f"{statistics.median(small_m.ms):>8.1f}{mark}"
        )
        if mark:
            flagged.append(name)
        if grows:
            for sql in sorted(set(m.shapes) | set(small_m.shapes)):
                if m.shapes[sql] != small_m.shapes[sql]:
                    print(f"    x{small_m.shapes[sql]} small, x{m.shapes[sql]} big: {short(sql)}")
    if any(len(set(m.queries)) > 1 for m in [*small.values(), *big.values()]):
        print(
            "(a range: the count varied between repeats; the API token's last_used_at is "
            "written at most once a minute)"
        )
    print(
        "SQL ms: the time spent in the database driver (with the round trips); "
        "slowest q: the slowest query of the last request."
    )
    for name in flagged:
        m = big[name]
        print(f"\n{name}, the queries of the last request (ms):")
        for ms, sql in m.last:
            print(f"  {ms:6.1f}  {short(sql)}")
        if args.explain:
            print(f"EXPLAIN ANALYZE of the slowest:\n{explain(m.slowest[1])}")
    return flagged


# ---------------------------------------------------------------- transitions


def new_client_company(name: str, plan):
    from partnerdesk.accounts.models import ClientRole, Role, User
    from partnerdesk.core import clock
    from partnerdesk.crm.models import Company
    from partnerdesk.portal.models import Subscription

    slug = name.lower().replace(" ", "-")
    company = Company.objects.create(name=name, domain=f"{slug}.example")
    Subscription.objects.create(company=company, plan=plan, started_at=clock.now() - DAY)
    client = User.objects.create_user(
        f"owner@{slug}.example",
        None,
        full_name=f"Owner of {name}",
        role=Role.CLIENT,
        company=company,
        client_role=ClientRole.ADMIN,
    )
    return company, client


def run_cycles(cycles: int, agent, plan, category) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerdesk.portal import services
    from partnerdesk.portal.models import Status, Task

    company, client = new_client_company("Throughput Client", plan)
    warm = 5
    tasks = Task.objects.bulk_create(
        Task(company=company, title=f"Cycle {i}", category=category, requested_by=client)
        for i in range(warm + cycles)
    )
    names = ("accept", "start", "deliver", "approve")
    spent = dict.fromkeys(names, 0.0)

    def cycle(task) -> None:
        steps = (
            lambda t: services.task_accept(by=agent, task=t, estimate_minutes=120),
            lambda t: services.task_start(by=agent, task=t),
            lambda t: services.task_deliver(by=agent, task=t),
            lambda t: services.task_approve(by=client, task=t),
        )
        for name, step in zip(names, steps, strict=True):
            started = time.perf_counter()
            task = step(task)
            spent[name] += time.perf_counter() - started

    for task in tasks[: warm - 1]:
        cycle(task)
    with CaptureQueriesContext(connection) as captured:
        cycle(tasks[warm - 1])
    spent = dict.fromkeys(names, 0.0)
    started = time.perf_counter()
    for task in tasks[warm:]:
        cycle(task)
    seconds = time.perf_counter() - started
    assert Task.objects.filter(company=company, status=Status.COMPLETE).count() == warm + cycles
    per = ", ".join(f"{n} {spent[n] / cycles * 1000:.1f}" for n in names)
    print(
        f"\nTransitions: {cycles} accept+start+deliver+approve cycles in {seconds:.2f} s = "
        f"{cycles / seconds:.1f} cycles/s ({4 * cycles / seconds:.0f} transitions/s); "
        f"ms per call: {per}; {len(captured.captured_queries)} SQL queries per cycle"
    )


def run_contention(threads: int, agent, plan, category) -> bool:
    from django.db import connection, connections

    from partnerdesk.core.errors import DomainError
    from partnerdesk.portal import services
    from partnerdesk.portal.models import Status, Task

    company, client = new_client_company("Contention Client", plan)
    tasks = [
        services.task_accept(
            by=agent,
            task=services.task_submit(by=client, title=f"Race {i}", category=category),
            estimate_minutes="2h",
        )
        for i in range(10)
    ]
    release: list[float] = []
    barrier = threading.Barrier(threads, action=lambda: release.append(time.perf_counter()))
    outcomes: list[str] = ["?"] * threads
    ends = [0.0] * threads

    def run(index: int) -> None:
        try:
            connection.ensure_connection()  # this thread's own connection, before the race
            barrier.wait(timeout=60)
            services.task_start(by=agent, task=tasks[index % len(tasks)])
            outcomes[index] = "ok"
        except DomainError as exc:
            outcomes[index] = exc.code
        except Exception as exc:
            outcomes[index] = f"crash {exc!r}"
        finally:
            ends[index] = time.perf_counter()
            connections.close_all()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=180)
    hung = sum(thread.is_alive() for thread in pool)
    wall = (max(ends) - release[0]) * 1000 if release else float("nan")
    counts = Counter(Task.objects.filter(company=company).values_list("status", flat=True))
    positions = sorted(
        Task.objects.filter(company=company, status=Status.ACCEPTED).values_list(
            "queue_position", flat=True
        )
    )
    ok = (
        not hung
        and Counter(outcomes)["ok"] == plan.concurrent_tasks
        and counts == {Status.WORKING: 2, Status.ACCEPTED: 8}
        and positions == list(range(1, 9))
    )
    print(
        f"\nContention: {threads} threads start the 10 accepted tasks of a {plan.name} client "
        f"(limit {plan.concurrent_tasks}) at once: {wall:.0f} ms wall from the release to the "
        f"last answer; outcomes {dict(Counter(outcomes))}; tasks now "
        f"{ {str(k): v for k, v in counts.items()} }, queue positions {positions}"
        + ("" if not hung else f"; {hung} threads HUNG")
    )
    print(
        "exactly 2 working, the queue 1..8: "
        + ("yes" if ok else "NO -- the plan-slot rule broke under concurrency")
    )
    return ok


# ---------------------------------------------------------------- main


def main() -> None:
    args = parse_args()
    config = server_settings("the plan-slot locks and the query plans are PostgreSQL's")
    name = f"bench_portal_{os.getpid()}"
    url = database_url(config, name)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="partnerdesk.settings",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        EMAIL_URL="dummy:",
        LOG_LEVEL="WARNING",
    )
    ok = True
    with migrated_database(config, name, keep=args.keep) as ready:
        print(ready, flush=True)
        from partnerdesk.accounts.models import Role, User
        from partnerdesk.portal.models import Plan, TaskCategory

        agents = [
            User.objects.create_user(
                f"agent{i}@agency.test", None, full_name=f"Agent {i}", role=Role.AGENT
            )
            for i in range(5)
        ]
        staff = agents[0]
        team = Plan.objects.get(name="Team")
        category = TaskCategory.objects.get(name="HubSpot Administration")
        rng = random.Random(args.seed)

        sizes = (
            ("Small", args.small_companies, args.small_tasks_per_company),
            ("Big", args.companies, args.tasks_per_company),
        )
        scenarios, results = [], []
        for label, companies, per_company in sizes:
            scenario = populate(label, companies, per_company, args.messages_per_task, agents, rng)
            scenario.statuses = check_data()
            vacuum_analyze()
            total = sum(scenario.statuses.values())
            print(
                f"{label}: {companies:,} companies x {per_company} tasks = {scenario.tasks:,} "
                f"tasks and {scenario.messages:,} messages written in {scenario.seconds:.1f} s "
                f"(all tasks now {total:,}: "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(scenario.statuses.items()))
                + "); queue positions and plan limits checked"
            )
            scenarios.append(scenario)
            results.append(measure_round(scenario, staff, team, args.repeat))
        flagged = report_pages(results[0], results[1], args, scenarios)

        run_cycles(args.cycles, staff, team, category)
        ok = run_contention(args.threads, staff, Plan.objects.get(name="Duo"), category)
        if flagged:
            print(f"\nflagged (slow or growing with rows): {', '.join(flagged)}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
