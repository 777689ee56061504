"""Benchmark of the partner program: points, standing and forecast for 5,000 client accounts
with 1,000,000 qualifying activities, and the program's pages and API at that size.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, filled and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_partner_program.py [--accounts 5000] \\
        [--activities 1000000] [--repeat 5] [--explain] [--keep]

The data: ``--accounts`` client companies, each with one HubSpot account (one in ten in a growth
market) holding one to three subscriptions in USD, EUR, GBP or AUD, each with one to three MRR
versions over the last two years; relationships (sourced for 30 %, assisted for 20 %, managed
for 70 % of the accounts, some managed periods already ended), two managing partners on one
account in ten, 50 agency employees correctly connected to the managed accounts (one in five
connections incomplete), certifications, and ``--activities`` qualifying activities spread over
the accounts, the employees, the catalogue and the last two years. The small tables are written
with ``bulk_create``; the activities with one ``INSERT … SELECT generate_series`` (the fast way
to a million rows; their values are the same kind the services write). Then ``VACUUM ANALYZE``.

Timed, each once to warm up and ``--repeat`` times (the SQL query count, the median and the
maximum wall time, the slowest SQL query):

1. the arithmetic: ``points.totals`` (every account's points today, one aggregate query),
   ``standing.standing`` (today's figures, the tier, the credited review and the forecast),
   ``standing.forecast`` alone, and ``points.series`` (12 month ends);
2. the pages through Django's test Client as a manager, warm: the standing page (the goal: under
   300 ms), the accounts list (by name and by points), an account's page, the activities list
   with its totals (all, and one month), the points chart;
3. the API: standing, the accounts list, the activities list.

``--explain`` prints the plan of each route's slowest query. The settings are the project's with
DEBUG off; query counts come from CaptureQueriesContext.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _postgres import (  # noqa: E402  (benchmarks/ is on sys.path when run)
    database_url,
    migrated_database,
    server_settings,
)

BATCH = 5_000
EMPLOYEES = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5_000, help="client HubSpot accounts")
    parser.add_argument("--activities", type=int, default=1_000_000, help="qualifying activities")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measure")
    parser.add_argument("--explain", action="store_true", help="print each slowest query's plan")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.accounts < 1 or args.activities < 0 or args.repeat < 1:
        parser.error("--accounts and --repeat must be at least 1")
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
            f"  {self.name:34} {self.query_count:>7} {statistics.median(self.ms):9.1f} "
            f"{max(self.ms):9.1f} {self.slowest_ms:11.1f}"
        )


HEADER = f"  {'measure':34} {'queries':>7} {'median ms':>9} {'max ms':>9} {'slowest SQL':>11}"


def timed(name: str, repeat: int, run) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()  # warm-up
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


def progress(started: float, text: str) -> None:
    print(f"  {time.monotonic() - started:7.1f} s  {text}", flush=True)


def account_relationships(i: int, account, opened: dt.date) -> list:
    """The i-th account's relationships: 30% sourced, 20% assisted, 70% managed (every
    seventh of those after an earlier managed period that lapsed). Shared with the partner
    dashboard's benchmark, so both measure the same mix."""
    from partnerdesk.partner_program.models import EndReason, Relationship, RelationshipKind

    relationships = []
    if i % 10 < 3:
        relationships.append(
            Relationship(account=account, kind=RelationshipKind.SOURCED, started_on=opened)
        )
    if i % 10 in (3, 4):
        relationships.append(
            Relationship(account=account, kind=RelationshipKind.ASSISTED, started_on=opened)
        )
    if i % 10 < 7:
        if i % 7 == 0:  # an earlier managed period that lapsed
            relationships.append(
                Relationship(
                    account=account,
                    kind=RelationshipKind.MANAGED,
                    started_on=opened,
                    ended_on=opened + dt.timedelta(days=200),
                    end_reason=EndReason.LAPSED,
                    automatic=True,
                )
            )
        relationships.append(
            Relationship(
                account=account,
                kind=RelationshipKind.MANAGED,
                started_on=opened + dt.timedelta(days=300),
                automatic=True,
            )
        )
    return relationships


def build(args, manager) -> float:
    """Every table of the program at the benchmark's size; returns the seconds it took."""
    from django.db import connection
    from django.utils import timezone

    from partnerdesk.accounts.models import Role, User
    from partnerdesk.crm.models import Company
    from partnerdesk.partner_program.models import (
        ActivityType,
        Certification,
        EmployeeConnection,
        HubSpotAccount,
        ManagingPartners,
        Relationship,
        Subscription,
        SubscriptionChange,
        TierReview,
    )
    from partnerdesk.partner_program.services.config import REVIEW_DAYS

    rng = random.Random(20250314)
    started = time.monotonic()
    today = timezone.localdate()
    opened = today - dt.timedelta(days=3 * 365)
    employees = User.objects.bulk_create(
        User(
            email=f"bench-agent{i}@agency.test",
            full_name=f"Agent {i}",
            role=Role.AGENT,
            password="!",  # noqa: S106  (an unusable password: nobody signs in)
        )
        for i in range(EMPLOYEES)
    )
    companies = Company.objects.bulk_create(
        (Company(name=f"Client {i:05}", domain=f"client{i}.example") for i in range(args.accounts)),
        batch_size=BATCH,
    )
    accounts = HubSpotAccount.objects.bulk_create(
        (
            HubSpotAccount(
                company=company,
                hub_id=str(10_000_000 + i),
                name=f"Portal {i:05}",
                growth_market=i % 10 == 0,
                opened_on=opened,
            )
            for i, company in enumerate(companies)
        ),
        batch_size=BATCH,
    )
    progress(started, f"{len(accounts):,} companies and accounts, {EMPLOYEES} employees")

    currencies = [
        ("USD", 1),
        ("EUR", Decimal("0.88")),
        ("GBP", Decimal("0.74")),
        ("AUD", Decimal("1.54")),
    ]
    subscriptions, versions = [], []
    for account in accounts:
        for n in range(rng.randint(1, 3)):
            code, factor = rng.choice(currencies)
            start = opened + dt.timedelta(days=rng.randint(0, 365))
            mrr = (Decimal(rng.randint(50, 5000)) * factor).quantize(Decimal("0.01"))
            subscriptions.append(
                Subscription(
                    account=account,
                    product=f"{rng.choice(['Marketing', 'Sales', 'Service', 'Content'])} Hub {n}",
                    seats=rng.randint(1, 20),
                    mrr=mrr,
                    currency=code,
                    start_date=start,
                )
            )
    Subscription.objects.bulk_create(subscriptions, batch_size=BATCH)
    for subscription in subscriptions:
        day, mrr = subscription.start_date, subscription.mrr
        for _ in range(rng.randint(1, 3)):
            versions.append(
                SubscriptionChange(
                    subscription=subscription,
                    effective_on=day,
                    mrr=mrr,
                    currency=subscription.currency,
                )
            )
            day += dt.timedelta(days=rng.randint(60, 300))
            mrr = (mrr * Decimal(rng.choice(["0.9", "1.1", "1.25"]))).quantize(Decimal("0.01"))
            if day > today:
                break
        subscription.mrr = versions[-1].mrr
    SubscriptionChange.objects.bulk_create(versions, batch_size=BATCH)
    Subscription.objects.bulk_update(subscriptions, ["mrr"], batch_size=BATCH)
    progress(started, f"{len(subscriptions):,} subscriptions with {len(versions):,} MRR versions")

    relationships, partners, connections = [], [], []
    for i, account in enumerate(accounts):
        relationships.extend(account_relationships(i, account, opened))
        if i % 10 < 7:
            for employee in rng.sample(employees, 2):
                complete = rng.random() > 0.2
                connections.append(
                    EmployeeConnection(
                        employee=employee,
                        account=account,
                        in_partner_account=True,
                        client_assigned=True,
                        in_client_account=complete,
                        confirmed_at=timezone.now(),
                    )
                )
        if i % 10 == 9:
            partners.append(
                ManagingPartners(
                    account=account, count=2, effective_from=opened + dt.timedelta(days=400)
                )
            )
    Relationship.objects.bulk_create(relationships, batch_size=BATCH)
    ManagingPartners.objects.bulk_create(partners, batch_size=BATCH)
    EmployeeConnection.objects.bulk_create(connections, batch_size=BATCH)
    certifications = []
    for employee in employees:
        for name in ("Inbound", "Solutions Partner")[: rng.randint(1, 2)]:
            issued = today - dt.timedelta(days=rng.randint(30, 700))
            expires = today + dt.timedelta(days=rng.randint(-100, 700))
            certifications.append(
                # never expiring before it was issued (the model's check constraint)
                Certification(
                    employee=employee, name=name, issued_on=issued, expires_on=max(issued, expires)
                )
            )
    Certification.objects.bulk_create(certifications)
    last_review = max(
        dt.date(year, month, day)
        for year in (today.year - 1, today.year)
        for month, day in REVIEW_DAYS
        if dt.date(year, month, day) <= today
    )
    TierReview.objects.create(reviewed_on=last_review, tier=None, figures={"bench": True})
    progress(
        started,
        f"{len(relationships):,} relationships, {len(connections):,} connections, "
        f"{len(partners):,} managing-partner versions",
    )

    types = list(ActivityType.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO partner_program_qualifyingactivity
                (employee_id, account_id, activity_type_id, occurred_on, note, source, created_at)
            SELECT e.ids[(1 + (g * 31) %% cardinality(e.ids))::int],
                   a.ids[(1 + (g * 7919) %% cardinality(a.ids))::int],
                   t.ids[(1 + g %% cardinality(t.ids))::int],
                   %s::date - ((g * 37) %% 730)::int,
                   '', 'manual', now()
            FROM generate_series(1::bigint, %s::bigint) AS g,
                 (SELECT %s::bigint[] AS ids) AS e,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM partner_program_hubspotaccount) AS a,
                 (SELECT %s::bigint[] AS ids) AS t
            """,
            [today, args.activities, [u.pk for u in employees], types],
        )
    progress(started, f"{args.activities:,} qualifying activities")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('partner_program_qualifyingactivity'))"
        )
        size = cursor.fetchone()[0]
    progress(started, f"VACUUM ANALYZE; the activities with their indexes: {size}")
    return time.monotonic() - started


def main() -> None:
    args = parse_args()
    config = server_settings("it measures PostgreSQL's plans at scale")
    name = f"partnerdesk_bench_partner_{os.getpid()}"
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
            f"{ready}; {args.accounts:,} accounts, {args.activities:,} activities, "
            f"{args.repeat} timed runs each",
            flush=True,
        )
        results, build_seconds = run(args)
        print(
            f"\n{args.accounts:,} accounts and {args.activities:,} activities, built in "
            f"{build_seconds:.1f} s; load average {os.getloadavg()[0]:.2f}"
        )
        print(HEADER)
        for result in results:
            print(result.line())


def run(args) -> tuple[list[Result], float]:
    from django.test import Client
    from django.utils import timezone

    from partnerdesk.accounts.models import Role, User
    from partnerdesk.accounts.services import api_token_create
    from partnerdesk.partner_program import points, standing
    from partnerdesk.partner_program.models import HubSpotAccount

    manager = User.objects.create_user(
        "bench@agency.test", None, full_name="Bench", role=Role.MANAGER
    )
    build_seconds = build(args, manager)
    today = timezone.localdate()

    staff = Client()
    staff.force_login(manager)
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=manager, name='b')[1]}"})
    account = HubSpotAccount.objects.order_by("pk")[1]  # sourced and managed
    month = today.strftime("%Y-%m")

    def get(client, url):
        def request():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return request

    measures = {
        "points.totals (all accounts)": lambda: points.totals(today),
        "standing.standing": lambda: standing.standing(today),
        "standing.forecast": lambda: standing.forecast(today),
        "points.series (12 month ends)": lambda: points.series(today, months=12),
        "page: standing": get(staff, "/app/partner/"),
        "page: accounts by name": get(staff, "/app/partner/accounts/"),
        "page: accounts by points": get(staff, "/app/partner/accounts/?sort=-total"),
        "page: an account": get(staff, f"/app/partner/accounts/{account.pk}/"),
        "page: activities with totals": get(staff, "/app/partner/activities/"),
        "page: activities of a month": get(staff, f"/app/partner/activities/?month={month}"),
        "page: points chart (12 months)": get(staff, "/app/partner/points/"),
        "api: standing": get(api, "/api/partner/standing"),
        "api: accounts": get(api, "/api/partner/accounts?limit=100"),
        "api: activities": get(api, "/api/partner/activities?limit=100"),
    }
    print(f"\n{HEADER}")
    results = []
    for name, run_once in measures.items():
        results.append(timed(name, args.repeat, run_once))
        print(results[-1].line(), flush=True)
    if args.explain:
        for result in results:
            print(f"\n--- {result.name}: slowest query, {result.slowest_ms:.1f} ms")
            print(result.slowest_sql)
            print(explain(result.slowest_sql))
    return results, build_seconds


if __name__ == "__main__":
    main()
