"""SQLite: the web server and a worker write to the same database file at the same time without
"database is locked" errors.

Everything runs as real processes with the production settings on a temporary file database
(WAL, IMMEDIATE transactions, busy timeout): ``migrate``, ``runserver`` and ``db_worker``. While
the worker turns won deals into tickets, several client threads create and win deals through
the JSON API, so web requests and the worker's transactions overlap all the time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tests.automation.conftest import free_port

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the file-database concurrency test runs on SQLite"
)

ROOT = Path(__file__).resolve().parents[2]
READY_DEALS = 60  # created before, won through the API while the worker runs
NEW_DEALS = 30  # created and won through the API
CLIENTS = 4
TIMEOUT = 150

SETUP = """
import json
from partnerdesk.accounts.models import Role, Team, User
from partnerdesk.accounts.services import api_token_create
from partnerdesk.crm import services as crm
from partnerdesk.crm.models import Pipeline, Product

admin = User.objects.create_user("admin@agency.test", "pw-x9!long", full_name="Admin", role=Role.ADMIN)
Team.objects.filter(name="Support Team").update(lead=admin)
_token, plain = api_token_create(user=admin, name="concurrency test")
pipeline = Pipeline.objects.get(object_type="deal", name="Email Subscription")
product = Product.objects.get(sku="email-10gb")
deals = []
for i in range(%(count)d):
    company = crm.company_create(by=admin, name=f"Client {i}", domain=f"client{i}.example")
    deal = crm.deal_create(
        by=admin, name=f"Mailboxes {i}", pipeline=pipeline, company=company,
        line_items=[{"product": product, "quantity": 2}],
        properties={"purchased_mailbox_names": "info", "domain_name": company.domain,
                    "number_of_licences": 2},
    )
    deals.append(deal.pk)
print(json.dumps({
    "token": plain, "deals": deals, "pipeline": pipeline.pk, "product": product.pk,
    "won": pipeline.stages.get(name="Closed Won").pk,
}))
"""


def run(args, env, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        **kwargs,
    )


def test_web_requests_and_a_worker_writing_at_once(tmp_path):
    database = tmp_path / "partnerdesk.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "PARTNERDESK_DATA_DIR": str(tmp_path),
        "PARTNERDESK_DISPATCH_EVENTS": "false",  # the setup's events need no worker
        "PARTNERDESK_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_URL": "dummy:",
        "LOG_LEVEL": "WARNING",
    }
    run(["migrate", "--noinput"], env)
    printed = run(["shell", "--no-imports", "-c", SETUP % {"count": READY_DEALS}], env).stdout
    setup = json.loads(printed.strip().splitlines()[-1])
    env["PARTNERDESK_DISPATCH_EVENTS"] = "true"

    port = free_port()
    logs = {name: (tmp_path / f"{name}.log").open("w+") for name in ("web", "worker")}
    processes = {
        "web": subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=logs["web"],
            stderr=subprocess.STDOUT,
        ),
        "worker": subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.05",
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
    }
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {setup['token']}"}
    statuses: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def call(client, method, path, body=None):
        response = client.request(method, base + path, json=body)
        with lock:
            statuses.append((f"{method} {path}", response.status_code, response.text[:300]))
        return response

    def client_thread(index: int):
        with httpx.Client(headers=headers, timeout=60) as client:
            for pk in setup["deals"][index::CLIENTS]:
                call(client, "POST", f"/api/deals/{pk}/move", {"stage_id": setup["won"]})
            for n in range(index, NEW_DEALS, CLIENTS):
                created = call(
                    client,
                    "POST",
                    "/api/deals",
                    {
                        "name": f"Web deal {n}",
                        "pipeline_id": setup["pipeline"],
                        "line_items": [{"product_id": setup["product"], "quantity": 1}],
                        "properties": {
                            "purchased_mailbox_names": "sales",
                            "domain_name": f"web{n}.example",
                            "number_of_licences": 1,
                        },
                    },
                )
                if created.status_code == 201:
                    call(
                        client,
                        "POST",
                        f"/api/deals/{created.json()['id']}/move",
                        {"stage_id": setup["won"]},
                    )

    def count(sql: str):
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql).fetchone()[0]

    try:
        started = time.monotonic()
        while True:  # the server is up
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert processes["web"].poll() is None, "runserver exited"
            assert time.monotonic() - started < 30, "runserver did not start"
            time.sleep(0.1)

        threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        requests_done = dt.datetime.now(dt.UTC)
        tickets_before = count("SELECT COUNT(*) FROM tickets_ticket")

        total = READY_DEALS + NEW_DEALS
        started = time.monotonic()
        while count("SELECT COUNT(*) FROM tickets_ticket") < total or count(
            "SELECT COUNT(*) FROM core_event WHERE kind = 'deal.stage_changed'"
            " AND processed_at IS NULL"
        ):
            assert processes["worker"].poll() is None, "the worker exited"
            assert time.monotonic() - started < TIMEOUT, "the worker did not finish"
            time.sleep(0.2)
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()

    output = {}
    for name, log in logs.items():
        log.seek(0)
        output[name] = log.read()
        log.close()
    assert [s for s in statuses if s[1] >= 300] == []
    assert len(statuses) == READY_DEALS + 2 * NEW_DEALS
    for name, text in output.items():
        assert "database is locked" not in text, f"{name}:\n{text[-3000:]}"
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
    # The worker was writing while the requests were: tickets were made before they ended.
    assert tickets_before > 0, "no overlap: the worker created no ticket during the requests"
    assert count("SELECT COUNT(*) FROM tickets_ticket") == total
    assert count("SELECT COUNT(DISTINCT deal_id) FROM tickets_ticket") == total
    assert (
        count(
            "SELECT COUNT(*) FROM automation_workflowrun r JOIN automation_workflow w"
            " ON w.id = r.workflow_id WHERE w.key = 'email-won-new-client' AND r.status = 'succeeded'"
        )
        == total
    )
    first = count("SELECT MIN(created_at) FROM tickets_ticket")
    assert dt.datetime.fromisoformat(first).replace(tzinfo=dt.UTC) < requests_done
    assert (
        count("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'")
        == 0
    )
