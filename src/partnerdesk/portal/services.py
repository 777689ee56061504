"""Writes to plans, tasks, messages and attachments: every transition of the task lifecycle.

Each transition checks who may make it and from which status, and raises ``DomainError`` with
a stable code otherwise. The plan-slot rule (Working + Pending Approval never above the plan's
limit) is checked under a lock on the company row, so two agents starting work at once, or an
approval racing a start, cannot both take the last slot.
"""

from __future__ import annotations

import datetime as dt
import math
import mimetypes
import re
from contextlib import contextmanager
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.accounts.models import ClientRole, Role, Team, User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict, forbidden
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import (
    SYSTEM,
    is_system,
    require_admin,
    require_client_of,
    require_manager,
    require_party,
    require_staff,
)
from partnerdesk.crm.models import Company
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify
from partnerdesk.sla.clock import agency_calendar

from .booking import cancel_sessions_of_closed_task
from .models import (
    SLOT_STATUSES,
    Attachment,
    Message,
    Plan,
    PortalSettings,
    Status,
    Subscription,
    Task,
    TaskCategory,
    Via,
    WaitingOn,
)

MAX_ESTIMATE_MINUTES = 1000 * 60  # a thousand hours: anything larger is a typo


# ---------------------------------------------------------------- who may do what


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


# ---------------------------------------------------------------- recipients and links


def portal_url(task: Task) -> str:
    return reverse("portal:task_detail", kwargs={"pk": task.pk})


def staff_url(task: Task) -> str:
    return reverse("taskdesk:detail", kwargs={"pk": task.pk})


def client_recipients(task: Task) -> list[User]:
    """Who hears from the agency about a task: its requester, else the company's client
    admins, else every active user of the company."""
    if task.requested_by_id and task.requested_by.is_active:
        return [task.requested_by]
    users = list(User.objects.filter(company_id=task.company_id, is_active=True, role=Role.CLIENT))
    admins = [u for u in users if u.client_role == ClientRole.ADMIN]
    return admins or users


def agency_recipients(task: Task) -> list[User]:
    """Who hears from the client about a task: its assignee, else the admins and managers."""
    if task.assignee_id and task.assignee.is_active:
        return [task.assignee]
    return list(User.objects.agency_staff().filter(role__in=[Role.ADMIN, Role.MANAGER]))


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


def _event(task: Task, kind: str, by, **data) -> None:
    record_event(
        kind=kind,
        subject=task,
        actor=by,
        company_id=task.company_id,
        data={"title": task.title, "status": task.status, **data},
    )


# ---------------------------------------------------------------- plans and settings


def current_plan(company_id: int) -> Plan | None:
    sub = (
        Subscription.objects.filter(company_id=company_id, ended_at__isnull=True)
        .select_related("plan")
        .first()
    )
    return sub.plan if sub else None


@transaction.atomic
def plan_save(
    *, by, name: str, concurrent_tasks: int, is_active: bool = True, plan: Plan | None = None
) -> Plan:
    require_admin(by, _("Only an admin can change the task settings."))
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("Give the plan a name."), field="name")
    if Plan.objects.filter(name__iexact=name).exclude(pk=getattr(plan, "pk", None)).exists():
        raise DomainError(
            code="duplicate", message=_("A plan with this name exists."), field="name"
        )
    try:
        limit = int(concurrent_tasks)
    except (TypeError, ValueError, OverflowError):
        limit = 0
    if not 1 <= limit <= 50:
        raise DomainError(
            code="invalid_limit",
            message=_("A plan works between 1 and 50 tasks at once."),
            field="concurrent_tasks",
        )
    plan = plan or Plan()
    plan.name, plan.concurrent_tasks, plan.is_active = name, limit, bool(is_active)
    plan.save()
    return plan


@transaction.atomic
def subscription_set(*, by, company: Company, plan: Plan, now: dt.datetime | None = None):
    """Put a company on a plan from now on; the previous plan is kept as history."""
    require_manager(by)
    if plan is None or plan.pk is None:
        raise DomainError(code="required", message=_("Choose a plan."), field="plan")
    now = now or clock.now()
    Company.objects.select_for_update().filter(pk=company.pk).first()
    current = Subscription.objects.filter(company=company, ended_at__isnull=True).first()
    if current is not None:
        if current.plan_id == plan.pk:
            return current
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    sub = Subscription.objects.create(company=company, plan=plan, started_at=now, changed_by=by)
    record_event(
        kind="company.plan_changed",
        subject=company,
        actor=by,
        company_id=company.pk,
        data={"plan": plan.name, "previous": current.plan.name if current else None},
    )
    # A larger plan frees slots: let the queue move on as it would after an approval.
    _start_next(company.pk, by=SYSTEM, now=now)
    return sub


@transaction.atomic
def settings_save(
    *, by, auto_start_next: bool, approval_reminder_days, consultants: Team | None
) -> PortalSettings:
    require_admin(by, _("Only an admin can change the task settings."))
    try:
        if isinstance(approval_reminder_days, str):  # "2, 5" from a form (not "25" -> 2, 5)
            approval_reminder_days = re.split(r"[\s,;]+", approval_reminder_days.strip())
            approval_reminder_days = [d for d in approval_reminder_days if d]
        days = sorted({int(d) for d in approval_reminder_days})
    except (TypeError, ValueError, OverflowError):
        days = None
    if days is None or any(d < 1 or d > 60 for d in days) or len(days) > 5:
        raise DomainError(
            code="invalid_reminders",
            message=_("Reminders are up to five numbers of working days between 1 and 60."),
            field="approval_reminder_days",
        )
    obj = PortalSettings.load()
    obj.auto_start_next = bool(auto_start_next)
    obj.approval_reminder_days = days
    obj.consultants = consultants
    obj.save()
    return obj


@transaction.atomic
def category_save(
    *, by, name: str, is_consultation: bool = False, is_active: bool = True, category=None
) -> TaskCategory:
    require_admin(by, _("Only an admin can change the task settings."))
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError(code="required", message=_("Give the category a name."), field="name")
    if (
        TaskCategory.objects.filter(name__iexact=name)
        .exclude(pk=getattr(category, "pk", None))
        .exists()
    ):
        raise DomainError(
            code="duplicate", message=_("A category with this name exists."), field="name"
        )
    category = category or TaskCategory(order=TaskCategory.objects.count())
    category.name, category.is_consultation, category.is_active = (
        name,
        bool(is_consultation),
        bool(is_active),
    )
    category.save()
    return category


# ---------------------------------------------------------------- attachments


def _file_name(upload) -> str:
    """The upload's own name, without any path and without NUL characters (which PostgreSQL
    refuses in text)."""
    return PurePath(str(getattr(upload, "name", "") or "").replace("\x00", "")).name


def validate_upload(upload) -> None:
    """Refuse a file that is too large or of a type not allowed, naming the file."""
    name = _file_name(upload)
    ext = PurePath(name).suffix.lower().lstrip(".")
    allowed = [t.lower() for t in settings.PARTNERDESK_ATTACHMENT_TYPES]
    if not name or ext not in allowed:
        raise DomainError(
            code="file_type_not_allowed",
            message=_("“%(name)s”: files of this type cannot be attached (allowed: %(types)s).")
            % {"name": name or "?", "types": ", ".join(allowed)},
            field="attachments",
        )
    limit = settings.PARTNERDESK_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            code="file_too_large",
            message=_("“%(name)s” is larger than %(limit)s MB.")
            % {"name": name, "limit": round(limit / 1024 / 1024, 1)},
            field="attachments",
        )
    if upload.size == 0:
        raise DomainError(
            code="file_empty",
            message=_("“%(name)s” is empty.") % {"name": name},
            field="attachments",
        )


@contextmanager
def _files_removed_on_error():
    """Files stored inside the block are deleted again if the block fails, so a refused or
    failed write leaves no orphan file behind."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for file in stored:
            file.storage.delete(file.name)
        raise


def _attach(*, by, task: Task, files, stored: list, message: Message | None = None):
    """Store validated uploads under the private root and record them on the task."""
    saved = []
    for upload in files:
        name = _file_name(upload)[:255]
        attachment = Attachment(
            task=task,
            message=message,
            name=name,
            content_type=(mimetypes.guess_type(name)[0] or "application/octet-stream")[:100],
            size=upload.size,
            uploaded_by=by,
        )
        attachment.file.save(name, upload, save=False)
        stored.append(attachment.file)
        attachment.save()
        saved.append(attachment)
    return saved


# ---------------------------------------------------------------- submit, triage


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


def task_submit(
    *,
    by,
    title: str,
    category: TaskCategory,
    description: str = "",
    files=(),
    company: Company | None = None,
) -> Task:
    """A client submits a request (staff may submit one for a client). No limit on how many."""
    if by is not None and by.is_client:
        if by.company_id is None:
            raise forbidden(_("Only a user of the client's company can do this."))
        company_id = by.company_id
    else:
        require_staff(by)
        if company is None:
            raise DomainError(
                code="required", message=_("Choose the client company."), field="company"
            )
        company_id = company.pk
    title = _clean_text(title, "title", required=True, limit=200)
    description = _clean_text(description, "description", required=False, limit=20000)
    if category is None or not category.is_active:
        raise DomainError(code="required", message=_("Choose a category."), field="category")
    files = list(files or [])
    for upload in files:
        validate_upload(upload)
    with _files_removed_on_error() as stored, transaction.atomic():
        task = Task.objects.create(
            company_id=company_id,
            title=title,
            description=description,
            category=category,
            requested_by=by if by.is_client else None,
            waiting_on=WaitingOn.AGENCY,
        )
        _attach(by=by, task=task, files=files, stored=stored)
        _event(task, "task.submitted", by, category=category.name)
        task = Task.objects.select_related("company", "category", "requested_by").get(pk=task.pk)
        _notify(
            agency_recipients(task),
            task,
            "submitted",
            gettext_lazy("New task request from %(company)s: %(title)s"),
            task.description[:2000],
            staff=True,
        )
    return task


@transaction.atomic
def task_accept(*, by, task: Task, estimate_minutes, assignee: User | None = None) -> Task:
    """Accept a triaged request into the client's queue (last place). The estimate is required."""
    require_staff(by)
    estimate = parse_estimate(estimate_minutes)
    if assignee is not None and not (assignee.is_agency_staff and assignee.is_active):
        raise DomainError(
            code="invalid_assignee",
            message=_("The assignee is a member of the agency's staff."),
            field="assignee",
        )
    task = _lock(task)
    if task.status != Status.TRIAGE:
        raise _wrong_status(task, _("accepted"))
    last = Task.objects.filter(company_id=task.company_id, status=Status.ACCEPTED).aggregate(
        n=Max("queue_position")
    )["n"]
    task.status = Status.ACCEPTED
    task.waiting_on = WaitingOn.AGENCY
    task.estimate_minutes = estimate
    task.queue_position = (last or 0) + 1
    task.assignee = assignee or task.assignee or by
    task.accepted_at = clock.now()
    task.save()
    _event(task, "task.accepted", by, estimate_minutes=estimate, position=task.queue_position)
    _notify(
        client_recipients(task),
        task,
        "accepted",
        gettext_lazy("Your request was accepted: %(title)s"),
        staff=False,
    )
    return task


def parse_estimate(value) -> int:
    """Minutes from a number of minutes or text such as "3h", "1h 30m", "90m", "2.5h"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # NaN and infinities (and their ValueError/OverflowError) count as "no estimate".
        minutes = int(value) if math.isfinite(value) else 0
    else:
        text = str(value or "").strip().lower().replace(",", ".")
        if len(text) > 40:
            # Not an estimate (and a very long string of digits would overflow below).
            text = "invalid"
        match = re.fullmatch(
            r"(?:(\d+(?:\.\d+)?)\s*h(?:ours?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?)?)?)?", text
        )
        if text.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
            minutes = int(text)
        elif text and match and (match.group(1) or match.group(2)):
            minutes = round(float(match.group(1) or 0) * 60) + int(match.group(2) or 0)
        else:
            minutes = 0
    if minutes <= 0:
        raise DomainError(
            code="estimate_required",
            message=_("Accepting needs a time estimate, such as 3h or 90m."),
            field="estimate",
        )
    if minutes > MAX_ESTIMATE_MINUTES:
        raise DomainError(
            code="estimate_too_large",
            message=_("An estimate is at most 1000 hours."),
            field="estimate",
        )
    return minutes


@transaction.atomic
def task_decline(*, by, task: Task, reason: str) -> Task:
    require_staff(by)
    reason = _clean_text(reason, "reason", required=True, limit=5000)
    task = _lock(task)
    if task.status != Status.TRIAGE:
        raise _wrong_status(task, _("declined"))
    task.status = Status.DECLINED
    task.waiting_on = WaitingOn.NOBODY
    task.decline_reason = reason
    task.closed_at = clock.now()
    task.save()
    cancel_sessions_of_closed_task(task, by=by, now=task.closed_at)
    _event(task, "task.declined", by, reason=reason)
    _notify(
        client_recipients(task),
        task,
        "declined",
        gettext_lazy("Your request was declined: %(title)s"),
        reason,
        staff=False,
    )
    return task


@transaction.atomic
def task_withdraw(*, by, task: Task) -> Task:
    """The client withdraws a request still in triage or waiting in the queue."""
    if not getattr(by, "is_agency_staff", False):
        require_client_of(by, task.company_id)
    task = _lock(task)
    if task.status not in (Status.TRIAGE, Status.ACCEPTED):
        raise _wrong_status(task, _("withdrawn"))
    was_queued = task.status == Status.ACCEPTED
    task.status = Status.WITHDRAWN
    task.waiting_on = WaitingOn.NOBODY
    task.queue_position = None
    task.closed_at = clock.now()
    task.save()
    cancel_sessions_of_closed_task(task, by=by, now=task.closed_at)
    if was_queued:
        _renumber_queue(task.company_id)
    _event(task, "task.withdrawn", by)
    _notify(
        agency_recipients(task),
        task,
        "withdrawn",
        gettext_lazy("%(company)s withdrew: %(title)s"),
        staff=True,
    )
    return task


# ---------------------------------------------------------------- the queue


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
        kind="company.queue_reordered",
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


# ---------------------------------------------------------------- work


def _slots_taken(company_id: int) -> int:
    return Task.objects.filter(company_id=company_id, status__in=SLOT_STATUSES).count()


def _start(task: Task, *, by, now: dt.datetime, automatic: bool) -> Task:
    """Start a locked, accepted task (the caller holds the company lock and checked the slot)."""
    task.status = Status.WORKING
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
    _event(
        task,
        "task.started",
        by,
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
        "task.estimate_adjusted",
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


def _next_reminder(
    delivered_at: dt.datetime, sent: int, *, days: list | None = None, cal=None
) -> dt.datetime | None:
    """When reminder number ``sent + 1`` is due: that many working days after delivery."""
    if days is None:
        days = PortalSettings.load().approval_reminder_days or []
    if sent >= len(days):
        return None
    return (cal or agency_calendar()).add_working_days(delivered_at, int(days[sent]))


@transaction.atomic
def task_deliver(*, by, task: Task, note: str = "", now: dt.datetime | None = None) -> Task:
    """Work is done: the client is asked to approve it (the slot stays taken until then)."""
    require_staff(by)
    now = now or clock.now()
    task = _lock(task)
    if task.status != Status.WORKING:
        raise _wrong_status(task, _("delivered"))
    task.status = Status.PENDING_APPROVAL
    task.waiting_on = WaitingOn.CLIENT
    task.delivered_at = now
    task.reminders_sent = 0
    task.next_reminder_at = _next_reminder(now, 0)
    task.save()
    _event(task, "task.delivered", by)
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
    task.status = Status.COMPLETE
    task.waiting_on = WaitingOn.NOBODY
    task.closed_at = now
    task.next_reminder_at = None
    task.save()
    _event(task, "task.approved", by)
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
    task.status = Status.WORKING
    task.waiting_on = WaitingOn.AGENCY
    task.next_reminder_at = None
    task.save()
    _event(task, "task.changes_requested", by)
    message_post(by=by, task=task, body=body, files=files)
    return task


def send_approval_reminders(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Remind clients who have not approved delivered work (the periodic job). Each reminder
    is claimed with a conditional update, so two sweeps never send the same one twice.

    A sweep that runs late (the worker was down) sends one reminder, the latest one due, not
    every missed one in a row."""
    now = now or clock.now()
    due = list(
        Task.objects.filter(
            status=Status.PENDING_APPROVAL,
            next_reminder_at__lte=now,
            delivered_at__isnull=False,
        )
        .select_related("company", "requested_by")
        .order_by("next_reminder_at", "id")[:limit]
    )
    if not due:
        return 0
    days = PortalSettings.load().approval_reminder_days or []
    cal = agency_calendar()
    sent = 0
    for task in due:
        number = task.reminders_sent + 1
        following = _next_reminder(task.delivered_at, number, days=days, cal=cal)
        while following is not None and following <= now:
            number += 1
            following = _next_reminder(task.delivered_at, number, days=days, cal=cal)
        with transaction.atomic():
            claimed = Task.objects.filter(
                pk=task.pk,
                status=Status.PENDING_APPROVAL,
                delivered_at=task.delivered_at,
                reminders_sent=task.reminders_sent,
                next_reminder_at=task.next_reminder_at,
            ).update(reminders_sent=number, next_reminder_at=following)
            if not claimed:
                continue  # another sweep sent it, or the task moved on meanwhile
            _notify(
                client_recipients(task),
                task,
                f"reminder:{task.delivered_at.isoformat()}:{number}",
                gettext_lazy("Reminder: %(title)s is waiting for your approval"),
                staff=False,
            )
            _event(task, "task.approval_reminded", None, number=number)
            sent += 1
    return sent


# ---------------------------------------------------------------- messages


def message_post(
    *,
    by,
    task: Task,
    body: str,
    files=(),
    via: str = Via.WEB,
    email_message_id: str | None = None,
) -> Message:
    """Post a message on a task; it is emailed with its full content to the other side."""
    require_party(by, task.company_id)
    body = _clean_text(body, "body", required=True, limit=20000)
    files = list(files or [])
    for upload in files:
        validate_upload(upload)
    with _files_removed_on_error() as stored, transaction.atomic():
        if email_message_id and Message.objects.filter(email_message_id=email_message_id).exists():
            raise conflict("duplicate_email", _("This email was already posted."))
        message = Message.objects.create(
            task=task,
            author=by,
            body=body,
            via=via,
            email_message_id=email_message_id or None,
            from_agency=by.is_agency_staff,
        )
        _attach(by=by, task=task, files=files, stored=stored, message=message)
        if task.status == Status.TRIAGE:
            waiting = WaitingOn.CLIENT if by.is_agency_staff else WaitingOn.AGENCY
            if task.waiting_on != waiting:
                Task.objects.filter(pk=task.pk).update(waiting_on=waiting)
                task.waiting_on = waiting
        _event(task, "task.message", by, message_id=message.pk, via=via)
        from .tasks import send_message_emails

        transaction.on_commit(lambda: send_message_emails.enqueue(message_id=message.pk))
    return message
