"""Periodic jobs are enqueued exactly once per period, however many schedulers run at once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import task

from partnerdesk.core import periodic
from partnerdesk.core.models import PeriodicRun

CALLS: Counter = Counter()
LOCK = threading.Lock()


@task
def tick() -> None:
    with LOCK:
        CALLS["tick"] += 1


@task
def tock() -> None:
    with LOCK:
        CALLS["tock"] += 1


JOBS = [
    periodic.Job("tick", dt.timedelta(minutes=1), f"{__name__}.tick"),
    periodic.Job("tock", dt.timedelta(minutes=5), f"{__name__}.tock"),
]
T0 = dt.datetime(2026, 3, 2, 10, 0, 30, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def runs() -> Counter:
    return Counter(PeriodicRun.objects.values_list("job", flat=True))


def test_period_start_is_aligned_to_the_interval():
    assert periodic.period_start(T0, MINUTE) == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    assert periodic.period_start(T0 + 4 * MINUTE, 5 * MINUTE) == T0 - dt.timedelta(seconds=30)
    assert periodic.period_start(T0 + 5 * MINUTE, 5 * MINUTE) == dt.datetime(
        2026, 3, 2, 10, 5, tzinfo=dt.UTC
    )


@pytest.mark.django_db
def test_once_per_period(settings):
    assert periodic.enqueue_due_jobs(now=T0, jobs=JOBS) == ["tick", "tock"]
    assert periodic.enqueue_due_jobs(now=T0 + dt.timedelta(seconds=20), jobs=JOBS) == []
    assert CALLS == {"tick": 1, "tock": 1}

    assert periodic.enqueue_due_jobs(now=T0 + MINUTE, jobs=JOBS) == ["tick"]
    assert periodic.enqueue_due_jobs(now=T0 + MINUTE, jobs=JOBS) == []
    assert periodic.enqueue_due_jobs(now=T0 + 5 * MINUTE, jobs=JOBS) == ["tick", "tock"]
    assert CALLS == {"tick": 3, "tock": 2}
    assert runs() == {"tick": 3, "tock": 2}


@pytest.mark.django_db
def test_the_scheduler_command_enqueues_the_real_jobs_once():
    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")
    names = {job.name for job in periodic.JOBS}
    assert {"sla_sweep", "outbox_sweep"} <= names
    assert runs() == dict.fromkeys(names, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("jobs", [JOBS, None], ids=["test-jobs", "real-jobs"])
def test_several_schedulers_at_once_enqueue_each_job_once_per_period(jobs):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    job_names = [job.name for job in (jobs or periodic.JOBS)]
    schedulers = 8

    def race(now) -> Counter:
        barrier = threading.Barrier(schedulers)
        enqueued: Counter = Counter()
        errors = []

        def scheduler():
            try:
                barrier.wait()
                names = periodic.enqueue_due_jobs(now=now, jobs=jobs)
                with LOCK:
                    enqueued.update(names)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=scheduler) for _ in range(schedulers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        return enqueued

    assert race(T0) == dict.fromkeys(job_names, 1)
    assert runs() == dict.fromkeys(job_names, 1)
    # The next period of every job: later by the longest interval (5 min for the test jobs,
    # 15 min for the approval reminders among the real ones).
    later = T0 + max(job.every for job in (jobs or periodic.JOBS))
    assert race(later) == dict.fromkeys(job_names, 1)
    assert runs() == dict.fromkeys(job_names, 2)
    if jobs is JOBS:
        assert CALLS == {"tick": 2, "tock": 2}
