"""JSON API for workflows, their runs (with replay) and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, STAFF
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    page_counts,
    require_staff,
)
from partnerdesk.portal.models import Status as TaskStatus

from . import services
from .models import ActionType, RunStatus, Workflow, WorkflowRun
from .selectors import workflows_with_actions

router = Router(tags=["automations"])

# The offered triggers (triggers.OFFERED; a test keeps the two the same). "renewal_approaching"
# is left out until renewals exist and something records their events.
TriggerName = Literal[
    "deal_stage_entered",
    "ticket_created",
    "ticket_stage_entered",
    "tracker_issue_closed",
    "sla_due_soon",
    "sla_breached",
    "task_state_changed",
]
ActionName = Annotated[str, OneOf(ActionType)]


class ActionOut(Schema):
    id: int
    order: int
    type: str
    config: dict[str, Any]
    secrets_set: list[str]


class WorkflowOut(Schema):
    id: int
    name: str
    key: str
    enabled: bool
    trigger: str
    trigger_config: dict[str, Any]
    conditions: dict[str, Any]
    actions: list[ActionOut]


def workflow_out(workflow: Workflow, user=None) -> dict:
    return {
        **{
            f: getattr(workflow, f)
            for f in ("id", "name", "key", "enabled", "trigger", "trigger_config", "conditions")
        },
        "actions": [
            {
                "id": a.pk,
                "order": a.order,
                "type": a.type,
                "config": a.config,
                "secrets_set": sorted(a.secrets),
            }
            for a in workflow.actions.all()
        ],
    }


class WorkflowPage(Page):
    items: list[WorkflowOut]


class TriggerConfig(Strict):
    pipeline_id: int | None = Field(None, ge=1, le=MAX_ID)
    stage_id: int | None = Field(None, ge=1, le=MAX_ID)
    stage_kind: Literal["open", "won", "lost"] | None = None
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    target: Literal["first_response", "resolution"] | None = None
    to_status: TaskStatus | None = Field(
        None, description="task_state_changed only: the status the task moved to"
    )


class ActionIn(Strict):
    type: ActionName
    config: dict[str, Any] = {}
    secrets: dict[str, str] = Field(
        {}, description='e.g. {"webhook_url": "https://hooks.slack.com/..."} (stored encrypted)'
    )


class WorkflowIn(Strict):
    name: str = Field(..., min_length=1, max_length=150)
    enabled: bool = True
    trigger: TriggerName
    trigger_config: TriggerConfig = TriggerConfig.model_validate({})
    conditions: dict[str, Any] = Field(
        {}, description='{"all": [{"field": "deal.properties.domain_name", "op": "is_set"}]}'
    )
    actions: list[ActionIn] | None = Field(
        None, max_length=20, description="Replaces the actions when given"
    )


class RunOut(Schema):
    id: int
    workflow_id: int
    event_id: int
    status: str
    step: int
    attempts: int
    error: str
    log: list[dict[str, Any]]
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class RunPage(Page):
    items: list[RunOut]


class RunFilters(Schema):
    status: Annotated[str, OneOf(RunStatus)] | None = None
    workflow_id: int | None = Field(None, ge=1, le=MAX_ID)


def _workflows():
    return workflows_with_actions()


def _specs(payload: WorkflowIn) -> list[services.ActionSpec] | None:
    if payload.actions is None:
        return None
    return [
        services.ActionSpec(type=item.type, config=item.config, secrets=item.secrets)
        for item in payload.actions
    ]


def _config(payload: WorkflowIn) -> dict[str, Any]:
    return payload.trigger_config.model_dump(mode="json", exclude_none=True)


@router.get("/workflows", auth=STAFF, response=WorkflowPage)
def list_workflows(request, page: Query[PageParams]):
    require_staff(request)
    qs = _workflows().order_by("name", "id")
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [workflow_out(w) for w in qs[page.offset : page.offset + page.limit]],
    }


@router.post(
    "/workflows",
    auth=ADMIN,
    response={201: WorkflowOut, 403: Problem, 404: Problem, 422: Problem},
)
def create_workflow(request, payload: WorkflowIn):
    require_staff(request)
    workflow = services.workflow_create(
        by=request.auth,
        name=payload.name,
        trigger=payload.trigger,
        trigger_config=_config(payload),
        conditions_tree=payload.conditions,
        enabled=payload.enabled,
        actions=_specs(payload) or (),
    )
    return Status(201, workflow_out(_workflows().get(pk=workflow.pk)))


@router.get("/workflows/{workflow_id}", auth=STAFF, response={200: WorkflowOut, 404: Problem})
def get_workflow(request, workflow_id: int = Id):
    require_staff(request)
    return workflow_out(get_object_or_404(_workflows(), pk=workflow_id))


@router.put(
    "/workflows/{workflow_id}",
    auth=ADMIN,
    response={200: WorkflowOut, 403: Problem, 404: Problem, 422: Problem},
)
def replace_workflow(request, payload: WorkflowIn, workflow_id: int = Id):
    require_staff(request)
    workflow = services.workflow_replace(
        by=request.auth,
        workflow=get_object_or_404(Workflow, pk=workflow_id),
        name=payload.name,
        trigger=payload.trigger,
        trigger_config=_config(payload),
        conditions_tree=payload.conditions,
        enabled=payload.enabled,
        actions=_specs(payload),
    )
    return workflow_out(_workflows().get(pk=workflow.pk))


@router.get("/workflow-runs", auth=STAFF, response=RunPage)
def list_runs(request, filters: Query[RunFilters], page: Query[PageParams]):
    require_staff(request)
    qs = WorkflowRun.objects.order_by("-created_at", "-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.workflow_id:
        qs = qs.filter(workflow_id=filters.workflow_id)
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(qs[page.offset : page.offset + page.limit]),
    }


@router.get("/workflow-runs/{run_id}", auth=STAFF, response={200: RunOut, 404: Problem})
def get_run(request, run_id: int = Id):
    require_staff(request)
    return get_object_or_404(WorkflowRun, pk=run_id)


@router.post(
    "/workflow-runs/{run_id}/replay",
    auth=ADMIN,
    response={200: RunOut, 403: Problem, 404: Problem, 409: Problem},
)
def replay_run(request, run_id: int = Id):
    require_staff(request)
    return services.run_replay(by=request.auth, run=get_object_or_404(WorkflowRun, pk=run_id))
