"""What every service of the task lifecycle shares: the status check, the company lock, text
cleaning, the event and the notification of a change."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.crm.models import Company
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify

from ..events import TRANSITIONS, PortalEvent
from ..models import Task
from ..recipients import portal_url, staff_url


def _wrong_status(task: Task, action: str) -> DomainError:
    return conflict(
        "invalid_status",
        _("A task in %(status)s cannot be %(action)s.")
        % {"status": task.get_status_display(), "action": action},
        field="status",
    )


def _lock(task: Task) -> Task:
    """Lock the company (the plan slots are per company), then re-read the task locked."""
    Company.objects.select_for_update().filter(pk=task.company_id).first()
    # of=("self",): lock the task only, not the category row it joins (tasks of every client
    # share a few categories).
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("company", "category")
        .get(pk=task.pk)
    )


def _clean_text(value: str, field: str, *, required: bool, limit: int) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise DomainError(code="required", message=_("This field is required."), field=field)
    if len(text) > limit:
        raise DomainError(
            code="too_long",
            message=_("At most %(n)s characters.") % {"n": limit},
            field=field,
        )
    return text


def _notify(users, task: Task, key: str, title, body: str = "", *, staff: bool) -> None:
    """An in-app notification (and its email, as each user prefers), in each user's language."""
    notify(
        users=users,
        kind=Kind.TASK,
        title=lambda user: str(title) % {"title": task.title, "company": task.company.name},
        body=body,
        url=staff_url(task) if staff else portal_url(task),
        dedupe_key=f"task:{task.pk}:{key}",
    )


def _record(task: Task, kind: PortalEvent, by, data: dict) -> None:
    record_event(
        kind=kind,
        subject=task,
        actor=by,
        company_id=task.company_id,
        data={"title": task.title, "status": task.status, **data},
    )


def _event(task: Task, kind: PortalEvent, by, **data) -> None:
    """Record a task event in the caller's transaction (a status change: ``_moved``)."""
    if kind in TRANSITIONS or kind == PortalEvent.TASK_STATE_CHANGED:
        raise ValueError(f"{kind} changes the status: record it with _moved")
    _record(task, kind, by, data)


def _moved(task: Task, kind: PortalEvent, by, *, previous: str | None, **data) -> None:
    """Record the status transition ``kind`` of ``task`` (saved in its new status) in the
    caller's transaction: ``task.state_changed`` with ``from`` and ``to``, then ``kind``."""
    if kind not in TRANSITIONS:
        raise ValueError(f"{kind} is not a status transition: record it with _event")
    moved = {"from": None if previous is None else str(previous), "to": str(task.status)}
    _record(task, PortalEvent.TASK_STATE_CHANGED, by, moved)
    _record(task, kind, by, data)
