"""The client's queue of accepted tasks: its order, and starting work when the plan has a free
slot (by an agent, or automatically when a slot frees).

The plan-slot rule (Working + Pending Approval never above the plan's limit) is checked under a
lock on the company row, so two agents starting work at once, or an approval racing a start,
cannot both take the last slot.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import is_system, require_client_of, require_staff
from partnerdesk.crm.models import Company
from partnerdesk.sla.clock import agency_calendar

from ..events import PortalEvent
from ..models import SLOT_STATUSES, PortalSettings, Status, Task, WaitingOn
from ..recipients import agency_recipients, client_recipients
from ..selectors import current_plan
from .common import _lock, _moved, _notify, _wrong_status


def _renumber_queue(company_id: int, order: list[int] | None = None) -> None:
    queued = list(
        Task.objects.filter(company_id=company_id, status=Status.ACCEPTED).order_by(
            "queue_position", "accepted_at", "id"
        )
    )
    if order is not None:
        rank = {pk: i for i, pk in enumerate(order)}
        queued.sort(key=lambda t: rank[t.pk])
    changed = []
    for position, item in enumerate(queued, start=1):
        if item.queue_position != position:
            item.queue_position = position
            changed.append(item)
    Task.objects.bulk_update(changed, ["queue_position"])


@transaction.atomic
def queue_reorder(*, by, company: Company, task_ids: list[int]) -> list[Task]:
    """Put the company's accepted tasks in the given order (every one of them, each once)."""
    if not getattr(by, "is_agency_staff", False):
        require_client_of(by, company.pk)
    Company.objects.select_for_update().filter(pk=company.pk).first()
    current = set(
        Task.objects.filter(company=company, status=Status.ACCEPTED).values_list("pk", flat=True)
    )
    try:
        if isinstance(task_ids, str | bytes):
            raise TypeError
        ids = [int(pk) for pk in task_ids]
    except (TypeError, ValueError, OverflowError):
        ids = None
    if ids is None or len(ids) != len(set(ids)) or set(ids) != current:
        raise conflict(
            "queue_changed",
            _("The queue has changed since you loaded it: reload the page and try again."),
            field="task_ids",
        )
    _renumber_queue(company.pk, ids)
    record_event(
        kind=PortalEvent.QUEUE_REORDERED,
        subject=company,
        actor=by,
        company_id=company.pk,
        data={"order": ids},
    )
    return list(
        Task.objects.filter(company=company, status=Status.ACCEPTED).order_by("queue_position")
    )


def queue_move(*, by, task: Task, to: int) -> list[Task]:
    """Move one accepted task to a position (1 = next); the others keep their order."""
    if not getattr(by, "is_agency_staff", False):
        require_client_of(by, task.company_id)
    ids = list(
        Task.objects.filter(company_id=task.company_id, status=Status.ACCEPTED)
        .order_by("queue_position", "accepted_at", "id")
        .values_list("pk", flat=True)
    )
    if task.pk not in ids:
        raise _wrong_status(task, _("moved in the queue"))
    ids.remove(task.pk)
    try:
        to = int(to)
    except (TypeError, ValueError, OverflowError):
        raise DomainError(
            code="invalid_position",
            message=_("Give the new place in the queue as a number (1 = next)."),
            field="to",
        ) from None
    to = max(1, min(to, len(ids) + 1))
    ids.insert(to - 1, task.pk)
    return queue_reorder(by=by, company=task.company, task_ids=ids)


def _slots_taken(company_id: int) -> int:
    return Task.objects.filter(company_id=company_id, status__in=SLOT_STATUSES).count()


def _start(task: Task, *, by, now: dt.datetime, automatic: bool) -> Task:
    """Start a locked, accepted task (the caller holds the company lock and checked the slot)."""
    previous, task.status = task.status, Status.WORKING
    task.waiting_on = WaitingOn.AGENCY
    task.queue_position = None
    task.started_at = now
    task.estimated_completion = agency_calendar().add_working_time(
        now, dt.timedelta(minutes=task.estimate_minutes)
    )
    if task.assignee_id is None and not is_system(by) and by.is_agency_staff:
        task.assignee = by
    task.save()
    _renumber_queue(task.company_id)
    _moved(
        task,
        PortalEvent.TASK_STARTED,
        by,
        previous=previous,
        automatic=automatic,
        estimated_completion=task.estimated_completion.isoformat(),
    )
    _notify(
        client_recipients(task),
        task,
        "started",
        gettext_lazy("Work started on %(title)s"),
        staff=False,
    )
    if automatic:
        _notify(
            agency_recipients(task),
            task,
            "auto-started",
            gettext_lazy("Next in the queue of %(company)s, now working: %(title)s"),
            staff=True,
        )
    return task


@transaction.atomic
def task_start(*, by, task: Task, now: dt.datetime | None = None) -> Task:
    """Start work on an accepted task, if the client's plan has a free slot."""
    require_staff(by)
    now = now or clock.now()
    task = _lock(task)
    if task.status != Status.ACCEPTED:
        raise _wrong_status(task, _("started"))
    plan = current_plan(task.company_id)
    if plan is None:
        raise conflict(
            "no_plan",
            _("%(company)s has no plan: choose one on the company's page first.")
            % {"company": task.company.name},
        )
    taken = _slots_taken(task.company_id)
    if taken >= plan.concurrent_tasks:
        raise conflict(
            "no_free_slot",
            _(
                "%(company)s's %(plan)s plan works %(limit)s task(s) at once and %(taken)s are "
                "Working or Pending Approval. A slot frees when the client approves a task."
            )
            % {
                "company": task.company.name,
                "plan": plan.name,
                "limit": plan.concurrent_tasks,
                "taken": taken,
            },
        )
    return _start(task, by=by, now=now, automatic=False)


def _start_next(company_id: int, *, by, now: dt.datetime) -> Task | None:
    """While slots are free and the setting is on, start the top task of the queue (the caller
    holds the company lock). Returns the first task started, if any.

    An approval frees one slot; a larger plan may free several, so this loops."""
    if not PortalSettings.load().auto_start_next:
        return None
    plan = current_plan(company_id)
    if plan is None:
        return None
    first = None
    free = plan.concurrent_tasks - _slots_taken(company_id)
    while free > 0:
        top = (
            # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer
            # joins (assignee, requested_by); only the task row needs the lock.
            Task.objects.select_for_update(of=("self",))
            .select_related("company", "assignee", "requested_by")
            .filter(company_id=company_id, status=Status.ACCEPTED)
            .order_by("queue_position", "accepted_at", "id")
            .first()
        )
        if top is None:
            break
        started = _start(top, by=by, now=now, automatic=True)
        first = first or started
        free -= 1
    return first
