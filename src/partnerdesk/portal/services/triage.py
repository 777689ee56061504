"""A request's way in: submitted by the client, then accepted into the queue (with an
estimate), declined, or withdrawn by the client."""

from __future__ import annotations

import math
import re

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, forbidden
from partnerdesk.core.permissions import require_client_of, require_staff
from partnerdesk.crm.models import Company

from ..booking import cancel_sessions_of_closed_task
from ..events import PortalEvent
from ..models import Status, Task, TaskCategory, WaitingOn
from ..recipients import agency_recipients, client_recipients
from .attachments import _attach, _files_removed_on_error, validate_upload
from .common import _clean_text, _lock, _moved, _notify, _wrong_status
from .queue import _renumber_queue

MAX_ESTIMATE_MINUTES = 1000 * 60  # a thousand hours: anything larger is a typo


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
        _moved(task, PortalEvent.TASK_SUBMITTED, by, previous=None, category=category.name)
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
    previous, task.status = task.status, Status.ACCEPTED
    task.waiting_on = WaitingOn.AGENCY
    task.estimate_minutes = estimate
    task.queue_position = (last or 0) + 1
    task.assignee = assignee or task.assignee or by
    task.accepted_at = clock.now()
    task.save()
    _moved(
        task,
        PortalEvent.TASK_ACCEPTED,
        by,
        previous=previous,
        estimate_minutes=estimate,
        position=task.queue_position,
    )
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
    previous, task.status = task.status, Status.DECLINED
    task.waiting_on = WaitingOn.NOBODY
    task.decline_reason = reason
    task.closed_at = clock.now()
    task.save()
    cancel_sessions_of_closed_task(task, by=by, now=task.closed_at)
    _moved(task, PortalEvent.TASK_DECLINED, by, previous=previous, reason=reason)
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
    previous, task.status = task.status, Status.WITHDRAWN
    task.waiting_on = WaitingOn.NOBODY
    task.queue_position = None
    task.closed_at = clock.now()
    task.save()
    cancel_sessions_of_closed_task(task, by=by, now=task.closed_at)
    if previous == Status.ACCEPTED:
        _renumber_queue(task.company_id)
    _moved(task, PortalEvent.TASK_WITHDRAWN, by, previous=previous)
    _notify(
        agency_recipients(task),
        task,
        "withdrawn",
        gettext_lazy("%(company)s withdrew: %(title)s"),
        staff=True,
    )
    return task
