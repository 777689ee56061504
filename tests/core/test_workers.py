"""Worker health: heartbeats, reclaiming task rows a killed worker left RUNNING, the Workers
page and ``manage.py workers``."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from partnerdesk.core import periodic, workers
from partnerdesk.core.models import WorkerHeartbeat
from tests.conftest import login

STALE = dt.timedelta(minutes=15)
TASK = "partnerdesk.automation.tasks.process_event_task"


def task_row(*, status=TaskResultStatus.RUNNING, started=None, worker="w-1", **extra):
    return DBTaskResult.objects.create(
        status=status,
        started_at=started,
        worker_ids=[worker] if worker else [],
        args_kwargs={"args": [], "kwargs": {"event_id": 1}},
        task_path=TASK,
        backend_name="default",
        run_after=extra.pop("run_after", get_date_max()),
        **extra,
    )


def heartbeat(worker="w-1", *, seen, started=None, stopped=None, host="web-1"):
    return WorkerHeartbeat.objects.create(
        worker_id=worker,
        hostname=host,
        pid=4242,
        started_at=started or seen - dt.timedelta(hours=1),
        last_seen_at=seen,
        stopped_at=stopped,
    )


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def status_of(row) -> str:
    row.refresh_from_db()
    return row.status


@pytest.fixture(autouse=True)
def _timeouts(settings):
    settings.PARTNERDESK_TASK_STALE_AFTER = int(STALE.total_seconds())
    settings.PARTNERDESK_WORKER_HEARTBEAT_SECONDS = 15


# ---------------------------------------------------------------- reclaiming


@pytest.mark.django_db
class TestReclaim:
    def test_a_row_older_than_the_timeout_of_a_dead_worker_is_failed_once(self):
        row = task_row(started=ago(minutes=20))
        heartbeat(seen=ago(minutes=18))  # the worker stopped beating 18 minutes ago

        assert workers.reclaim_stale_tasks() == 1
        row.refresh_from_db()
        assert row.status == TaskResultStatus.FAILED
        assert row.finished_at is not None
        assert row.exception_class_path == workers.WORKER_LOST
        assert row.traceback.startswith("worker stopped while running; reclaimed at ")
        # The error django.tasks reports for it names the cause.
        error = row.task_result.errors[0]
        assert error.exception_class is workers.WorkerLost

        assert workers.reclaim_stale_tasks() == 0  # exactly once
        assert status_of(row) == TaskResultStatus.FAILED

    def test_a_row_without_any_heartbeat_is_reclaimed_after_the_timeout(self):
        row = task_row(started=ago(minutes=16), worker="never-seen")
        assert workers.reclaim_stale_tasks() == 1
        assert status_of(row) == TaskResultStatus.FAILED

    def test_a_fresh_running_row_is_untouched(self):
        row = task_row(started=ago(minutes=14))  # its worker is gone, but not long enough
        assert workers.reclaim_stale_tasks() == 0
        assert status_of(row) == TaskResultStatus.RUNNING

    def test_a_long_task_on_a_live_worker_is_never_touched(self):
        row = task_row(started=ago(hours=3))
        heartbeat(seen=ago(seconds=10), started=ago(hours=4))
        assert workers.reclaim_stale_tasks() == 0
        assert status_of(row) == TaskResultStatus.RUNNING

    def test_a_worker_restarted_under_the_same_id_does_not_keep_the_old_row_alive(self):
        row = task_row(started=ago(minutes=30))
        heartbeat(seen=ago(seconds=5), started=ago(minutes=20))  # started after the task
        assert workers.reclaim_stale_tasks() == 1
        assert status_of(row) == TaskResultStatus.FAILED

    def test_a_worker_that_stopped_leaves_its_old_row_to_reclaim(self):
        row = task_row(started=ago(minutes=30))
        heartbeat(seen=ago(minutes=1), stopped=ago(minutes=1))
        assert workers.reclaim_stale_tasks() == 1
        assert status_of(row) == TaskResultStatus.FAILED

    def test_rows_not_running_are_untouched(self):
        rows = [
            task_row(status=TaskResultStatus.READY, worker=None),
            task_row(status=TaskResultStatus.SUCCESSFUL, started=ago(hours=1)),
            task_row(status=TaskResultStatus.FAILED, started=ago(hours=1)),
        ]
        assert workers.reclaim_stale_tasks() == 0
        assert [status_of(r) for r in rows] == [
            TaskResultStatus.READY,
            TaskResultStatus.SUCCESSFUL,
            TaskResultStatus.FAILED,
        ]

    def test_the_timeout_is_a_setting(self, settings):
        row = task_row(started=ago(minutes=10))
        assert workers.reclaim_stale_tasks() == 0
        settings.PARTNERDESK_TASK_STALE_AFTER = 5 * 60
        assert workers.reclaim_stale_tasks() == 1
        assert status_of(row) == TaskResultStatus.FAILED

    def test_the_scheduler_runs_the_reclaim_job(self):
        row = task_row(started=ago(hours=1))
        old = heartbeat("long-gone", seen=ago(days=8))
        job = next(j for j in periodic.JOBS if j.name == "reclaim_stale_tasks")
        assert periodic.enqueue_due_jobs(jobs=[job]) == ["reclaim_stale_tasks"]
        assert status_of(row) == TaskResultStatus.FAILED
        assert not WorkerHeartbeat.objects.filter(pk=old.pk).exists()  # pruned
        assert periodic.enqueue_due_jobs(jobs=[job]) == []  # once per period


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_reclaim_each_row_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    stale = [task_row(started=ago(minutes=20 + i), worker=f"dead-{i}") for i in range(30)]
    fresh = task_row(started=ago(minutes=1), worker="dead-0")
    sweeps = 8
    barrier = threading.Barrier(sweeps)
    counts, errors = [], []

    def sweep():
        try:
            barrier.wait()
            counts.append(workers.reclaim_stale_tasks())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(sweeps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(counts) == len(stale)  # every stale row failed by exactly one sweep
    assert {status_of(r) for r in stale} == {TaskResultStatus.FAILED}
    assert status_of(fresh) == TaskResultStatus.RUNNING


# ---------------------------------------------------------------- heartbeat


def test_db_worker_is_cores_command_with_a_heartbeat():
    # partnerdesk.core comes before django_tasks_db in INSTALLED_APPS: a reorder would
    # silently start workers without a heartbeat.
    assert get_commands()["db_worker"] == "partnerdesk.core"


@pytest.mark.django_db
def test_heartbeat_records_start_beats_and_stop():
    beat = workers.Heartbeat(worker_id="w-hb", every=3600)
    beat.beat()
    row = WorkerHeartbeat.objects.get(worker_id="w-hb")
    assert row.pid > 0 and row.hostname and row.stopped_at is None
    first = row.last_seen_at
    beat.beat()
    row.refresh_from_db()
    assert row.last_seen_at >= first
    assert row.started_at == beat.started_at
    beat.stop()
    row.refresh_from_db()
    assert row.stopped_at is not None
    # A worker restarted under the same id starts a new run of the row.
    again = workers.Heartbeat(worker_id="w-hb", every=3600)
    again.beat()
    row.refresh_from_db()
    assert row.stopped_at is None and row.started_at == again.started_at


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_worker_is_busy():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("another thread's connection to an in-memory SQLite test database")
    beat = workers.Heartbeat(worker_id="w-thread", every=0.05)
    beat.start()
    try:
        first = WorkerHeartbeat.objects.get(worker_id="w-thread").last_seen_at
        deadline = timezone.now() + dt.timedelta(seconds=10)
        while WorkerHeartbeat.objects.get(worker_id="w-thread").last_seen_at == first:
            assert timezone.now() < deadline, "the thread did not beat"
            threading.Event().wait(0.05)
    finally:
        beat.stop()
    assert WorkerHeartbeat.objects.get(worker_id="w-thread").stopped_at is not None


# ---------------------------------------------------------------- status


@pytest.mark.django_db
def test_status_counts():
    now = timezone.now()
    heartbeat("alive", seen=ago(seconds=5))
    heartbeat("stale", seen=ago(minutes=20))  # gone for longer than the timeout
    heartbeat("stopped", seen=ago(minutes=5), stopped=ago(minutes=5))
    heartbeat("ancient", seen=ago(days=3))  # not shown
    task_row(status=TaskResultStatus.READY, worker=None)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
        enqueued_at=now - dt.timedelta(minutes=7)
    )
    task_row(status=TaskResultStatus.READY, worker=None, run_after=now + dt.timedelta(hours=1))
    task_row(started=ago(minutes=2), worker="alive")
    task_row(started=ago(hours=1), worker="stale")
    task_row(status=TaskResultStatus.FAILED, started=ago(hours=1), finished_at=ago(hours=1))
    task_row(
        status=TaskResultStatus.FAILED,
        started=ago(hours=2),
        finished_at=ago(hours=1),
        exception_class_path=workers.WORKER_LOST,
    )
    task_row(status=TaskResultStatus.FAILED, started=ago(days=3), finished_at=ago(days=3))

    status = workers.worker_status(now=now)
    states = {w.heartbeat.worker_id: (w.state, w.running) for w in status.workers}
    assert states == {"alive": ("alive", 1), "stale": ("stale", 1), "stopped": ("stopped", 0)}
    assert status.alive == 1
    assert (status.ready, status.due, status.running) == (2, 1, 2)
    assert status.oldest_waiting == dt.timedelta(minutes=7)
    assert (status.failed_recent, status.reclaimed_recent) == (2, 1)
    reclaimable = {t.worker_id: t.reclaimable for t in status.running_tasks}
    assert reclaimable == {"stale": True, "alive": False}


@pytest.mark.django_db
def test_status_shows_the_events_waiting_in_the_outbox(admin, capsys):
    """The workers take events from the outbox, not from task rows: its backlog is shown."""
    from django.contrib.contenttypes.models import ContentType

    from partnerdesk.core.models import Event

    now = timezone.now()
    Event.objects.update(processed_at=now)  # what the fixtures recorded
    kind = ContentType.objects.get_for_model(admin)
    for minutes, processed in ((9, None), (4, None), (20, now)):
        Event.objects.create(
            kind="test.noted",
            subject_type=kind,
            subject_id=admin.pk,
            occurred_at=now - dt.timedelta(minutes=minutes),
            processed_at=processed,
        )
    status = workers.worker_status(now=now)
    assert (status.events_waiting, status.events_waiting_exact) == (2, True)
    assert status.oldest_event_waiting == dt.timedelta(minutes=9)
    heartbeat("live-1", seen=ago(seconds=2))
    call_command("workers")
    assert "Outbox: 2 events waiting, oldest 9 min" in capsys.readouterr().out
    body = login(admin).get("/app/settings/workers/").content.decode()
    assert 'id="outbox-waiting">2 ·' in body


# ---------------------------------------------------------------- the page


@pytest.mark.django_db
def test_workers_page_for_an_admin(admin):
    heartbeat("alive-worker-1", seen=ago(seconds=3))
    heartbeat("stale-worker-1", seen=ago(minutes=10))
    task_row(status=TaskResultStatus.READY, worker=None)
    response = login(admin).get("/app/settings/workers/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "alive-worker-1" in body and "stale-worker-1" in body
    assert 'id="queue-ready">1<' in body
    assert "No worker is running" not in body
    assert 'href="/app/settings/workers/"' in body  # in the Settings menu


@pytest.mark.django_db
def test_workers_page_warns_when_no_worker_runs(admin):
    body = login(admin).get("/app/settings/workers/").content.decode()
    assert "No worker is running" in body


@pytest.mark.django_db
def test_workers_page_is_for_admins_only(agent, client_user, client):
    assert login(agent).get("/app/settings/workers/").status_code == 403
    assert login(client_user).get("/app/settings/workers/").status_code == 404
    assert client.get("/app/settings/workers/").status_code == 302
    assert 'href="/app/settings/workers/"' not in login(agent).get("/app/").content.decode()


# ---------------------------------------------------------------- the command


@pytest.mark.django_db
def test_command_fails_when_no_worker_was_seen(capsys):
    heartbeat("stale-1", seen=ago(minutes=2))
    heartbeat("stopped-1", seen=ago(seconds=1), stopped=ago(seconds=1))
    with pytest.raises(CommandError) as raised:
        call_command("workers")
    assert raised.value.returncode == 1
    assert "no worker has sent a heartbeat in the last 60 s" in str(raised.value)
    out = capsys.readouterr().out
    assert "Workers: 0 alive" in out
    assert "STALE" in out and "stale-1" in out
    assert "stopped" in out and "stopped-1" in out


@pytest.mark.django_db
def test_command_reports_and_succeeds_with_a_live_worker(capsys):
    heartbeat("live-1", seen=ago(seconds=2))
    task_row(status=TaskResultStatus.READY, worker=None)
    task_row(started=ago(hours=1), worker="gone-1")
    task_row(
        status=TaskResultStatus.FAILED,
        started=ago(hours=1),
        finished_at=ago(minutes=30),
        exception_class_path=workers.WORKER_LOST,
    )
    call_command("workers")  # no CommandError: exit status 0
    out = capsys.readouterr().out
    assert "Workers: 1 alive" in out
    assert "ok      live-1" in out
    assert "Queue: 1 ready (1 due now)" in out
    assert "Running: 1 (1 left by a stopped worker, to reclaim)" in out
    assert "Failed in the last 24 h: 1 (1 reclaimed from stopped workers)" in out


@pytest.mark.django_db
def test_command_max_age_and_json(capsys):
    heartbeat("w-json", seen=ago(seconds=90))
    call_command("workers", "--max-age", "120", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["alive"] == 1
    assert data["workers"][0]["worker_id"] == "w-json"
    assert data["workers"][0]["state"] == "alive"
    with pytest.raises(CommandError):
        call_command("workers", "--max-age", "30", "--json")


def test_command_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        call_command("workers", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 when at least one worker" in out
    assert "1 when no worker has" in out
