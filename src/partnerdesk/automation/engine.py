"""Processing the outbox: each event through the built-in handlers and matching workflows.

Guarantees:
- each workflow runs at most once per event (unique WorkflowRun(workflow, event));
- a database action commits together with the run's step, so a crash, a retry or a second
  worker never repeats it; calls to other systems (Slack, GitHub) happen outside the
  transaction and are at-least-once;
- a failing action is retried with backoff, then the run is FAILED and listed for admins,
  who can replay it;
- an event whose processing was lost (process killed) is picked up again: by the next batch
  of the outbox drain (``automation.outbox``), or by the periodic outbox sweep.

Two ways in: :func:`process_event` processes one event on its own (a task per event: the
retry of an event that failed in a batch, one whose workflows call other systems, the sweep,
backends without a database queue); :func:`handle_event` is the part both it and the batch
drain run, inside whatever transaction the caller holds.

The worker's tasks live here, next to what they run: a failing run schedules its own retry
(``retry_run``) and the sweep re-enqueues lost work, so the tasks and the engine are one module
and ``tasks.py`` only hands committed events over.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from contextlib import nullcontext

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Prefetch, Q
from django.tasks import task
from django.utils import timezone

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event, run_handlers
from partnerdesk.core.models import Event
from partnerdesk.core.queue import enqueue_later, pending, stores_tasks_in_database
from partnerdesk.core.records import in_first_pass, reserve_ids
from partnerdesk.crm.models import Deal, LineItem
from partnerdesk.portal.models import Task
from partnerdesk.tickets.models import Ticket

from . import actions, conditions, triggers
from .events import AutomationEvent
from .models import OutboxHold, RunStatus, Workflow, WorkflowRun
from .selectors import workflows_with_actions

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
OPEN = (RunStatus.PENDING, RunStatus.RUNNING)


def dispatch_enabled() -> bool:
    return getattr(settings, "PARTNERDESK_DISPATCH_EVENTS", True)


def drained() -> bool:
    """Whether the workers drain the outbox themselves (``automation.outbox``): events are
    handed over and the task backend is the database one, whose ``db_worker`` polls the
    outbox. Otherwise each committed event is enqueued as a task of its own."""
    return dispatch_enabled() and stores_tasks_in_database(process_event_task)


def backoff(attempt: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min … (at most 30 min) after the n-th failure."""
    return dt.timedelta(seconds=min(1800, 30 * 2 ** max(0, attempt - 1)))


# What the workflows of each kind of record read, loaded with the record in the same query:
# related records, prefetched ones, and figures computed by the database (a deal's
# ``won_deals_before``: its company's deals won before it, which conditions read).
SUBJECT_LOADING = {
    Deal: (
        ("company", "pipeline", "stage", "owner"),
        (
            Prefetch("line_items", queryset=LineItem.objects.select_related("product")),
            "contacts",  # a ticket opened from the deal takes its first contact
        ),
        {"won_deals_before": conditions.won_deals_before},
    ),
    Ticket: (("company", "deal", "pipeline", "stage", "owner"), (), {}),
    Task: (("company", "category", "assignee"), (), {}),
}


def _loaded(rows, model):
    """``rows`` with what the workflows of ``model`` read (``SUBJECT_LOADING``)."""
    related, prefetched, figures = SUBJECT_LOADING.get(model, ((), (), {}))
    if related:
        rows = rows.select_related(*related)
    if prefetched:
        rows = rows.prefetch_related(*prefetched)
    if figures:
        rows = rows.annotate(**{name: expression() for name, expression in figures.items()})
    return rows


def subject_of(event: Event, *, for_workflows: bool = True):
    """The record the event is about (None when it is gone); ``for_workflows``: with what
    triggers and conditions read, in the same query (a batch loads it plain for an event no
    workflow listens to)."""
    model = ContentType.objects.get_for_id(event.subject_type_id).model_class()
    if model is None:
        return None
    rows = model._default_manager.filter(pk=event.subject_id)
    return (_loaded(rows, model) if for_workflows else rows).first()


def subjects_of(events: Iterable[Event], *, for_workflows: dict[int, bool]) -> dict[int, object]:
    """The records of many events by event id, as :func:`subject_of` reads them (None when
    gone), with one query per kind of record and loading instead of one per event. An event
    whose kind of record is unknown is left out (:func:`subject_of` fails on it in the event's
    own savepoint, as before)."""
    groups: dict[tuple[int, bool], list[Event]] = {}
    for event in events:
        groups.setdefault((event.subject_type_id, for_workflows[event.pk]), []).append(event)
    found: dict[int, object] = {}
    for (type_id, full), group in groups.items():
        try:
            model = ContentType.objects.get_for_id(type_id).model_class()
        except ContentType.DoesNotExist:
            continue
        if model is None:
            found.update(dict.fromkeys((e.pk for e in group), None))
            continue
        rows = model._default_manager.filter(pk__in={e.subject_id for e in group})
        if full:
            rows = _loaded(rows, model)
        by_pk = {row.pk: row for row in rows}
        found.update((e.pk, by_pk.get(e.subject_id)) for e in group)
    return found


def enabled_workflows(kind: str) -> list[Workflow]:
    """The enabled workflows whose trigger listens to events of ``kind``, actions prefetched."""
    listening = triggers.EVENT_TRIGGERS.get(kind, [])
    if not listening:
        return []
    return list(workflows_with_actions().filter(enabled=True, trigger__in=listening))


class WorkflowCache:
    """The enabled workflows with their actions, read once for a batch (by trigger)."""

    def __init__(self):
        self._by_trigger: dict[str, list[Workflow]] | None = None
        self._by_kind: dict[str, list[Workflow]] = {}

    def for_kind(self, kind: str) -> list[Workflow]:
        if kind not in self._by_kind:
            self._by_kind[kind] = self._for_kind(kind)
        return self._by_kind[kind]

    def _for_kind(self, kind: str) -> list[Workflow]:
        listening = triggers.EVENT_TRIGGERS.get(kind, [])
        if not listening:
            return []
        if self._by_trigger is None:
            self._by_trigger = {}
            for workflow in workflows_with_actions().filter(enabled=True):
                self._by_trigger.setdefault(workflow.trigger, []).append(workflow)
        found = [w for trigger in listening for w in self._by_trigger.get(trigger, [])]
        return sorted(found, key=lambda w: (w.name, w.pk))  # Workflow's ordering


def steps_of(workflow: Workflow) -> list:
    """The workflow's actions in order (from the prefetch when there is one)."""
    return sorted(workflow.actions.all(), key=lambda a: (a.order, a.pk))


def calls_out(workflow: Workflow) -> bool:
    """Whether a step of the workflow calls another system (Slack, GitHub)."""
    return any(actions.HANDLERS[a.type].external for a in steps_of(workflow))


class NeedsIsolation(Exception):
    """Raised (before anything is written) for an event whose matching workflows call another
    system: it is processed on its own, outside a batch's transaction."""


class NewRuns:
    """The runs one generation of a batch's first pass makes, written together when it ends
    (one INSERT, ``write``) instead of one INSERT each and an UPDATE with the last step:
    nobody reads them before the batch commits, and whatever raises meanwhile rolls the batch
    back whole. A run that takes steps needs its id first (a step's notification names it):
    it takes one reserved from the table's sequence (``core.records.reserve_ids``), ``chunk``
    at a time; where ids cannot be reserved (SQLite) it is written at once, as elsewhere."""

    def __init__(self, chunk: int):
        self.runs: list[WorkflowRun] = []
        self._chunk = max(chunk, 1)
        self._ids: list[int] = []

    def add(self, run: WorkflowRun) -> None:
        self.runs.append(run)

    def identify(self, run: WorkflowRun) -> bool:
        """Give ``run`` a reserved id; False when none can be reserved."""
        if not self._ids:
            self._ids = list(reversed(reserve_ids(WorkflowRun, self._chunk) or []))
            if not self._ids:
                return False
        run.pk = self._ids.pop()
        return True

    def write(self) -> None:
        if self.runs:
            WorkflowRun.objects.bulk_create(self.runs)


def handle_event(
    event: Event,
    subject,
    *,
    workflows: Iterable[Workflow],
    runs: dict[int, WorkflowRun] | None = None,
    batch: bool = False,
    new_runs: NewRuns | None = None,
) -> int:
    """Run the built-in handlers and the matching workflows of one event; returns how many
    workflow runs it touched. The caller marks the event processed.

    ``runs``: the event's existing runs by workflow id, when the caller read them (a batch
    reads them for all its events at once); otherwise each is got or created. ``batch``:
    inside a batch's transaction, where a workflow that calls another system cannot run
    (:class:`NeedsIsolation` is raised before anything is written). ``new_runs``: on a batch's
    first pass, the runs made here are added there unsaved, for the batch to write together
    (:class:`NewRuns`)."""
    matching = (
        [w for w in workflows if triggers.matches(w, event, subject)] if subject is not None else []
    )
    if batch:
        known = runs or {}
        for workflow in matching:
            run = known.get(workflow.pk)
            if (run is None or run.status in OPEN) and calls_out(workflow):
                raise NeedsIsolation(event.pk)
    run_handlers(event, subject)
    context = None  # built once while no run has changed anything since
    touched = 0
    for workflow in matching:
        touched += 1
        if runs is not None:
            run = runs.get(workflow.pk)
            if run is None:
                # New: conditions first, so a skipped run is one INSERT (a batch's event is
                # locked by its worker, nobody else makes this run meanwhile).
                context = context or conditions.build_context(event=event, subject=subject)
                if not conditions.holds(workflow.conditions, context):
                    run = WorkflowRun(
                        workflow=workflow,
                        event=event,
                        status=RunStatus.SKIPPED,
                        finished_at=timezone.now(),
                    )
                    if new_runs is None:
                        run.save(force_insert=True)
                    else:
                        new_runs.add(run)
                    continue
                run = WorkflowRun(workflow=workflow, event=event, status=RunStatus.RUNNING)
                later = new_runs if new_runs is not None and new_runs.identify(run) else None
                if later is None:
                    run.save(force_insert=True)
                execute_run(
                    run, event=event, subject=subject, context=context, fresh=True, later=later
                )
                context = None  # the run may have changed what the next one reads
                continue
        else:
            run, _created = WorkflowRun.objects.get_or_create(workflow=workflow, event=event)
        if run.status in OPEN:
            execute_run(run, event=event, subject=subject)
            context = None
    return touched


def process_event(event_id: int) -> int:
    """Run everything an event triggers, on its own; returns how many workflow runs it
    touched."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return 0
    subject = subject_of(event)
    touched = handle_event(event, subject, workflows=enabled_workflows(event.kind))
    Event.objects.filter(pk=event.pk, processed_at__isnull=True).update(processed_at=timezone.now())
    OutboxHold.objects.filter(event_id=event.pk).delete()
    return touched


def _finish(run: WorkflowRun, status: str, *, error: str = "", save: bool = True) -> None:
    run.status, run.error, run.finished_at = status, error[:4000], timezone.now()
    run.next_attempt_at = None
    if save:
        run.save(update_fields=["status", "error", "finished_at", "next_attempt_at"])


def execute_run(
    run: WorkflowRun,
    *,
    event: Event | None = None,
    subject=None,
    context: dict | None = None,
    fresh: bool = False,
    later: NewRuns | None = None,
) -> WorkflowRun:
    """Run the workflow's remaining steps. ``fresh``: a run the caller has just created,
    RUNNING, in its own transaction, after checking the conditions (a batch's event, locked by
    its worker): nobody else can see it, so it is not locked and read again for each step.
    ``later``: such a run not written yet (a batch's first pass, :class:`NewRuns`), added
    there with its last step instead."""
    event = event or run.event
    subject = subject if subject is not None else subject_of(event)
    workflow = run.workflow
    if subject is None:
        _finish(run, RunStatus.FAILED, error="The record this event is about no longer exists.")
        return run
    context = context or conditions.build_context(event=event, subject=subject)
    if (
        not fresh
        and run.step == 0
        and run.status == RunStatus.PENDING
        and not conditions.holds(workflow.conditions, context)
    ):
        _finish(run, RunStatus.SKIPPED)
        return run
    if run.status != RunStatus.RUNNING:
        WorkflowRun.objects.filter(
            pk=run.pk, status__in=[RunStatus.PENDING, RunStatus.RETRYING]
        ).update(status=RunStatus.RUNNING)
    steps = steps_of(workflow)
    # On a batch's first pass a run the batch has just created takes its steps without a
    # savepoint each and is written once, with its last step: nobody can see it before the
    # batch commits, and whatever a step raises runs the batch again with savepoints.
    quick = fresh and in_first_pass()
    for index, action in enumerate(steps):
        if index < run.step:
            continue
        handler = actions.HANDLERS[action.type]
        last = index == len(steps) - 1
        try:
            prepared = (
                handler.call(action=action, run=run, subject=subject, context=context)
                if handler.external
                else None
            )
            with nullcontext() if quick else transaction.atomic():
                locked = run if fresh else WorkflowRun.objects.select_for_update().get(pk=run.pk)
                if locked.step > index:  # another worker completed it meanwhile
                    run = locked
                    continue
                output = (
                    handler.apply(
                        action=action,
                        run=locked,
                        subject=subject,
                        context=context,
                        prepared=prepared,
                    )
                    or {}
                )
                locked.context.update(output.get("context", {}))
                locked.log.append(
                    {
                        "step": index + 1,
                        "action": action.type,
                        "at": timezone.now().isoformat(),
                        "result": output.get("summary", ""),
                        # The same, as message keys the pages translate (``describe``).
                        "messages": output.get("messages", []),
                    }
                )
                locked.step = index + 1
                fields = ["context", "log", "step"]
                if last:  # the run succeeds with its last step
                    locked.status, locked.error = RunStatus.SUCCEEDED, ""
                    locked.finished_at, locked.next_attempt_at = timezone.now(), None
                    fields += ["status", "error", "finished_at", "next_attempt_at"]
                if (last and later is None) or not quick:
                    locked.save(update_fields=fields)
                run = locked
        except DomainError as exc:  # a rule refused: retrying cannot help
            if quick:
                raise  # the batch runs again, this run's steps each in a savepoint
            run.refresh_from_db()
            _finish(
                run,
                RunStatus.FAILED,
                error=f"Step {index + 1} ({action.get_type_display()}): {exc.message}",
            )
            _record_outcome(run, workflow, subject, failed=True)
            return run
        except Exception as exc:  # a transient failure (network, lock): retry later
            if quick:
                raise
            log.warning("workflow run %s step %s failed: %s", run.pk, index + 1, exc)
            run.refresh_from_db()
            run.attempts += 1
            run.error = f"Step {index + 1} ({action.get_type_display()}): {exc}"[:4000]
            if run.attempts >= MAX_ATTEMPTS:
                run.save(update_fields=["attempts", "error"])
                _finish(run, RunStatus.FAILED, error=run.error)
                _record_outcome(run, workflow, subject, failed=True)
                return run
            run.status = RunStatus.RETRYING
            run.next_attempt_at = timezone.now() + backoff(run.attempts)
            run.save(update_fields=["attempts", "error", "status", "next_attempt_at"])
            _schedule_retry(run)
            return run
    if run.status != RunStatus.SUCCEEDED:
        _finish(run, RunStatus.SUCCEEDED, save=later is None)
    if later is not None:
        later.add(run)
    _record_outcome(run, workflow, subject, failed=False)
    return run


def _record_outcome(run: WorkflowRun, workflow: Workflow, subject, *, failed: bool) -> None:
    """The run's entry on the affected record's timeline (in the caller's transaction when
    there is one: a batch's, or a step's)."""
    with transaction.atomic(savepoint=False):
        record_event(
            kind=AutomationEvent.WORKFLOW_FAILED if failed else AutomationEvent.WORKFLOW_RAN,
            subject=subject,
            company_id=getattr(subject, "company_id", None),
            data={
                "workflow": workflow.name,
                "workflow_id": workflow.pk,
                "run_id": run.pk,
                "steps": [entry.get("result", "") for entry in run.log],
                "error": run.error,
            },
        )


def _schedule_retry(run: WorkflowRun) -> None:
    if run.next_attempt_at is not None:
        enqueue_later(retry_run, run.next_attempt_at, run_id=run.pk)


def sweep_outbox(*, older_than: dt.timedelta = dt.timedelta(seconds=60), limit: int = 1000) -> int:
    """Re-enqueue events not processed after ``older_than`` (their task was lost). When the
    workers drain the outbox, only the events handed to a task of their own (``OutboxHold``)
    can have lost one; an event held for a retry waits for its time."""
    cutoff = clock.now() - older_than
    due = Q(outbox_hold__isnull=True) | Q(outbox_hold__retry_at__isnull=True)
    due |= Q(outbox_hold__retry_at__lte=clock.now())
    events = Event.objects.filter(due, processed_at__isnull=True, occurred_at__lt=cutoff)
    if drained():
        events = events.filter(outbox_hold__isnull=False)
    ids = list(events.order_by("id").values_list("pk", flat=True)[:limit])
    # An event whose task is still queued (a busy worker) is not lost: leave it be.
    queued = pending(process_event_task, "event_id", ids, running_since=cutoff)
    ids = [pk for pk in ids if pk not in queued]
    for pk in ids:
        process_event_task.enqueue(event_id=pk)
    stuck = list(
        WorkflowRun.objects.filter(status=RunStatus.RETRYING, next_attempt_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    queued = pending(retry_run, "run_id", stuck, running_since=cutoff)
    for run_id in stuck:
        if run_id not in queued:
            retry_run.enqueue(run_id=run_id)
    return len(ids)


def hold_failed(event_id: int, exc: BaseException) -> OutboxHold:
    """Record that processing the event failed: it is retried on its own, with backoff."""
    hold, _created = OutboxHold.objects.get_or_create(
        event_id=event_id, defaults={"reason": OutboxHold.Reason.FAILED}
    )
    hold.reason = OutboxHold.Reason.FAILED
    hold.attempts += 1
    hold.retry_at = timezone.now() + backoff(hold.attempts)
    hold.error = f"{type(exc).__name__}: {exc}"[:4000]
    hold.save(update_fields=["reason", "attempts", "retry_at", "error"])
    enqueue_later(process_event_task, hold.retry_at, event_id=event_id)
    return hold


# ---------------------------------------------------------------- the worker's tasks


@task
def process_event_task(event_id: int) -> int:
    try:
        return process_event(event_id)
    except Exception as exc:
        log.warning("event %s failed: %s", event_id, exc)
        with transaction.atomic():
            hold_failed(event_id, exc)
        raise


@task
def retry_run(run_id: int) -> str:
    run = WorkflowRun.objects.select_related("workflow", "event").filter(pk=run_id).first()
    if run is None or run.status not in (RunStatus.RETRYING, RunStatus.RUNNING, RunStatus.PENDING):
        return "skipped"
    return execute_run(run).status


@task
def outbox_sweep() -> int:
    return sweep_outbox()
