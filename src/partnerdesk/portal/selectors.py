"""Reads: tasks as a user may see them, the queue forecast, the staff triage list."""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.pagination import capped_count, capped_counts, within_cap
from partnerdesk.core.tenancy import get_object_for_user_or_404, scope_for_user
from partnerdesk.sla.clock import agency_calendar

from . import totals
from .models import OPEN_STATUSES, SLOT_STATUSES, Plan, Status, Subscription, Task, WaitingOn

TICK = dt.timedelta(microseconds=1)


def tasks_for(user) -> QuerySet[Task]:
    return scope_for_user(Task, user).select_related(
        "company", "category", "assignee", "requested_by"
    )


def task_for(user, pk) -> Task:
    return get_object_for_user_or_404(tasks_for(user), user, pk=pk)


def waiting_on_client(user) -> QuerySet[Task]:
    """The user's company's tasks that wait for the client: delivered ones to approve, and
    open ones with a question from the agency. Oldest first."""
    return (
        tasks_for(user)
        .filter(
            Q(status=Status.PENDING_APPROVAL)
            | Q(status__in=OPEN_STATUSES, waiting_on=WaitingOn.CLIENT)
        )
        .order_by("created_at", "id")
    )


def current_plan(company_id: int) -> Plan | None:
    """The plan the company is on now (None when it has none)."""
    sub = (
        Subscription.objects.filter(company_id=company_id, ended_at__isnull=True)
        .select_related("plan")
        .first()
    )
    return sub.plan if sub else None


def queue_of(company_id: int) -> QuerySet[Task]:
    """The company's accepted tasks in queue order, with what a task's page or API row shows."""
    return (
        Task.objects.filter(company_id=company_id, status=Status.ACCEPTED)
        .select_related("company", "category", "assignee", "requested_by")
        .order_by("queue_position", "accepted_at", "id")
    )


@dataclass
class Forecast:
    task: Task
    expected_start: dt.datetime
    expected_finish: dt.datetime


def queue_forecast(company_id: int, *, now: dt.datetime | None = None) -> list[Forecast]:
    """When each accepted task is expected to start and finish.

    The plan's slots free at the working tasks' estimated completions (a task pending approval
    is taken as approved now); each queued task, in order, takes the earliest free slot, starts
    at the next working instant and runs for its estimate in the agency's working time. Two
    queries, whatever the queue's length.
    """
    now = now or clock.now()
    sub = (
        Subscription.objects.filter(company_id=company_id, ended_at__isnull=True)
        .select_related("plan")
        .first()
    )
    limit = sub.plan.concurrent_tasks if sub else 1
    busy = sorted(
        max(now, t.estimated_completion or now) if t.status == Status.WORKING else now
        for t in Task.objects.filter(company_id=company_id, status__in=SLOT_STATUSES).only(
            "status", "estimated_completion"
        )
    )
    slots = [now] * max(0, limit - len(busy)) + busy[max(0, len(busy) - limit) :]
    heapq.heapify(slots)
    cal = agency_calendar()
    result = []
    for task in queue_of(company_id):
        free = heapq.heappop(slots)
        start = cal.add_working_time(free, TICK) - TICK  # the next working instant
        finish = cal.add_working_time(start, dt.timedelta(minutes=task.estimate_minutes or 0))
        result.append(Forecast(task, start, finish))
        heapq.heappush(slots, finish)
    return result


def slot_usage(company_id: int) -> tuple[int, int | None]:
    """(tasks holding a slot, the plan's limit or None without a plan)."""
    taken = Task.objects.filter(company_id=company_id, status__in=SLOT_STATUSES).count()
    sub = (
        Subscription.objects.filter(company_id=company_id, ended_at__isnull=True)
        .select_related("plan")
        .first()
    )
    return taken, (sub.plan.concurrent_tasks if sub else None)


@dataclass(frozen=True)
class Slots:
    """A company's plan and the tasks holding its slots (Working + Pending Approval)."""

    plan: Plan | None
    taken: int

    @property
    def limit(self) -> int | None:
        return self.plan.concurrent_tasks if self.plan else None

    @property
    def free(self) -> bool:
        return self.plan is not None and self.taken < self.plan.concurrent_tasks

    @property
    def start_refusal(self) -> str:
        """Why work cannot start on an accepted task now ("" when it can): what the desk shows
        beside a disabled Start work. ``services.task_start`` still decides, under a lock."""
        if self.plan is None:
            return _("No plan: choose one on the company's page first.")
        if self.free:
            return ""
        return _("%(plan)s plan: %(taken)s of %(limit)s in progress") % {
            "plan": self.plan.name,
            "taken": self.taken,
            "limit": self.plan.concurrent_tasks,
        }


def slots_of(company_ids) -> dict[int, Slots]:
    """Each company's :class:`Slots`: two queries for any number of companies (a task list
    shows Start work on each accepted row)."""
    ids = {int(pk) for pk in company_ids}
    if not ids:
        return {}
    taken = dict(
        Task.objects.filter(company_id__in=ids, status__in=SLOT_STATUSES)
        .values("company_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("company_id", "n")
    )
    plans = {
        sub.company_id: sub.plan
        for sub in Subscription.objects.filter(
            company_id__in=ids, ended_at__isnull=True
        ).select_related("plan")
    }
    return {pk: Slots(plan=plans.get(pk), taken=taken.get(pk, 0)) for pk in ids}


TRIAGE_FILTERS = ("plan", "waiting", "overdue", "status", "company", "assignee", "q")


def _id_param(value) -> int | None:
    """A row id from a query parameter; None for anything else (a huge number of digits would
    overflow the database's integer and must not become a 500)."""
    text = str(value or "")
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


@dataclass(frozen=True)
class TriageFilters:
    """The filters of the triage list, read once from its parameters (the staff page's and
    the API's): ``statuses`` None for every status, ``assignee`` a user id or "none"."""

    statuses: tuple[str, ...] | None
    waiting: str | None
    overdue: bool
    plan: int | None
    company: int | None
    assignee: int | str | None
    text: str

    @classmethod
    def of(cls, params) -> TriageFilters:
        status = params.get("status") or "open"
        statuses: tuple[str, ...] | None = None  # an unknown status: every one
        if status == "open":
            statuses = tuple(OPEN_STATUSES)
        elif status in Status.values:
            statuses = (status,)
        waiting = params.get("waiting")
        assignee: int | str | None = str(params.get("assignee") or "")
        if assignee != "none":
            assignee = _id_param(assignee)
        return cls(
            statuses=statuses,
            waiting=waiting if waiting in (WaitingOn.AGENCY, WaitingOn.CLIENT) else None,
            overdue=params.get("overdue") in ("1", "true", "on"),
            plan=_id_param(params.get("plan")),
            company=_id_param(params.get("company")),
            assignee=assignee,
            text=str(params.get("q") or "").replace("\x00", "").strip()[:200],  # NUL: PostgreSQL
        )

    @property
    def kept(self) -> bool:
        """Whether the running total (``portal.totals``) counts these: status, waiting-on
        and assignee alone."""
        return not (self.overdue or self.plan is not None or self.company is not None or self.text)


def triage_list(
    params, *, now: dt.datetime | None = None, base: QuerySet[Task] | None = None
) -> QuerySet[Task]:
    """The staff view across all clients (or ``base``, e.g. the tasks a client may see).
    ``params``: plan (id), waiting (agency|client), overdue (1: working past the estimated
    completion), status, company, assignee, q. Open tasks, newest first, walk the partial
    index task_open_newest (or task_open_waiting) and stop at the page's end."""
    now = now or clock.now()
    qs = tasks_for_staff() if base is None else base
    f = TriageFilters.of(params)
    if f.statuses is not None:
        qs = (
            qs.filter(status__in=f.statuses)
            if len(f.statuses) > 1
            else qs.filter(status=f.statuses[0])
        )
    if f.waiting is not None:
        qs = qs.filter(waiting_on=f.waiting)
    if f.overdue:
        qs = qs.filter(status=Status.WORKING, estimated_completion__lt=now)
    if f.plan is not None:
        qs = qs.filter(
            company__subscriptions__plan_id=f.plan,
            company__subscriptions__ended_at__isnull=True,
        )
    if f.company is not None:
        qs = qs.filter(company_id=f.company)
    if f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif isinstance(f.assignee, int):
        qs = qs.filter(assignee_id=f.assignee)
    if f.text:
        qs = qs.filter(Q(title__icontains=f.text) | Q(company__name__icontains=f.text))
    return qs.order_by("-created_at", "-id")


def triage_count(user, params, qs: QuerySet[Task]) -> tuple[int, bool]:
    """How many tasks the triage list ``qs`` (``triage_list(params)`` of what ``user`` may
    see) has, as a list shows it (``core.pagination.within_cap``). For the agency's staff,
    filtered by status, waiting-on and assignee alone: the running total the database keeps
    (``portal.totals``), a few rows whatever the number of tasks. Otherwise counted up to
    the cap: a company's tasks, or the few a search or plan leaves."""
    f = TriageFilters.of(params)
    if user.is_agency_staff and f.kept:
        return within_cap(
            totals.task_count(statuses=f.statuses, waiting_on=f.waiting, assignee=f.assignee)
        )
    return capped_count(qs)


def status_counts(company_id: int) -> dict[str, int]:
    # COUNT(*), not COUNT(id): the index task_queue (company, status, …) answers it alone, where
    # counting ids read every one of the company's tasks from the table.
    rows = (
        Task.objects.filter(company_id=company_id)
        .values("status")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def tasks_for_staff() -> QuerySet[Task]:
    return Task.objects.select_related("company", "category", "assignee", "requested_by")


def triage_counts(*, now: dt.datetime | None = None, cap: int | None = None) -> dict[str, dict]:
    """The quick filters of the triage page: open tasks waiting on us / on the client, from
    the running total the database keeps (``portal.totals``), and working tasks past their
    estimated completion, counted by an index range scan that stops at the cap
    (task_overdue); each ``{"count", "exact"}`` as a list shows it (up to ``cap``,
    COUNT_CAP): never the open tasks all counted, nor the closed history."""
    now = now or clock.now()
    waiting = totals.waiting_counts(OPEN_STATUSES)
    overdue = Task.objects.filter(status=Status.WORKING, estimated_completion__lt=now).order_by(
        "status", "estimated_completion"
    )
    counts = {
        "agency": within_cap(waiting.get(WaitingOn.AGENCY, 0), cap),
        "client": within_cap(waiting.get(WaitingOn.CLIENT, 0), cap),
        # (kept in its index's order: one range scan, whatever the planner thinks)
        **capped_counts({"overdue": [overdue]}, cap),
    }
    return {str(name): {"count": n, "exact": exact} for name, (n, exact) in counts.items()}
