"""End to end with real processes on a temporary SQLite file: a ``db_worker`` records its
heartbeat while a long task runs; SIGKILLed, it leaves the task RUNNING, ``manage.py workers``
then exits 1, and the reclaim job fails the row once the timeout has passed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def manage(args, env, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def wait_for(condition, what: str):
    deadline = time.monotonic() + TIMEOUT
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_a_killed_worker_is_seen_and_its_task_reclaimed(tmp_path):
    database = tmp_path / "partnerdesk.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "PARTNERDESK_DATA_DIR": str(tmp_path),
        "PARTNERDESK_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "PARTNERDESK_DISPATCH_EVENTS": "false",
        "PARTNERDESK_WORKER_HEARTBEAT_SECONDS": "1",
        "PARTNERDESK_TASK_STALE_AFTER": "3",
        "EMAIL_URL": "dummy:",
        "LOG_LEVEL": "WARNING",
    }
    manage(["migrate", "--noinput"], env)
    enqueue = "from tests.core.worker_tasks import nap; nap.enqueue(seconds=120)"
    manage(["shell", "--no-imports", "-c", enqueue], env)

    def query(sql):
        with sqlite3.connect(database, timeout=20) as db:
            return db.execute(sql).fetchone()

    def task_status():
        return query("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult")

    def last_seen():
        row = query("SELECT last_seen_at FROM core_workerheartbeat WHERE worker_id = 'e2e'")
        return row and row[0]

    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--worker-id",
            "e2e",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: task_status()[0] == "RUNNING", "the worker to claim the task")
        assert task_status()[1] == '["e2e"]'
        # The heartbeat goes on while the task runs.
        first = wait_for(last_seen, "a heartbeat")
        wait_for(lambda: last_seen() != first, "a second heartbeat during the task")
        assert manage(["workers"], env).returncode == 0
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        log.close()

    assert task_status()[0] == "RUNNING"  # what django-tasks-db leaves behind
    # Silent for 4 beats: no worker alive, the monitoring exit status says so.
    time.sleep(4.5)
    result = manage(["workers"], env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "STALE" in result.stdout and "e2e" in result.stdout
    assert "left by a stopped worker, to reclaim" in result.stdout

    reclaim = (
        "from partnerdesk.core.tasks import reclaim_stale_tasks; print(reclaim_stale_tasks.call())"
    )
    printed = manage(["shell", "--no-imports", "-c", reclaim], env).stdout
    assert "'reclaimed': 1" in printed
    assert task_status()[0] == "FAILED"
    printed = manage(["shell", "--no-imports", "-c", reclaim], env).stdout
    assert "'reclaimed': 0" in printed
