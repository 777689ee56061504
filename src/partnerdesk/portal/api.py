"""The task-queue API: tasks and their transitions, the queue and its forecast, messages,
attachments, plans and subscriptions, categories. The same services as the pages; client
users see and act on their own company only (another company's records are a 404)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from partnerdesk.accounts.api_auth import ADMIN_WRITE, CLIENT, MANAGER_WRITE, STAFF_WRITE
from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    page_counts,
)
from partnerdesk.core.errors import DomainError, forbidden
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm.models import Company

from . import selectors, services
from .models import Plan, Subscription, Task, TaskCategory, Via, WaitingOn
from .models import Status as TaskStatus

router = Router(tags=["tasks"])
StatusName = Annotated[str, OneOf(TaskStatus)]
ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


class Ref(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str


def _person(user) -> dict | None:
    return {"id": user.pk, "name": user.display_name} if user else None


class TaskOut(Schema):
    id: int
    title: str
    description: str
    company: Ref
    category: Ref
    status: StatusName
    waiting_on: Annotated[str, OneOf(WaitingOn)]
    requested_by: PersonRef | None
    assignee: PersonRef | None
    estimate_minutes: int | None
    queue_position: int | None
    estimated_completion: dt.datetime | None
    decline_reason: str
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    started_at: dt.datetime | None
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None


def task_out(task: Task) -> dict:
    return {
        **{
            f: getattr(task, f)
            for f in (
                "id",
                "title",
                "description",
                "status",
                "waiting_on",
                "estimate_minutes",
                "queue_position",
                "estimated_completion",
                "decline_reason",
                "created_at",
                "accepted_at",
                "started_at",
                "delivered_at",
                "closed_at",
            )
        },
        "company": {"id": task.company_id, "name": task.company.name},
        "category": {"id": task.category_id, "name": task.category.name},
        "requested_by": _person(task.requested_by),
        "assignee": _person(task.assignee),
    }


class TaskPage(Page):
    items: list[TaskOut]


class TaskFilters(Schema):
    status: StatusName | Literal["open", "all"] | None = None
    waiting_on: Literal["agency", "client"] | None = None
    company_id: int | None = OptionalId
    plan_id: int | None = OptionalId
    assignee_id: int | None = OptionalId
    overdue: bool = False
    q: str | None = Field(None, max_length=200)


class TaskIn(Strict):
    title: str = Field(..., min_length=1, max_length=200)
    category_id: int = Field(..., ge=1, le=MAX_ID)
    description: str = Field("", max_length=20_000)
    company_id: int | None = Field(None, ge=1, le=MAX_ID, description="Staff only: the client")


class AcceptIn(Strict):
    estimate: str = Field(
        ..., min_length=1, max_length=40, description='Minutes ("90") or text ("3h", "1h 30m")'
    )
    assignee_id: int | None = OptionalId


class ReasonIn(Strict):
    reason: str = Field(..., min_length=1, max_length=5000)


class EstimateIn(Strict):
    estimated_completion: dt.datetime
    reason: str = Field(..., min_length=1, max_length=2000)


class DeliveryNoteIn(Strict):
    note: str = Field("", max_length=20_000)


class MessageIn(Strict):
    body: str = Field(..., min_length=1, max_length=20_000)


class MessageOut(Schema):
    id: int
    author: PersonRef | None
    body: str
    via: Annotated[str, OneOf(Via)]
    from_agency: bool
    created_at: dt.datetime
    attachment_ids: list[int]


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    message_id: int | None
    url: str
    created_at: dt.datetime


class QueueItem(Schema):
    task: TaskOut
    expected_start: dt.datetime
    expected_finish: dt.datetime


class QueueOut(Schema):
    plan: Ref | None
    concurrent_tasks: int | None
    in_progress: int
    items: list[QueueItem]


class QueueIn(Strict):
    task_ids: list[int] = Field(..., max_length=10_000)


class PlanOut(Schema):
    id: int
    name: str
    concurrent_tasks: int
    is_active: bool


class PlanIn(Strict):
    name: str = Field(..., min_length=1, max_length=50)
    concurrent_tasks: int = Field(..., ge=1, le=50)
    is_active: bool = True


class SubscriptionRow(Schema):
    plan: Ref
    started_at: dt.datetime
    ended_at: dt.datetime | None


class SubscriptionOut(Schema):
    company_id: int
    current: SubscriptionRow | None
    history: list[SubscriptionRow]


class SubscriptionIn(Strict):
    plan_id: int = Field(..., ge=1, le=MAX_ID)


class CategoryOut(Schema):
    id: int
    name: str
    is_consultation: bool


# ---------------------------------------------------------------- helpers


def _task(request, task_id: int) -> Task:
    return get_object_for_user_or_404(selectors.tasks_for(request.auth), request.auth, pk=task_id)


def _company(request, company_id: int) -> Company:
    return get_object_for_user_or_404(Company, request.auth, pk=company_id)


def _fresh(task: Task) -> dict:
    return task_out(selectors.tasks_for_staff().get(pk=task.pk))


def _category(category_id: int) -> TaskCategory:
    category = TaskCategory.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        raise DomainError(code="not_found", message="No such task category.", field="category_id")
    return category


# ---------------------------------------------------------------- tasks


@router.get("/tasks", response=TaskPage, summary="List tasks (client users: their company's)")
def list_tasks(request, filters: Query[TaskFilters], page: Query[PageParams]):
    params = {
        "status": filters.status or "open",
        "waiting": filters.waiting_on,
        "overdue": "1" if filters.overdue else None,
        "plan": filters.plan_id,
        "company": filters.company_id,
        "assignee": filters.assignee_id,
        "q": filters.q,
    }
    qs = selectors.triage_list(params, now=clock.now(), base=selectors.tasks_for(request.auth))
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs, selectors.triage_count(request.auth, params, qs)),
        "limit": page.limit,
        "offset": page.offset,
        "items": [task_out(t) for t in items],
    }


@router.post("/tasks", response={201: TaskOut, **ERRORS}, summary="Submit a task request")
def create_task(request, payload: TaskIn):
    company = None
    if request.auth.is_client and payload.company_id not in (None, request.auth.company_id):
        _company(request, payload.company_id)  # another company's: the same 404 as a missing one
    if request.auth.is_agency_staff:
        if payload.company_id is None:
            raise DomainError(
                code="required", message="Give the client's company_id.", field="company_id"
            )
        company = get_object_or_404(Company, pk=payload.company_id)
    task = services.task_submit(
        by=request.auth,
        title=payload.title,
        category=_category(payload.category_id),
        description=payload.description,
        company=company,
    )
    return Status(201, _fresh(task))


@router.get("/tasks/{task_id}", response={200: TaskOut, 404: Problem})
def get_task(request, task_id: int = Id):
    return task_out(_task(request, task_id))


def _transition(request, task_id: int, call) -> dict:
    task = _task(request, task_id)
    call(task)
    return _fresh(task)


@router.post("/tasks/{task_id}/accept", auth=STAFF_WRITE, response={200: TaskOut, **ERRORS})
def accept_task(request, payload: AcceptIn, task_id: int = Id):
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.agency_staff().filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise DomainError(
                code="invalid_assignee",
                message="The assignee is a member of the agency's staff.",
                field="assignee_id",
            )
    return _transition(
        request,
        task_id,
        lambda task: services.task_accept(
            by=request.auth, task=task, estimate_minutes=payload.estimate, assignee=assignee
        ),
    )


@router.post("/tasks/{task_id}/decline", auth=STAFF_WRITE, response={200: TaskOut, **ERRORS})
def decline_task(request, payload: ReasonIn, task_id: int = Id):
    return _transition(
        request,
        task_id,
        lambda task: services.task_decline(by=request.auth, task=task, reason=payload.reason),
    )


@router.post(
    "/tasks/{task_id}/start",
    auth=STAFF_WRITE,
    response={200: TaskOut, **ERRORS},
    summary="Start work (409 no_free_slot when the plan's tasks in progress are at its limit)",
)
def start_task(request, task_id: int = Id):
    return _transition(
        request, task_id, lambda task: services.task_start(by=request.auth, task=task)
    )


@router.post("/tasks/{task_id}/estimate", auth=STAFF_WRITE, response={200: TaskOut, **ERRORS})
def adjust_estimate(request, payload: EstimateIn, task_id: int = Id):
    return _transition(
        request,
        task_id,
        lambda task: services.task_adjust_estimate(
            by=request.auth,
            task=task,
            estimated_completion=payload.estimated_completion,
            reason=payload.reason,
        ),
    )


@router.post("/tasks/{task_id}/deliver", auth=STAFF_WRITE, response={200: TaskOut, **ERRORS})
def deliver_task(request, payload: DeliveryNoteIn, task_id: int = Id):
    return _transition(
        request,
        task_id,
        lambda task: services.task_deliver(by=request.auth, task=task, note=payload.note),
    )


@router.post("/tasks/{task_id}/approve", auth=CLIENT, response={200: TaskOut, **ERRORS})
def approve_task(request, task_id: int = Id):
    return _transition(
        request, task_id, lambda task: services.task_approve(by=request.auth, task=task)
    )


@router.post("/tasks/{task_id}/request-changes", auth=CLIENT, response={200: TaskOut, **ERRORS})
def request_changes(request, payload: MessageIn, task_id: int = Id):
    return _transition(
        request,
        task_id,
        lambda task: services.task_request_changes(
            by=request.auth, task=task, message=payload.body
        ),
    )


@router.post("/tasks/{task_id}/withdraw", response={200: TaskOut, **ERRORS})
def withdraw_task(request, task_id: int = Id):
    return _transition(
        request, task_id, lambda task: services.task_withdraw(by=request.auth, task=task)
    )


# ---------------------------------------------------------------- messages and attachments


def _message_out(message) -> dict:
    return {
        "id": message.pk,
        "author": _person(message.author),
        "body": message.body,
        "via": message.via,
        "from_agency": message.from_agency,
        "created_at": message.created_at,
        "attachment_ids": [a.pk for a in message.attachments.all()],
    }


@router.get("/tasks/{task_id}/messages", response={200: list[MessageOut], 404: Problem})
def list_messages(request, task_id: int = Id):
    task = _task(request, task_id)
    rows = task.messages.select_related("author").prefetch_related("attachments")[:1000]
    return [_message_out(m) for m in rows]


@router.post("/tasks/{task_id}/messages", response={201: MessageOut, **ERRORS})
def post_message(request, payload: MessageIn, task_id: int = Id):
    task = _task(request, task_id)
    message = services.message_post(by=request.auth, task=task, body=payload.body, via=Via.API)
    return Status(201, _message_out(message))


def _attachment_out(item) -> dict:
    return {
        "id": item.pk,
        "name": item.name,
        "content_type": item.content_type,
        "size": item.size,
        "message_id": item.message_id,
        "url": reverse("portal:attachment", kwargs={"pk": item.pk}),
        "created_at": item.created_at,
    }


@router.get("/tasks/{task_id}/attachments", response={200: list[AttachmentOut], 404: Problem})
def list_attachments(request, task_id: int = Id):
    task = _task(request, task_id)
    return [_attachment_out(a) for a in task.attachments.all()[:1000]]


@router.post(
    "/tasks/{task_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    summary="Attach a file (posted as a message naming the file)",
)
def upload_attachment(request, file: File[UploadedFile], task_id: int = Id):
    task = _task(request, task_id)
    message = services.message_post(
        # The message names the file (no emoji: a box without an emoji font, in emails too).
        by=request.auth,
        task=task,
        body=file.name,
        files=[file],
        via=Via.API,
    )
    return Status(201, _attachment_out(message.attachments.get()))


# ---------------------------------------------------------------- the queue


@router.get("/companies/{company_id}/queue", response={200: QueueOut, 404: Problem})
def get_queue(request, company_id: int = Id):
    company = _company(request, company_id)
    taken, limit = selectors.slot_usage(company.pk)
    plan = selectors.current_plan(company.pk)
    forecast = selectors.queue_forecast(company.pk)
    return {
        "plan": {"id": plan.pk, "name": plan.name} if plan else None,
        "concurrent_tasks": limit,
        "in_progress": taken,
        "items": [
            {
                "task": task_out(f.task) | {"company": {"id": company.pk, "name": company.name}},
                "expected_start": f.expected_start,
                "expected_finish": f.expected_finish,
            }
            for f in forecast
        ],
    }


@router.put(
    "/companies/{company_id}/queue",
    response={200: QueueOut, **ERRORS},
    summary="Reorder the accepted queue (every accepted task, each once; 409 if it changed)",
)
def reorder_queue(request, payload: QueueIn, company_id: int = Id):
    company = _company(request, company_id)
    services.queue_reorder(by=request.auth, company=company, task_ids=payload.task_ids)
    return get_queue(request, company_id)


# ---------------------------------------------------------------- plans and subscriptions


@router.get("/plans", response=list[PlanOut])
def list_plans(request):
    return list(Plan.objects.all())


@router.post("/plans", auth=ADMIN_WRITE, response={201: PlanOut, **ERRORS})
def create_plan(request, payload: PlanIn):
    if not request.auth.is_admin:
        raise forbidden("Only an admin can change plans.")
    return Status(201, services.plan_save(by=request.auth, **payload.model_dump()))


@router.put("/plans/{plan_id}", auth=ADMIN_WRITE, response={200: PlanOut, **ERRORS})
def update_plan(request, payload: PlanIn, plan_id: int = Id):
    if not request.auth.is_admin:
        raise forbidden("Only an admin can change plans.")
    plan = get_object_or_404(Plan, pk=plan_id)
    return services.plan_save(by=request.auth, plan=plan, **payload.model_dump())


def _subscription(company: Company) -> dict:
    rows = [
        {
            "plan": {"id": s.plan_id, "name": s.plan.name},
            "started_at": s.started_at,
            "ended_at": s.ended_at,
        }
        for s in Subscription.objects.filter(company=company).select_related("plan")[:200]
    ]
    current = next((r for r in rows if r["ended_at"] is None), None)
    return {"company_id": company.pk, "current": current, "history": rows}


@router.get("/companies/{company_id}/subscription", response={200: SubscriptionOut, 404: Problem})
def get_subscription(request, company_id: int = Id):
    return _subscription(_company(request, company_id))


@router.put(
    "/companies/{company_id}/subscription",
    auth=MANAGER_WRITE,
    response={200: SubscriptionOut, **ERRORS},
)
def set_subscription(request, payload: SubscriptionIn, company_id: int = Id):
    company = _company(request, company_id)
    plan = Plan.objects.filter(pk=payload.plan_id).first()
    if not request.auth.is_manager_or_admin:
        raise forbidden("Only an admin or a manager can change a company's plan.")
    if plan is None:
        raise DomainError(code="not_found", message="No such plan.", field="plan_id")
    services.subscription_set(by=request.auth, company=company, plan=plan)
    return _subscription(company)


@router.get("/task-categories", response=list[CategoryOut])
def list_categories(request):
    return list(TaskCategory.objects.filter(is_active=True))
