"""Benchmark of the partner dashboard: every tab and CSV export with 5,000 client companies,
20,000 subscriptions and their renewals.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, filled and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_partner_dashboard.py [--clients 5000] \\
        [--subscriptions 20000] [--activities 200000] [--repeat 20] [--explain] [--keep]

The data: ``--clients`` client companies, each with one HubSpot account (one in ten in a growth
market, one in fifty whose services ended) holding on average ``--subscriptions / --clients``
subscriptions in USD, EUR, GBP, AUD or CAD (nine in ten active, the rest cancelled or ended),
each with one to three MRR versions over the last two years, seats used and a last activity;
renewal dates spread over the next 365 days, a recorded renewal (pending, confirmed, renewed,
cancellation requested, some with a renewal MRR) for four subscriptions in ten, a renewal owner
for three clients in ten (HubSpot with a decision maker and a copied user, Partner with a point
of contact, or the default); relationships (sourced 30 %, assisted 20 %, managed 70 %, some
managed periods already lapsed), 50 agency employees connected to the managed accounts,
certifications, a credited tier review, ``--activities`` qualifying activities and the HubSpot
team (Channel Account Manager and Channel Consultant). The small tables are written with
``bulk_create``, the activities with one ``INSERT … SELECT generate_series``; then
``VACUUM ANALYZE``.

The data is built in two steps: first a tenth of it (500 clients at the default size), where
each route is requested once to warm up and once to count its SQL queries; then the rest, after
which each route is requested once to warm up and ``--repeat`` times, as a manager through
Django's test Client (the view, templates and SQL in this process; a CSV export is read to its
end). Printed per route: the query count at both sizes, the p50 and p95 wall time, the maximum
and the slowest SQL query. A tab whose query count differs between the two sizes fails the run
(its queries grow with the data); the exports read their rows 500 at a time (one query for the
rows on a server-side cursor, one for the products of each chunk of clients), so theirs grow by
design, by one query per 500 clients.

``--explain`` prints the plan of each route's slowest query (EXPLAIN ANALYZE). The settings are
the project's with DEBUG off; query counts come from CaptureQueriesContext.
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
GOAL_MS = 300
D = "/app/partner/dashboard/"
# route name -> (URL, is a tab: its query count must not grow with the data)
ROUTES: dict[str, tuple[str, bool]] = {
    "tab: alerts": (D, True),
    "tab: clients": (f"{D}clients/", True),
    "tab: clients managed, by MRR": (f"{D}clients/?relationship=managed&sort=-mrr", True),
    "tab: renewals to act on": (f"{D}renewals/", True),
    "tab: all renewals": (f"{D}renewals/all/", True),
    "tab: partner tier": (f"{D}tier/", True),
    "tab: HubSpot team": (f"{D}team/", True),
    "csv: clients": (f"{D}clients/export.csv", False),
    "csv: renewals to act on": (f"{D}renewals/export.csv", False),
    "csv: all renewals": (f"{D}renewals/all/export.csv", False),
}
CURRENCIES = [
    ("USD", Decimal(1)),
    ("EUR", Decimal("0.88")),
    ("GBP", Decimal("0.74")),
    ("AUD", Decimal("1.54")),
    ("CAD", Decimal("1.38")),
]
PRODUCTS = ["Marketing Hub", "Sales Hub", "Service Hub", "Content Hub", "Operations Hub"]
EDITIONS = ["Starter", "Professional", "Enterprise"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5_000, help="client companies")
    parser.add_argument(
        "--subscriptions", type=int, default=None, help="subscriptions (default: 4 per client)"
    )
    parser.add_argument(
        "--activities",
        type=int,
        default=None,
        help="qualifying activities (default: 40 per client)",
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per route")
    parser.add_argument("--explain", action="store_true", help="print each slowest query's plan")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.clients < 10 or args.repeat < 2:
        parser.error("--clients must be at least 10 and --repeat at least 2")
    if args.subscriptions is None:
        args.subscriptions = 4 * args.clients
    if args.activities is None:
        args.activities = 40 * args.clients
    if args.subscriptions < args.clients or args.activities < 0:
        parser.error("--subscriptions must be at least --clients")
    return args


@dataclass
class Result:
    name: str
    small_queries: int = 0
    queries: list[int] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    slowest_ms: float = 0.0
    slowest_sql: str = ""

    @property
    def query_count(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.ms, n=20, method="inclusive")[18]

    def line(self) -> str:
        return (
            f"  {self.name:30} {self.small_queries:>7} {self.query_count:>7} "
            f"{statistics.median(self.ms):8.1f} {self.p95:8.1f} {max(self.ms):8.1f} "
            f"{self.slowest_ms:11.1f}"
        )


def header(small: int, full: int) -> str:
    return (
        f"  {'route':30} {f'q@{small}':>7} {f'q@{full}':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'slowest SQL':>11}"
    )


def request(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        body = b"".join(response.streaming_content)
        assert body.count(b"\n") >= 1, url
    else:
        assert response.content, url


def count_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request(client, url)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        request(client, url)
    return len(ctx.captured_queries)


def timed(result: Result, repeat: int, client, url: str) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request(client, url)  # warm-up
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            request(client, url)
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


def build_once(rng: random.Random):
    """What exists once whatever the size: employees with certifications, the currency rates,
    the credited tier review and the HubSpot team; returns the employees."""
    from django.utils import timezone

    from partnerdesk.accounts.models import Role, User
    from partnerdesk.dashboard.models import HubSpotTeamMember, TeamRole
    from partnerdesk.partner_program.models import Certification, CurrencyRate, TierReview
    from partnerdesk.partner_program.services.config import REVIEW_DAYS

    today = timezone.localdate()
    employees = User.objects.bulk_create(
        User(
            email=f"bench-agent{i}@agency.test",
            full_name=f"Agent {i}",
            role=Role.AGENT,
            password="!",  # noqa: S106  (an unusable password: nobody signs in)
        )
        for i in range(EMPLOYEES)
    )
    certifications = []
    for employee in employees:
        for name in ("Inbound", "Solutions Partner")[: rng.randint(1, 2)]:
            issued = today - dt.timedelta(days=rng.randint(30, 700))
            expires = today + dt.timedelta(days=rng.randint(-100, 700))
            certifications.append(
                Certification(
                    employee=employee, name=name, issued_on=issued, expires_on=max(issued, expires)
                )
            )
    Certification.objects.bulk_create(certifications)
    known = set(CurrencyRate.objects.values_list("currency", flat=True))
    CurrencyRate.objects.bulk_create(
        CurrencyRate(
            currency=code,
            amount_per_100_usd=factor * 100,
            effective_from=today - dt.timedelta(days=3 * 365),
        )
        for code, factor in CURRENCIES
        if code not in known
    )
    last_review = max(
        dt.date(year, month, day)
        for year in (today.year - 1, today.year)
        for month, day in REVIEW_DAYS
        if dt.date(year, month, day) <= today
    )
    TierReview.objects.create(reviewed_on=last_review, tier=None, figures={"bench": True})
    HubSpotTeamMember.objects.bulk_create(
        [
            HubSpotTeamMember(
                role=TeamRole.CHANNEL_ACCOUNT_MANAGER,
                name="Casey Channel",
                email="casey@hubspot.test",
                description="Reviews the tier and the pipeline with the agency every quarter.",
            ),
            HubSpotTeamMember(
                role=TeamRole.CHANNEL_CONSULTANT,
                name="Robin Consultant",
                email="robin@hubspot.test",
                photo_url="https://hubspot.test/robin.png",
                description="Helps with onboarding and certifications.",
            ),
        ]
    )
    return employees


def build(lo: int, hi: int, args, employees, rng: random.Random) -> None:
    """Clients ``lo`` to ``hi - 1`` with everything that hangs off them: a slice of the
    subscriptions, renewals, owners, relationships and activities in proportion."""
    from django.db import connection
    from django.utils import timezone

    from partnerdesk.crm.models import Company, Contact
    from partnerdesk.dashboard.models import OwnerMode, Renewal, RenewalOwner, RenewalStatus
    from partnerdesk.partner_program.models import (
        ActivityType,
        EmployeeConnection,
        HubSpotAccount,
        Relationship,
        Subscription,
        SubscriptionChange,
        SubscriptionStatus,
    )

    started = time.monotonic()
    now = timezone.now()
    today = timezone.localdate()
    opened = today - dt.timedelta(days=3 * 365)
    share = (hi - lo) / args.clients
    companies = Company.objects.bulk_create(
        (Company(name=f"Client {i:05}", domain=f"client{i}.example") for i in range(lo, hi)),
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
                services_ended_on=today - dt.timedelta(days=30) if i % 50 == 49 else None,
            )
            for i, company in zip(range(lo, hi), companies, strict=True)
        ),
        batch_size=BATCH,
    )

    # Each client gets one subscription, the rest go to random clients of this slice.
    wanted = round(args.subscriptions * share)
    owners = accounts + [rng.choice(accounts) for _ in range(max(0, wanted - len(accounts)))]
    subscriptions = []
    for n, account in enumerate(owners):
        code, factor = rng.choice(CURRENCIES)
        roll = rng.random()
        status = (
            SubscriptionStatus.ACTIVE
            if roll < 0.9
            else SubscriptionStatus.CANCELLED
            if roll < 0.95
            else SubscriptionStatus.ENDED
        )
        seats = rng.randint(1, 40)
        subscriptions.append(
            Subscription(
                account=account,
                product=f"{rng.choice(PRODUCTS)} {rng.choice(EDITIONS)}",
                seats=seats,
                seats_used=rng.randint(0, seats) if n % 8 else None,
                mrr=(Decimal(rng.randint(50, 5000)) * factor).quantize(Decimal("0.01")),
                currency=code,
                start_date=opened + dt.timedelta(days=rng.randint(0, 700)),
                renewal_date=(
                    None
                    if status == SubscriptionStatus.ENDED
                    else today + dt.timedelta(days=rng.randint(0, 364))
                ),
                status=status,
                ended_on=today - dt.timedelta(days=rng.randint(1, 200))
                if status == SubscriptionStatus.ENDED
                else None,
                last_activity_at=(
                    now - dt.timedelta(hours=rng.randint(1, 24 * 90)) if n % 10 else None
                ),
            )
        )
    Subscription.objects.bulk_create(subscriptions, batch_size=BATCH)
    versions = []
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

    statuses = list(RenewalStatus.values)
    renewals = [
        Renewal(
            subscription=s,
            renews_on=s.renewal_date,
            status=rng.choice(statuses),
            renewal_mrr=(s.mrr * Decimal(rng.choice(["0.8", "1.1", "1.2"]))).quantize(
                Decimal("0.01")
            )
            if rng.random() < 0.5
            else None,
            notes="Discussed with the client." if rng.random() < 0.2 else "",
        )
        for s in subscriptions
        if s.renewal_date is not None and rng.random() < 0.4
    ]
    Renewal.objects.bulk_create(renewals, batch_size=BATCH)

    chosen = [a for i, a in zip(range(lo, hi), accounts, strict=True) if i % 10 < 3]
    contacts = Contact.objects.bulk_create(
        (
            Contact(
                company=a.company,
                first_name="Decision",
                last_name=f"Maker {a.hub_id}",
                email=f"dm@{a.company.domain}",
            )
            for a in chosen
        ),
        batch_size=BATCH,
    )
    renewal_owners = []
    for n, (account, contact) in enumerate(zip(chosen, contacts, strict=True)):
        mode = (OwnerMode.HUBSPOT, OwnerMode.PARTNER, OwnerMode.DEFAULT)[n % 3]
        renewal_owners.append(
            RenewalOwner(
                account=account,
                mode=mode,
                decision_maker=contact if mode == OwnerMode.HUBSPOT else None,
                copied_user=rng.choice(employees) if mode == OwnerMode.HUBSPOT else None,
                point_of_contact=rng.choice(employees) if mode == OwnerMode.PARTNER else None,
                renewal_manager_name="Renée Renewals",
                renewal_manager_email="renewals@hubspot.test",
            )
        )
    RenewalOwner.objects.bulk_create(renewal_owners, batch_size=BATCH)

    from bench_partner_program import account_relationships

    relationships, connections = [], []
    for i, account in zip(range(lo, hi), accounts, strict=True):
        relationships.extend(account_relationships(i, account, opened))
        if i % 10 < 7:
            connections.extend(
                EmployeeConnection(
                    employee=employee,
                    account=account,
                    in_partner_account=True,
                    client_assigned=True,
                    in_client_account=rng.random() > 0.2,
                    confirmed_at=now,
                )
                for employee in rng.sample(employees, 2)
            )
    Relationship.objects.bulk_create(relationships, batch_size=BATCH)
    EmployeeConnection.objects.bulk_create(connections, batch_size=BATCH)

    activities = round(args.activities * share)
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
                 (SELECT %s::bigint[] AS ids) AS a,
                 (SELECT %s::bigint[] AS ids) AS t
            """,
            [today, activities, [u.pk for u in employees], [a.pk for a in accounts], types],
        )
        cursor.execute("VACUUM ANALYZE")
    progress(
        started,
        f"clients {lo:,}-{hi - 1:,}: {len(subscriptions):,} subscriptions with "
        f"{len(versions):,} MRR versions, {len(renewals):,} recorded renewals, "
        f"{len(renewal_owners):,} renewal owners, {len(relationships):,} relationships, "
        f"{activities:,} activities; VACUUM ANALYZE",
    )


def main() -> None:
    args = parse_args()
    config = server_settings("it measures PostgreSQL's plans at scale")
    name = f"partnerdesk_bench_dashboard_{os.getpid()}"
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
            f"{ready}; {args.clients:,} clients, {args.subscriptions:,} subscriptions, "
            f"{args.activities:,} activities, {args.repeat} timed requests per route",
            flush=True,
        )
        results, small, load_before = run(args)
        grew = [
            r.name for r in results if r.name.startswith("tab") and r.queries[0] != r.small_queries
        ]
        print(
            f"\n{args.clients:,} clients, {args.subscriptions:,} subscriptions, "
            f"{args.activities:,} activities; load average {load_before:.2f} before the timed "
            f"requests, {os.getloadavg()[0]:.2f} after (2 cores shared with other work show "
            f"in the figures)"
        )
        print(header(small, args.clients))
        for result in results:
            flag = (
                "  over the goal" if result.name.startswith("tab") and result.p95 > GOAL_MS else ""
            )
            print(result.line() + flag)
        if grew:
            sys.exit(f"query count grew with the data: {', '.join(grew)}")


def run(args) -> tuple[list[Result], int, float]:
    from django.test import Client

    from partnerdesk.accounts.models import Role, User

    rng = random.Random(20261204)
    started = time.monotonic()
    manager = User.objects.create_user(
        "bench@agency.test", None, full_name="Bench", role=Role.MANAGER
    )
    employees = build_once(rng)
    small = args.clients // 10
    build(0, small, args, employees, rng)

    staff = Client()
    staff.force_login(manager)
    results = {name: Result(name) for name in ROUTES}
    for name, (url, _tab) in ROUTES.items():
        results[name].small_queries = count_queries(staff, url)
    progress(started, f"query counts at {small:,} clients")

    for lo in range(small, args.clients, BATCH):
        build(lo, min(args.clients, lo + BATCH), args, employees, rng)

    load_before = os.getloadavg()[0]
    print(f"\nload average {load_before:.2f}\n{header(small, args.clients)}", flush=True)
    for name, (url, _tab) in ROUTES.items():
        timed(results[name], args.repeat, staff, url)
        print(results[name].line(), flush=True)
    if args.explain:
        for result in results.values():
            print(f"\n--- {result.name}: slowest query, {result.slowest_ms:.1f} ms")
            print(result.slowest_sql)
            print(explain(result.slowest_sql))
    return list(results.values()), small, load_before


if __name__ == "__main__":
    main()
