"""Processing the outbox: each event through the built-in handlers and matching workflows.

Guarantees:
- each workflow runs at most once per event (unique WorkflowRun(workflow, event));
- a database action commits together with the run's step, so a crash, a retry or a second
  worker never repeats it; calls to other systems (Slack, GitHub) happen outside the
  transaction and are at-least-once;
- a failing action is retried with backoff, then the run is FAILED and listed for admins,
  who can replay it;
- an event whose processing was lost (process killed) is picked up again by the periodic
  outbox sweep.

The worker's tasks live here, next to what they run: a failing run schedules its own retry
(``retry_run``) and the sweep re-enqueues lost work, so the tasks and the engine are one module
and ``tasks.py`` only hands committed events over.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event, run_handlers
from partnerdesk.core.models import Event
from partnerdesk.core.queue import enqueue_later, pending

from . import actions, conditions, triggers
from .events import AutomationEvent
from .models import RunStatus, WorkflowRun
from .selectors import workflows_with_actions

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def dispatch_enabled() -> bool:
    return getattr(settings, "PARTNERDESK_DISPATCH_EVENTS", True)


def backoff(attempt: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min … (at most 30 min) after the n-th failure."""
    return dt.timedelta(seconds=min(1800, 30 * 2 ** max(0, attempt - 1)))


def subject_of(event: Event):
    model = ContentType.objects.get_for_id(event.subject_type_id).model_class()
    return model._default_manager.filter(pk=event.subject_id).first() if model else None


def process_event(event_id: int) -> int:
    """Run everything an event triggers; returns how many workflow runs it touched."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return 0
    subject = subject_of(event)
    run_handlers(event, subject)
    touched = 0
    listening = triggers.EVENT_TRIGGERS.get(event.kind, [])
    if listening and subject is not None:
        workflows = workflows_with_actions().filter(enabled=True, trigger__in=listening)
        for workflow in workflows:
            if not triggers.matches(workflow, event, subject):
                continue
            run, _created = WorkflowRun.objects.get_or_create(workflow=workflow, event=event)
            if run.status in (RunStatus.PENDING, RunStatus.RUNNING):
                execute_run(run, event=event, subject=subject)
            touched += 1
    Event.objects.filter(pk=event.pk, processed_at__isnull=True).update(processed_at=timezone.now())
    return touched


def _finish(run: WorkflowRun, status: str, *, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error[:4000], timezone.now()
    run.next_attempt_at = None
    run.save(update_fields=["status", "error", "finished_at", "next_attempt_at"])


def execute_run(run: WorkflowRun, *, event: Event | None = None, subject=None) -> WorkflowRun:
    event = event or run.event
    subject = subject if subject is not None else subject_of(event)
    workflow = run.workflow
    if subject is None:
        _finish(run, RunStatus.FAILED, error="The record this event is about no longer exists.")
        return run
    context = conditions.build_context(event=event, subject=subject)
    if (
        run.step == 0
        and run.status == RunStatus.PENDING
        and not conditions.holds(workflow.conditions, context)
    ):
        _finish(run, RunStatus.SKIPPED)
        return run
    WorkflowRun.objects.filter(
        pk=run.pk, status__in=[RunStatus.PENDING, RunStatus.RETRYING]
    ).update(status=RunStatus.RUNNING)
    steps = list(workflow.actions.order_by("order", "id"))
    for index, action in enumerate(steps):
        if index < run.step:
            continue
        handler = actions.HANDLERS[action.type]
        try:
            prepared = (
                handler.call(action=action, run=run, subject=subject, context=context)
                if handler.external
                else None
            )
            with transaction.atomic():
                locked = WorkflowRun.objects.select_for_update().get(pk=run.pk)
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
                    }
                )
                locked.step = index + 1
                locked.save(update_fields=["context", "log", "step"])
                run = locked
        except DomainError as exc:  # a rule refused: retrying cannot help
            run.refresh_from_db()
            _finish(
                run,
                RunStatus.FAILED,
                error=f"Step {index + 1} ({action.get_type_display()}): {exc.message}",
            )
            _record_outcome(run, subject, failed=True)
            return run
        except Exception as exc:  # a transient failure (network, lock): retry later
            log.warning("workflow run %s step %s failed: %s", run.pk, index + 1, exc)
            run.refresh_from_db()
            run.attempts += 1
            run.error = f"Step {index + 1} ({action.get_type_display()}): {exc}"[:4000]
            if run.attempts >= MAX_ATTEMPTS:
                run.save(update_fields=["attempts", "error"])
                _finish(run, RunStatus.FAILED, error=run.error)
                _record_outcome(run, subject, failed=True)
                return run
            run.status = RunStatus.RETRYING
            run.next_attempt_at = timezone.now() + backoff(run.attempts)
            run.save(update_fields=["attempts", "error", "status", "next_attempt_at"])
            _schedule_retry(run)
            return run
    _finish(run, RunStatus.SUCCEEDED)
    _record_outcome(run, subject, failed=False)
    return run


def _record_outcome(run: WorkflowRun, subject, *, failed: bool) -> None:
    """The run's entry on the affected record's timeline."""
    with transaction.atomic():
        record_event(
            kind=AutomationEvent.WORKFLOW_FAILED if failed else AutomationEvent.WORKFLOW_RAN,
            subject=subject,
            company_id=getattr(subject, "company_id", None),
            data={
                "workflow": run.workflow.name,
                "workflow_id": run.workflow_id,
                "run_id": run.pk,
                "steps": [entry.get("result", "") for entry in run.log],
                "error": run.error,
            },
        )


def _schedule_retry(run: WorkflowRun) -> None:
    if run.next_attempt_at is not None:
        enqueue_later(retry_run, run.next_attempt_at, run_id=run.pk)


def sweep_outbox(*, older_than: dt.timedelta = dt.timedelta(seconds=60), limit: int = 1000) -> int:
    """Re-enqueue events not processed after ``older_than`` (their task was lost)."""
    cutoff = clock.now() - older_than
    ids = list(
        Event.objects.filter(processed_at__isnull=True, occurred_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
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


# ---------------------------------------------------------------- the worker's tasks


@task
def process_event_task(event_id: int) -> int:
    return process_event(event_id)


@task
def retry_run(run_id: int) -> str:
    run = WorkflowRun.objects.select_related("workflow", "event").filter(pk=run_id).first()
    if run is None or run.status not in (RunStatus.RETRYING, RunStatus.RUNNING, RunStatus.PENDING):
        return "skipped"
    return execute_run(run).status


@task
def outbox_sweep() -> int:
    return sweep_outbox()
