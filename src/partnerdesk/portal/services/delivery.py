"""Work on a started task: its estimate moved, delivered for approval, approved by the client
(which frees the slot for the next task of the queue), or sent back for changes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.permissions import SYSTEM, require_client_of, require_staff

from ..events import PortalEvent
from ..models import Status, Task, WaitingOn
from ..recipients import agency_recipients, client_recipients
from .common import _clean_text, _event, _lock, _moved, _notify, _wrong_status
from .messages import message_post
from .queue import _start_next
from .reminders import _next_reminder


@transaction.atomic
def task_adjust_estimate(*, by, task: Task, estimated_completion: dt.datetime, reason: str):
    """An agent moves the estimated completion of a working task, saying why."""
    require_staff(by)
    reason = _clean_text(reason, "reason", required=True, limit=2000)
    if not isinstance(estimated_completion, dt.datetime) or estimated_completion.tzinfo is None:
        raise DomainError(
            code="invalid_datetime",
            message=_("Give the new estimated completion as a date and time."),
            field="estimated_completion",
        )
    task = _lock(task)
    if task.status != Status.WORKING:
        raise _wrong_status(task, _("re-estimated"))
    if task.started_at and estimated_completion <= task.started_at:
        raise DomainError(
            code="before_start",
            message=_("The estimated completion must be after the start of work."),
            field="estimated_completion",
        )
    previous = task.estimated_completion
    task.estimated_completion = estimated_completion
    task.save(update_fields=["estimated_completion", "updated_at"])
    _event(
        task,
        PortalEvent.TASK_ESTIMATE_ADJUSTED,
        by,
        previous=previous.isoformat() if previous else None,
        estimated_completion=estimated_completion.isoformat(),
        reason=reason,
    )
    # The client sees the estimated completion of every working task: tell them it moved.
    _notify(
        client_recipients(task),
        task,
        f"estimate:{estimated_completion.isoformat()}",
        gettext_lazy("New estimated completion for %(title)s"),
        reason,
        staff=False,
    )
    return task


@transaction.atomic
def task_deliver(*, by, task: Task, note: str = "", now: dt.datetime | None = None) -> Task:
    """Work is done: the client is asked to approve it (the slot stays taken until then)."""
    require_staff(by)
    now = now or clock.now()
    task = _lock(task)
    if task.status != Status.WORKING:
        raise _wrong_status(task, _("delivered"))
    previous, task.status = task.status, Status.PENDING_APPROVAL
    task.waiting_on = WaitingOn.CLIENT
    task.delivered_at = now
    task.reminders_sent = 0
    task.next_reminder_at = _next_reminder(now, 0)
    task.save()
    _moved(task, PortalEvent.TASK_DELIVERED, by, previous=previous)
    if (note or "").strip():
        message_post(by=by, task=task, body=note)
    _notify(
        client_recipients(task),
        task,
        f"delivered:{now.isoformat()}",
        gettext_lazy("Ready for your approval: %(title)s"),
        staff=False,
    )
    return task


@transaction.atomic
def task_approve(*, by, task: Task, now: dt.datetime | None = None) -> Task:
    """The client approves delivered work: the task is complete, its slot frees, and the next
    task of the queue starts (when the setting is on)."""
    require_client_of(by, task.company_id)
    now = now or clock.now()
    task = _lock(task)
    if task.status != Status.PENDING_APPROVAL:
        raise _wrong_status(task, _("approved"))
    previous, task.status = task.status, Status.COMPLETE
    task.waiting_on = WaitingOn.NOBODY
    task.closed_at = now
    task.next_reminder_at = None
    task.save()
    _moved(task, PortalEvent.TASK_APPROVED, by, previous=previous)
    _notify(
        agency_recipients(task),
        task,
        "approved",
        gettext_lazy("%(company)s approved: %(title)s"),
        staff=True,
    )
    _start_next(task.company_id, by=SYSTEM, now=now)
    return task


@transaction.atomic
def task_request_changes(*, by, task: Task, message: str, files=()) -> Task:
    """The client sends delivered work back, saying what to change: it is Working again."""
    require_client_of(by, task.company_id)
    body = _clean_text(message, "message", required=True, limit=20000)
    task = _lock(task)
    if task.status != Status.PENDING_APPROVAL:
        raise _wrong_status(task, _("sent back for changes"))
    previous, task.status = task.status, Status.WORKING
    task.waiting_on = WaitingOn.AGENCY
    task.next_reminder_at = None
    task.save()
    _moved(task, PortalEvent.TASK_CHANGES_REQUESTED, by, previous=previous)
    message_post(by=by, task=task, body=body, files=files)
    return task
