"""The one benchmark: every page through a real server at 100,000 and 1,000,000 tickets.

Run from the repository root against a PostgreSQL server (a fresh database is created on it,
migrated, filled and dropped at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/run_all.py [--sizes 100000,1000000] [--requests 100] \\
        [--concurrency 2] [--workers 2] [--seed 1] [--json FILE] [--keep]

For each size, smallest first, the same database grows to it with ``manage.py scale_data``
(the agency of seed ``--seed``: companies, contacts, deals, tickets with stage history and SLA
clocks, portal tasks, the knowledge base, surveys, the partner program, timelines; then VACUUM
ANALYZE). Then gunicorn is started with ``--workers`` sync workers and the production settings
(``PARTNERDESK_ENV=production``, DEBUG off, static files collected, CONN_MAX_AGE as configured)
and each page is requested ``--requests`` times by ``--concurrency`` threads (httpx, one client
each; up to five warm-up requests first; a page stops after ``--max-seconds``, so a very slow
one gets fewer requests): p50 and p95 of the wall time of a request as the client
sees it, and requests per second over the whole run. Staff pages as an admin (a session made
in the database), the client's queue as the client admin of the company with the most tasks,
the API with a Bearer token. Ticket creation posts the real form (CSRF included) and the API.

Also measured at each size, in this process: the SLA sweep (``tickets.services.sla_sweep``,
after a first run that reports whatever fell due since the data's ``now``), the workers'
throughput (``bench_automation.run_round``: deals won → tickets with two ``db_worker``
processes, events per second until all follow-up work is done), and the largest resident
memory (VmRSS) of a web worker, sampled twice a second during the page run.

The table prints p50 / p95 / req/s per page for each size side by side and the growth of p95,
then the targets of issue 16 (p95 under 100 ms and within 20 % of the smallest size's, API
creation ≥ 150/s, a web worker under 250 MB). The client runs on the same machine as the server
and the database: on 2 cores the figures include that competition, and the load average of
other work is printed with them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _postgres import (  # noqa: E402  (benchmarks/ is on sys.path when run)
    database_url,
    migrated_database,
    server_settings,
)
from _report import Measure, Run, table, targets  # noqa: E402

API_CREATE = "ticket creation: API"
RSS = "web worker RSS MB (max)"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="tickets, comma-separated")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=1, help="scale_data's seed")
    parser.add_argument(
        "--now", default=None, help="scale_data's now, ISO (default: the start of this hour)"
    )
    parser.add_argument("--port", type=int, default=8765, help="gunicorn's port on 127.0.0.1")
    parser.add_argument("--deals", type=int, default=200, help="deals won per worker round")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="the server's CONN_MAX_AGE (default: the settings', 60 on PostgreSQL)",
    )
    parser.add_argument("--skip-workers", action="store_true", help="no worker throughput")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60,
        help="stop sending a page's requests after this long (a slow page gets fewer)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--table",
        type=Path,
        nargs="+",
        default=None,
        help="only print the table of runs saved with --json (several files: side by side)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--database",
        default=None,
        help="use this existing database on the server (e.g. one kept with --keep): it is "
        "migrated, grown to each size and kept",
    )
    args = parser.parse_args()
    try:
        args.sizes = sorted(int(n.replace("_", "")) for n in args.sizes.split(","))
    except ValueError:
        parser.error("--sizes: tickets as whole numbers, e.g. 100000,1000000")
    if not args.sizes or min(args.sizes) < 1 or args.requests < 2 or args.concurrency < 1:
        parser.error("--sizes at least 1 ticket, --requests at least 2, --concurrency at least 1")
    return args


# ---------------------------------------------------------------- the server


def server_env(static_root: Path) -> dict:
    """The production settings for gunicorn (this process's settings, plus production)."""
    return {
        **os.environ,
        "PARTNERDESK_ENV": "production",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1, no TLS proxy in front
        "STATIC_ROOT": str(static_root),
        "PARTNERDESK_DISPATCH_EVENTS": "true",  # as in production: events go to the workers
    }


def collect_static(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


class Server:
    """gunicorn with ``workers`` sync workers; the workers' largest RSS is sampled."""

    def __init__(self, env: dict, port: int, workers: int, log: Path):
        self.port, self.log = port, log
        self.process = subprocess.Popen(  # noqa: S603 (our own gunicorn)
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "partnerdesk.wsgi:application",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.max_rss: dict[int, float] = {}
        self._sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    def wait_ready(self, timeout: float = 120) -> None:
        import httpx

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=5)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        sys.exit(f"gunicorn did not answer in {timeout:.0f} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def sample(self) -> None:
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    mb = int(line.split()[1]) / 1024
                    self.max_rss[pid] = max(self.max_rss.get(pid, 0.0), mb)

    def start_sampling(self) -> None:
        def loop():
            while not self._sampling.wait(0.5):
                self.sample()

        self._sampler = threading.Thread(target=loop, daemon=True)
        self._sampler.start()

    def stop(self) -> float:
        """Stop it; returns the largest RSS of a worker (MB)."""
        self.sample()
        self._sampling.set()
        if self._sampler is not None:
            self._sampler.join()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return max(self.max_rss.values(), default=float("nan"))


# ---------------------------------------------------------------- the client


def session_cookie(user) -> str:
    """A signed-in session for ``user``, made in the database (no login form, no lockout)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.contrib.sessions.backends.db import SessionStore

    # The backend that signs people in (the one that can load a user back from a session).
    backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


class Page:
    """A request to repeat: method, URL (or a function of the request's number), who sends
    it and the status it must answer."""

    def __init__(self, name, url, *, headers, method="GET", body=None, status=200):
        self.name, self.url, self.headers = name, url, headers
        self.method, self.body, self.status = method, body, status

    def send(self, client, n: int):
        url = self.url(n) if callable(self.url) else self.url
        if self.method == "GET":
            return client.get(url, headers=self.headers)
        body = self.body(n) if callable(self.body) else self.body
        if self.headers.get("Content-Type") == "application/json":
            return client.post(url, headers=self.headers, json=body)
        return client.post(url, headers=self.headers, data=body)


def drive(page: Page, base: str, requests: int, concurrency: int, limit: float) -> Measure:
    """Warm up, then ``requests`` requests from ``concurrency`` threads; no new request starts
    after ``limit`` seconds (at least two are timed)."""
    import httpx

    warm_until = time.monotonic() + limit / 4
    with httpx.Client(base_url=base, timeout=300, follow_redirects=False) as client:
        for n in range(5):
            if n and time.monotonic() > warm_until:
                break
            response = page.send(client, 1_000_000 + n)
            if response.status_code != page.status:
                sys.exit(
                    f"{page.name}: {response.request.method} {response.request.url} answered "
                    f"{response.status_code}, not {page.status}:\n{response.text[:2000]}"
                )
    measure = Measure()
    counter = iter(range(requests))
    lock = threading.Lock()
    deadline = time.monotonic() + limit

    def worker():
        with httpx.Client(base_url=base, timeout=300, follow_redirects=False) as client:
            while True:
                with lock:
                    n = next(counter, None)
                    late = time.monotonic() > deadline and len(measure.ms) >= 2
                if n is None or late:
                    return
                started = time.perf_counter()
                ok = page.send(client, n).status_code == page.status
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    measure.ms.append(elapsed)
                    measure.errors += not ok

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measure.seconds = time.perf_counter() - started
    return measure


def pages(seed: int) -> list[Page]:
    """The pages measured, with their users, tokens and parameters from the database."""
    from django.db.models import Count, Max, Min

    from partnerdesk.accounts.models import Role, User
    from partnerdesk.accounts.services import api_token_create
    from partnerdesk.crm.models import Company, Pipeline, Stage
    from partnerdesk.devtools.scale import BLOCK, Sizes
    from partnerdesk.portal.models import Task
    from partnerdesk.tickets.models import Ticket

    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    owner = (
        Ticket.objects.filter(owner__isnull=False)
        .values("owner")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["owner"]
    )
    # The client whose queue is measured: the busiest client of the first block, the same
    # client with the same tasks at every size. The busiest of the whole agency is busier the
    # more blocks there are (at 1M: 702 tasks, 141 of them open, against 11 open for the 90th
    # percentile), and its page grows with its own open work, which the agency's size is not.
    first_block = Company.objects.order_by("pk").values_list("pk", flat=True)[
        : Sizes().companies(BLOCK)
    ]
    busiest = (
        Task.objects.filter(company_id__in=list(first_block))
        .values("company")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    client = User.objects.filter(role=Role.CLIENT, company_id=busiest["company"]).first()
    email = Pipeline.objects.get(object_type="ticket", name="Email Creation")
    website = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    entry = (
        Stage.objects.filter(pipeline__object_type="ticket", is_entry=True)
        .filter(required_properties__isnull=True)
        .order_by("pipeline__order", "order")
        .first()
    )
    bounds = Ticket.objects.aggregate(low=Min("pk"), high=Max("pk"))
    rng = random.Random(seed)
    ticket_ids = [rng.randint(bounds["low"], bounds["high"]) for _ in range(400)]
    ticket_ids = list(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", flat=True))
    rng.shuffle(ticket_ids)
    company_ids = list(Company.objects.order_by("?").values_list("pk", flat=True)[:200])

    staff = {"Cookie": f"sessionid={session_cookie(admin)}"}
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    form = {"Cookie": f"sessionid={session_cookie(admin)}; csrftoken={csrf}"}
    customer = {"Cookie": f"sessionid={session_cookie(client)}"}
    token = api_token_create(user=admin, name=f"run_all {time.time():.0f}")[1]
    api = {"Authorization": f"Bearer {token}"}
    api_json = {**api, "Content-Type": "application/json"}

    def company(n: int) -> int:
        return company_ids[n % len(company_ids)]

    return [
        Page("sign-in page (no data: the floor)", "/accounts/login/", headers={}),
        Page("staff home", "/app/", headers=staff),
        Page("ticket list", "/app/tickets/", headers=staff),
        Page(
            "ticket list: pipeline, open",
            f"/app/tickets/?pipeline={email.pk}&status=open",
            headers=staff,
        ),
        Page("ticket list: owner", f"/app/tickets/?owner={owner}", headers=staff),
        Page("board (Website Creation)", f"/app/tickets/board/{website.pk}/", headers=staff),
        Page(
            "ticket page",
            lambda n: f"/app/tickets/{ticket_ids[n % len(ticket_ids)]}/",
            headers=staff,
        ),
        Page("API ticket list", "/api/tickets?limit=100", headers=api),
        Page("ticket creation: form page", f"/app/tickets/new/{entry.pk}/", headers=staff),
        Page(
            "ticket creation: form post",
            f"/app/tickets/new/{entry.pk}/",
            headers=form,
            method="POST",
            body=lambda n: {
                "csrfmiddlewaretoken": csrf,
                "name": f"Benchmark form ticket {n}",
                "description": "Created by benchmarks/run_all.py",
                "priority": "medium",
                "company": company(n),
            },
            status=302,
        ),
        Page(
            API_CREATE,
            "/api/tickets",
            headers=api_json,
            method="POST",
            body=lambda n: {
                "pipeline_id": entry.pipeline_id,
                "stage_id": entry.pk,
                "name": f"Benchmark API ticket {n}",
                "company_id": company(n),
            },
            status=201,
        ),
        Page("portal: client's task queue", "/portal/tasks/", headers=customer),
        Page("task triage (staff)", "/app/tasks/", headers=staff),
        Page("API task list", "/api/tasks?limit=100", headers=api),
    ]


# ---------------------------------------------------------------- in-process measures


def time_sweep(run: Run) -> None:
    from partnerdesk.tickets import services

    started = time.perf_counter()
    caught_up = sum(services.sla_sweep().values())
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(5):
        started = time.perf_counter()
        services.sla_sweep()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    run.figures["SLA sweep ms (nothing due)"] = times[len(times) // 2]
    run.notes.append(
        f"first sweep reported {caught_up} events that fell due since the data's now "
        f"({first:.0f} ms)"
    )


def worker_throughput(run: Run, deals: int, admin) -> None:
    """Deals won → tickets with two workers: events per second until all follow-up work is
    done (benchmarks/bench_automation.py's round)."""
    from django_tasks_db.models import DBTaskResult

    from partnerdesk.core.models import Event

    try:
        from bench_automation import run_round
    except ImportError as exc:  # pragma: no cover - the other benchmark changed
        run.notes.append(f"worker throughput not measured: {exc}")
        return
    # The page run's creations left events and tasks for workers that never ran: set aside.
    Event.objects.filter(processed_at__isnull=True).update(processed_at=run_started())
    DBTaskResult.objects.all().delete()
    env = {**os.environ, "PARTNERDESK_DISPATCH_EVENTS": "true", "DEBUG": "false"}
    result = run_round(
        label=f"all-{run.tickets}",
        workers=2,
        deals_count=deals,
        env=env,
        admin=admin,
        timeout=600,
    )
    run.figures["workers: events/s, 2 workers"] = result["done"]


def run_started():
    from django.utils import timezone

    return timezone.now()


# ---------------------------------------------------------------- main


@contextmanager
def existing_database(name: str) -> Iterator[str]:
    """An existing database (DATABASE_URL already names it), migrated and kept."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    yield f"database {name} (existing, kept); {os.cpu_count()} CPUs, load average " + (
        f"{os.getloadavg()[0]:.2f}"
    )


def measure_size(args, tickets: int, now, env: dict, log_dir: Path) -> Run:
    from django.core.management import call_command

    from partnerdesk.accounts.models import Role, User

    run = Run(tickets=tickets)
    started = time.monotonic()
    call_command("scale_data", tickets=tickets, seed=args.seed, now=now.isoformat())
    run.figures["scale_data seconds (growth to this size)"] = time.monotonic() - started
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    time_sweep(run)
    load = os.getloadavg()[0]
    server = Server(env, args.port, args.workers, log_dir / f"gunicorn-{tickets}.log")
    try:
        server.wait_ready()
        server.start_sampling()
        base = f"http://127.0.0.1:{args.port}"
        for page in pages(args.seed):
            m = drive(page, base, args.requests, args.concurrency, args.max_seconds)
            run.pages[page.name] = m
            print(
                f"  {tickets:>9,}  {page.name:32} p50 {m.p50:7.1f}  p95 {m.p95:7.1f}  "
                f"{m.per_second:6.1f}/s  ({len(m.ms)} requests)"
                + (f"  {m.errors} ERRORS" if m.errors else ""),
                flush=True,
            )
    finally:
        run.figures[RSS] = server.stop()
    run.notes.append(f"load average {load:.2f} before the pages, {os.getloadavg()[0]:.2f} after")
    if not args.skip_workers:
        worker_throughput(run, args.deals, admin)
    return run


def print_saved(files: list[Path]) -> None:
    import json

    runs = sorted(
        (Run.from_dict(data) for file in files for data in json.loads(file.read_text())),
        key=lambda run: run.tickets,
    )
    print(table(runs))
    print("\n".join(targets(runs, api_create=API_CREATE, rss=RSS)))
    for run in runs:
        for note in run.notes:
            print(f"{run.tickets:,}: {note}")


def main() -> None:
    args = parse_args()
    if args.table:
        print_saved(args.table)
        return
    config = server_settings("it measures PostgreSQL at a million tickets")
    name = args.database or f"partnerdesk_bench_all_{os.getpid()}"
    os.environ.update(
        DATABASE_URL=database_url(config, name),
        DJANGO_SETTINGS_MODULE="partnerdesk.settings",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        PARTNERDESK_ENCRYPTION_KEYS=os.environ.get("PARTNERDESK_ENCRYPTION_KEYS")
        or Fernet.generate_key().decode(),
        PARTNERDESK_DISPATCH_EVENTS="false",  # this process: the benchmarks' own writes
        PARTNERDESK_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_URL="dummy:",
        LOG_LEVEL="WARNING",
    )
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-static-") as static_root,
        (
            existing_database(name)
            if args.database
            else migrated_database(config, name, keep=args.keep)
        ) as ready,
    ):
        print(
            f"{ready}; sizes {', '.join(f'{n:,}' for n in args.sizes)}; {args.requests} "
            f"requests per page from {args.concurrency} threads; gunicorn {args.workers} "
            f"sync workers",
            flush=True,
        )
        env = server_env(Path(static_root))
        if args.conn_max_age is not None:
            env["CONN_MAX_AGE"] = str(args.conn_max_age)
        collect_static(env)
        from partnerdesk.devtools.scale import default_now

        now = dt.datetime.fromisoformat(args.now) if args.now else default_now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        for tickets in args.sizes:
            runs.append(measure_size(args, tickets, now, env, Path(tempfile.gettempdir())))
            print(f"\n{table(runs)}\n", flush=True)
    print("\n".join(targets(runs, api_create=API_CREATE, rss=RSS)))
    for run in runs:
        for note in run.notes:
            print(f"{run.tickets:,}: {note}")
    if args.json:
        import json

        args.json.write_text(json.dumps([run.as_dict() for run in runs], indent=1))
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
