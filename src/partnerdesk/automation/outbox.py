"""The outbox drain: workers claim unprocessed events in batches and process each batch in one
transaction.

``manage.py db_worker`` calls :func:`drain` between tasks (registered with
``core.queue.register_poller``) when the task backend is the database one. A batch:

1. **claims** up to ``PARTNERDESK_OUTBOX_BATCH`` unprocessed events, oldest first, with
   ``SELECT … FOR UPDATE SKIP LOCKED``: two workers never take the same event, and neither
   waits for the other. An event is not claimed while an earlier event about the same record
   is unprocessed: the events of one record are processed in the order they were recorded,
   whichever worker takes them (an event that failed and waits for its retry, below, no
   longer holds back the later ones);
2. **processes** each event (``engine.handle_event``: built-in handlers, then the matching
   workflows) in the batch's transaction, and marks the batch processed in one UPDATE. A first
   pass makes no savepoints (``core.records.first_pass``); when anything raises, the batch is
   rolled back and run again with one per event and per workflow step (below). The follow-ups
   the batch records (``ticket.created``, ``workflow.ran``, …) are claimed and processed next,
   in the same transaction (``FOLLOW_UPS`` generations): they are done in the same run
   instead of as separate jobs, and never wait behind a backlog;
3. **commits once.** A worker killed mid-batch commits nothing: the row locks go with its
   connection, and the next claim takes the same events again. Exactly once holds because
   everything a batch does — tickets, runs, steps, notifications, the one task that emails
   the batch's notifications (``notifications.tasks.emails_in_one_task``), the events'
   ``processed_at`` — commits together or not at all.

Two kinds of event leave the batch for a task of their own (``process_event_task``), recorded
as an :class:`~partnerdesk.automation.models.OutboxHold` in the batch's transaction so that no
other batch claims them meanwhile:

- an event whose matching workflow calls another system (Slack, GitHub): such a call must not
  sit inside a long transaction, and the engine commits what it learns from it at once;
- an event whose processing raised: the batch's transaction is rolled back whole and the
  batch is run again with a savepoint per event; that event's savepoint is rolled back (the
  others in the batch still commit), and it is retried alone with backoff
  (``engine.backoff``), as often as it takes; each retry's error is on its hold and its task
  row.

Inside a batch the configuration services and actions read is read once: the ticket property
definitions, entry stages, SLA policies and calendars are kept by the process between
batches, under the stamp the batch asks for once (``core.configuration.one_stamp``); webhook
endpoints, notification choices and the pipelines, stages and teams actions name are read
once per batch (``core.records.batch_memo``). Each generation's
records are read with one query per kind of record (``engine.subjects_of``), and read again
at an event's turn only when an earlier event of the generation changed them (recorded an
event about them: ``core.events.written_in_batch``). The services the steps call make no
savepoints of their own there (``core.records.atomic_service``): the step's savepoint, or the
batch's transaction, rolls back whatever raises. Nothing but the kept configuration outlives
the batch.

On SQLite (one writer at a time) the same code runs with smaller batches, so a web request
never waits long for the write lock; ``select_for_update`` is a no-op there.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext

from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from partnerdesk.core.configuration import one_stamp
from partnerdesk.core.events import deferred_events, written_in_batch
from partnerdesk.core.models import Event
from partnerdesk.core.records import batch_memo, first_pass, in_first_pass
from partnerdesk.notifications import tasks as notification_tasks

from . import engine, triggers
from .models import OutboxHold, WorkflowRun

log = logging.getLogger(__name__)

# A batch's transaction also processes the events its own processing recorded (ticket.created,
# workflow.ran, …), and theirs, up to this many generations, at most FOLLOW_UP_FACTOR × the
# batch size at a time; what is left is the next batch's.
FOLLOW_UPS = 3
FOLLOW_UP_FACTOR = 4


def batch_size() -> int:
    return settings.PARTNERDESK_OUTBOX_BATCH


def claimable():
    """Unprocessed events no task holds and no earlier event of their record waits before: each
    is the first of its record's waiting events (those unprocessed and not held for a retry).

    A scalar subquery per candidate, read from ``event_unprocessed_subject`` (one index probe
    each): written as ``NOT EXISTS`` an earlier event, PostgreSQL joined every candidate with
    every unprocessed event, 160,000 comparisons to claim 80 of a backlog of 2,000, growing
    with the square of the backlog (``tests/automation/test_claim_postgres.py``)."""
    first_waiting = (
        Event.objects.filter(
            Q(outbox_hold__isnull=True) | Q(outbox_hold__reason=OutboxHold.Reason.ISOLATED),
            subject_type_id=OuterRef("subject_type_id"),
            subject_id=OuterRef("subject_id"),
            processed_at__isnull=True,
        )
        .order_by("pk")
        .values("pk")[:1]
    )
    return Event.objects.filter(
        processed_at__isnull=True, outbox_hold__isnull=True, pk=Subquery(first_waiting)
    )


def claim(limit: int, *, newer_than: int | None = None) -> list[Event]:
    events = claimable()
    if newer_than is not None:
        events = events.filter(pk__gt=newer_than)
    return list(events.order_by("pk").select_for_update(skip_locked=True, of=("self",))[:limit])


def drain(*, seconds: float = 1.0) -> int:
    """Process batches until the outbox is empty or ``seconds`` have passed; returns how many
    events were processed (or handed to a task of their own)."""
    if not engine.drained():
        return 0
    done, until = 0, time.monotonic() + seconds
    while True:
        count = process_batch(batch_size())
        done += count
        if count == 0 or time.monotonic() >= until:
            return done


class _Redo(Exception):
    """An event raised in a batch run without a savepoint per event: the batch is rolled back
    whole and run again with them."""


def process_batch(limit: int, *, careful: bool = False) -> int:
    """One transaction: claim the oldest ``limit`` events and process them, then their
    follow-ups (``FOLLOW_UPS`` generations), then commit. Returns how many events it took.

    First without savepoints (``first_pass``: two statements each saved): when an event
    raises, the whole transaction is rolled back, so nothing of it stays, and the batch is run
    again ``careful``ly, each event in a savepoint, so that the others commit and the one that
    raised is held for a retry of its own."""
    if not Event.objects.filter(processed_at__isnull=True, outbox_hold__isnull=True).exists():
        return 0  # idle: no transaction (on SQLite, no write lock) for nothing
    try:
        with (
            transaction.atomic(),
            batch_memo(),
            one_stamp(),
            notification_tasks.emails_in_one_task(),
            nullcontext() if careful else first_pass(),
        ):
            events = claim(limit)
            if not events:
                return 0
            newest = Event.objects.aggregate(newest=Max("pk"))["newest"] or 0
            workflows = engine.WorkflowCache()
            taken = 0
            for _generation in range(FOLLOW_UPS + 1):
                taken += len(events)
                _process(events, workflows)
                # What the batch recorded (and what others committed since it began): newer
                # than every event when it began, so an older backlog does not come first.
                events = claim(FOLLOW_UP_FACTOR * limit, newer_than=newest)
                if not events:
                    break
    except _Redo:
        return process_batch(limit, careful=True)
    return taken


def _process(events: list[Event], workflows: engine.WorkflowCache) -> None:
    careful = not in_first_pass()
    runs: dict[int, dict[int, WorkflowRun]] = {}
    for run in WorkflowRun.objects.filter(event__in=events):
        runs.setdefault(run.event_id, {})[run.workflow_id] = run
    # The generation's records, one query per kind of record. Most events match no workflow
    # (as their data shows): a record is read with what conditions and actions read only when
    # one may. A record an earlier event of the generation changed is read again at its turn.
    wanted = {event.pk: _may_match(event, workflows.for_kind(event.kind)) for event in events}
    subjects = engine.subjects_of(events, for_workflows=wanted)
    written = written_in_batch()
    written.clear()
    done, alone, failed = [], [], []
    new_runs = None if careful else engine.NewRuns(chunk=len(events))
    # On the first pass the events the generation records are written together at its end
    # (core.events.deferred_events): the next generation is claimed after it; so are the
    # runs it makes (engine.NewRuns), which nothing reads back meanwhile.
    with nullcontext() if careful else deferred_events():
        for event in events:
            listening = workflows.for_kind(event.kind)
            try:
                with transaction.atomic() if careful else nullcontext():
                    if (
                        event.pk in subjects
                        and (event.subject_type_id, event.subject_id) not in written
                    ):
                        subject = subjects[event.pk]
                    else:
                        subject = engine.subject_of(event, for_workflows=wanted[event.pk])
                    engine.handle_event(
                        event,
                        subject,
                        workflows=listening,
                        runs=runs.get(event.pk, {}),
                        batch=True,
                        new_runs=new_runs,
                    )
            except engine.NeedsIsolation:  # raised before anything is written
                alone.append(event.pk)
            except Exception as exc:
                if not careful:
                    raise _Redo from exc
                log.warning(
                    "event %s failed in a batch; it is retried alone", event.pk, exc_info=True
                )
                failed.append((event.pk, exc))
            else:
                done.append(event.pk)
    if new_runs is not None:
        new_runs.write()
    if done:
        Event.objects.filter(pk__in=done).update(processed_at=timezone.now())
    if alone:
        OutboxHold.objects.bulk_create(
            OutboxHold(event_id=pk, reason=OutboxHold.Reason.ISOLATED) for pk in alone
        )
        for pk in alone:
            engine.process_event_task.enqueue(event_id=pk)
    for pk, error in failed:
        engine.hold_failed(pk, error)


def _may_match(event: Event, listening) -> bool:
    """Whether a workflow may match the event, as its data shows (its record not read yet)."""
    try:
        return any(triggers.matches(w, event, None) for w in listening)
    except Exception:
        return True  # the event fails at its turn, in its own savepoint, and is held
