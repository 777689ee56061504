"""Worker health: heartbeats of the background workers, task rows that a killed worker left
RUNNING, and the status the Workers page and ``manage.py workers`` show.

**Heartbeat.** ``manage.py db_worker`` (core's, wrapping django-tasks-db's) runs a
:class:`Heartbeat` thread that writes the worker's ``WorkerHeartbeat`` row every
``PARTNERDESK_WORKER_HEARTBEAT_SECONDS``, also while a long task runs. Its key is the worker id
that django-tasks-db appends to ``DBTaskResult.worker_ids`` when the worker claims a task, so a
task row names the worker whose heartbeat says whether it is still there.

**Reclaiming.** django-tasks-db marks a row RUNNING when a worker claims it and never looks at
it again: a worker killed mid-task (SIGKILL, OOM, a lost machine) leaves it RUNNING forever.
:func:`reclaim_stale_tasks` (the periodic ``reclaim_stale_tasks`` job) marks such a row FAILED
when both hold:

- it started more than ``PARTNERDESK_TASK_STALE_AFTER`` ago, and
- the worker that claimed it is gone: no heartbeat for that long (or none at all, or it stopped,
  or it restarted under the same id after the task started).

A task that runs longer than the timeout on a live worker is never touched: its worker keeps
beating. The row is marked FAILED rather than put back in the queue: the model keeps no attempt
count, so a task that kills its worker (out of memory) would be re-run forever; and the work is
not lost, because the sweeps that own it re-enqueue it (the outbox sweep enqueues every event
still unprocessed, whose task it treats as lost once RUNNING too long, see ``core.queue.pending``)
— a re-queued row would run it a second time. Each row is failed by one conditional UPDATE
(``status = RUNNING``), so two sweeps at once fail it exactly once; the job itself is enqueued
once per period however many schedulers run (``core.periodic``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection
from django.db.models import Count, Min, Q, Subquery
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import Event, WorkerHeartbeat
from .pagination import COUNT_CAP

log = logging.getLogger(__name__)

# A worker silent for this many heartbeat intervals is shown as stale.
MISSED_BEATS = 4
# Heartbeats of workers silent for longer are deleted by the periodic job.
KEEP_HEARTBEATS = dt.timedelta(days=7)
# Shown on the status page: rows running, failures and reclaims of the last day.
RECENT = dt.timedelta(hours=24)
RUNNING_SHOWN = 200


class WorkerLost(Exception):
    """The exception class a reclaimed task row names: its worker stopped while it ran."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def heartbeat_interval() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PARTNERDESK_WORKER_HEARTBEAT_SECONDS)


def seen_within() -> dt.timedelta:
    """A worker whose last heartbeat is older than this is stale (probably gone)."""
    return MISSED_BEATS * heartbeat_interval()


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PARTNERDESK_TASK_STALE_AFTER)


# ---------------------------------------------------------------- heartbeat


class Heartbeat:
    """Record a worker's heartbeat now, then every ``every`` seconds from a daemon thread, until
    :meth:`stop` (which records the clean stop). A killed process simply stops beating."""

    def __init__(self, *, worker_id: str, every: float | None = None):
        self.worker_id = worker_id
        self.every = every if every is not None else heartbeat_interval().total_seconds()
        self.hostname = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.started_at = timezone.now()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{worker_id}", daemon=True
        )

    def start(self) -> None:
        self.beat()  # before the first claim: the row exists when a task names this worker
        self._thread.start()

    def beat(self) -> None:
        fields = {
            "hostname": self.hostname,
            "pid": self.pid,
            "started_at": self.started_at,
            "last_seen_at": timezone.now(),
            "stopped_at": None,
        }
        rows = WorkerHeartbeat.objects.filter(worker_id=self.worker_id)
        if rows.update(**fields):
            return
        try:
            WorkerHeartbeat.objects.create(worker_id=self.worker_id, **fields)
        except IntegrityError:  # created meanwhile (the same id started twice)
            rows.update(**fields)

    def _run(self) -> None:
        try:
            while not self._stopping.wait(self.every):
                try:
                    self.beat()
                except DatabaseError:
                    log.warning("worker %s: heartbeat not recorded", self.worker_id, exc_info=True)
                finally:
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        try:
            now = timezone.now()
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                last_seen_at=now, stopped_at=now
            )
        except DatabaseError:
            log.warning("worker %s: stop not recorded", self.worker_id, exc_info=True)


# ---------------------------------------------------------------- reclaiming


def _worker_alive(beat: WorkerHeartbeat | None, task_started_at: dt.datetime, since) -> bool:
    """Whether the worker of a task that started at ``task_started_at`` has beaten since
    ``since`` — in the same run of the process (a restart under the same id does not count)."""
    return (
        beat is not None
        and beat.stopped_at is None
        and beat.last_seen_at >= since
        and beat.started_at <= task_started_at
    )


def reclaim_stale_tasks(*, now: dt.datetime | None = None) -> int:
    """Mark FAILED every RUNNING task row whose worker is gone (see the module docstring);
    returns how many this call failed."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    rows = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).values(
            "id", "task_path", "started_at", "worker_ids"
        )
    )
    ids = {row["worker_ids"][-1] for row in rows if row["worker_ids"]}
    beats = {b.worker_id: b for b in WorkerHeartbeat.objects.filter(worker_id__in=ids)}
    reclaimed = 0
    for row in rows:
        worker = row["worker_ids"][-1] if row["worker_ids"] else None
        started = row["started_at"]
        if started is None:  # never: filtered on it above (for the type checker)
            continue
        if _worker_alive(beats.get(worker) if worker else None, started, cutoff):
            continue  # a long task on a live worker
        # Conditional on the row still being this RUNNING claim: a second sweep at the same
        # time (or the worker finishing after all) finds nothing to change.
        changed = DBTaskResult.objects.filter(
            id=row["id"], status=TaskResultStatus.RUNNING, started_at=started
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=WORKER_LOST,
            traceback=(
                f"worker stopped while running; reclaimed at {now.isoformat()} "
                f"(worker {worker or 'unknown'}, started at {started.isoformat()}, "
                f"no heartbeat for {int(stale_after().total_seconds())} s)"
            ),
        )
        if changed:
            reclaimed += 1
            log.warning(
                "task %s (%s) reclaimed: worker %s stopped while it ran",
                row["id"],
                row["task_path"],
                worker,
            )
    return reclaimed


def prune_heartbeats(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen_at__lt=now - KEEP_HEARTBEATS).delete()[0]


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class WorkerState:
    heartbeat: WorkerHeartbeat
    state: str  # "alive", "stale" or "stopped"
    running: int  # task rows it has RUNNING
    silent_for: dt.timedelta  # since its last heartbeat


@dataclass(frozen=True)
class RunningTask:
    id: str
    task_path: str
    started_at: dt.datetime
    worker_id: str | None
    worker_alive: bool
    reclaimable: bool  # the next reclaim job fails it


@dataclass(frozen=True)
class WorkerStatus:
    now: dt.datetime
    workers: list[WorkerState]
    ready: int  # READY rows (queue depth), due now or deferred
    due: int  # READY rows a worker may take now
    oldest_waiting: dt.timedelta | None  # the longest a due row has been waiting
    running: int
    running_tasks: list[RunningTask]  # the first RUNNING_SHOWN of them, oldest first
    failed_recent: int  # FAILED in the last RECENT
    reclaimed_recent: int  # of which reclaimed from stopped workers
    seen_within: dt.timedelta
    stale_after: dt.timedelta
    # The outbox: events the workers have not processed yet (taken in batches, no task rows),
    # counted up to COUNT_CAP, and how long the oldest has waited.
    events_waiting: int = 0
    events_waiting_exact: bool = True
    oldest_event_at: dt.datetime | None = None

    @property
    def oldest_event_waiting(self) -> dt.timedelta | None:
        if self.oldest_event_at is None:
            return None
        return max(self.now - self.oldest_event_at, dt.timedelta(0))

    @property
    def alive(self) -> int:
        return sum(w.state == "alive" for w in self.workers)


def worker_status(*, now: dt.datetime | None = None) -> WorkerStatus:
    """Everything the status page shows, in four queries whatever the number of rows: the
    counts, the RUNNING rows (the first ``RUNNING_SHOWN``), the heartbeats (the workers seen
    in the last ``RECENT``, and those of the running rows) and the outbox's waiting events."""
    now = now or timezone.now()
    recently, cutoff = now - seen_within(), now - stale_after()
    never = get_date_max()  # django-tasks-db's run_after of a task not deferred
    ready = Q(status=TaskResultStatus.READY)
    due = ready & (Q(run_after=never) | Q(run_after__lte=now))
    failed = Q(status=TaskResultStatus.FAILED, finished_at__gte=now - RECENT)
    counts = DBTaskResult.objects.aggregate(
        ready=Count("id", filter=ready),
        due=Count("id", filter=due),
        running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("id", filter=failed),
        reclaimed=Count("id", filter=failed & Q(exception_class_path=WORKER_LOST)),
        # waiting since enqueued (not deferred) or since its run_after came
        oldest_enqueued=Min("enqueued_at", filter=ready & Q(run_after=never)),
        oldest_run_after=Min("run_after", filter=ready & Q(run_after__lte=now)),
    )
    since = [t for t in (counts["oldest_enqueued"], counts["oldest_run_after"]) if t is not None]
    rows = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        .order_by("started_at")
        .values("id", "task_path", "started_at", "worker_ids")[:RUNNING_SHOWN]
    )
    # The workers seen in the last day, and those of the running rows however long ago.
    ids = {row["worker_ids"][-1] for row in rows if row["worker_ids"]}
    beats = {
        b.worker_id: b
        for b in WorkerHeartbeat.objects.filter(
            Q(last_seen_at__gte=now - RECENT) | Q(worker_id__in=ids)
        )
    }
    running_tasks: list[RunningTask] = []
    per_worker: dict[str | None, int] = {}
    for row in rows:
        worker = row["worker_ids"][-1] if row["worker_ids"] else None
        beat = beats.get(worker) if worker else None
        started = row["started_at"] or now  # django-tasks-db sets it with RUNNING
        per_worker[worker] = per_worker.get(worker, 0) + 1
        running_tasks.append(
            RunningTask(
                id=str(row["id"]),
                task_path=row["task_path"],
                started_at=started,
                worker_id=worker,
                worker_alive=_worker_alive(beat, started, recently),
                reclaimable=started < cutoff and not _worker_alive(beat, started, cutoff),
            )
        )
    workers = [
        WorkerState(
            heartbeat=beat,
            state="stopped"
            if beat.stopped_at
            else ("alive" if beat.last_seen_at >= recently else "stale"),
            running=per_worker.get(beat.worker_id, 0),
            silent_for=max(now - beat.last_seen_at, dt.timedelta(0)),
        )
        for beat in beats.values()
    ]
    # The oldest COUNT_CAP + 1 unprocessed events (the partial index on them), counted.
    oldest_events = Event.objects.filter(processed_at__isnull=True).order_by("pk")
    outbox = Event.objects.filter(
        pk__in=Subquery(oldest_events.values("pk")[: COUNT_CAP + 1])
    ).aggregate(n=Count("pk"), oldest=Min("occurred_at"))
    return WorkerStatus(
        now=now,
        workers=workers,
        ready=counts["ready"],
        due=counts["due"],
        oldest_waiting=max(now - min(since), dt.timedelta(0)) if since else None,
        running=counts["running"],
        running_tasks=running_tasks,
        failed_recent=counts["failed"],
        reclaimed_recent=counts["reclaimed"],
        seen_within=seen_within(),
        stale_after=stale_after(),
        events_waiting=min(outbox["n"], COUNT_CAP),
        events_waiting_exact=outbox["n"] <= COUNT_CAP,
        oldest_event_at=outbox["oldest"],
    )
