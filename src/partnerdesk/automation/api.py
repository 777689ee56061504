"""JSON API for workflows, their runs (with replay) and the integrations (GitHub, Slack)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.shortcuts import get_object_or_404
from django.urls import reverse
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
from .models import ActionType, IntegrationSettings, RunStatus, Workflow, WorkflowRun
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


# ---------------------------------------------------------------- integrations
# Settings → Integrations: the same service as the page. A secret's value is never answered,
# only whether one is stored.

KEPT_OR_REMOVED = (
    'Omitted or null: the stored value is kept (as a blank field on the page); "": removed; '
    "anything else: stored encrypted, never shown again"
)


class IntegrationsOut(Schema):
    github_api_url: str
    github_repository: str = Field(description="owner/name; empty when none")
    github_token_set: bool
    github_webhook_secret_set: bool
    slack_webhook_url_set: bool = Field(description="The default Slack incoming-webhook URL")
    github_webhook_url: str = Field(
        description="Where GitHub posts its Issues events: add it as the repository's webhook "
        "(content type application/json, signed with the webhook secret)"
    )


class IntegrationsIn(Strict):
    github_api_url: str = Field(
        ...,
        min_length=1,
        max_length=200,
        description="http:// or https://, e.g. the default https://api.github.com",
    )
    github_repository: str = Field("", max_length=200, description="owner/name; empty: none")
    github_token: str | None = Field(None, max_length=2000, description=KEPT_OR_REMOVED)
    github_webhook_secret: str | None = Field(None, max_length=2000, description=KEPT_OR_REMOVED)
    slack_webhook_url: str | None = Field(
        None, max_length=2000, description="https://hooks.slack.com/services/…; " + KEPT_OR_REMOVED
    )


class IntegrationsPatch(Strict):
    github_api_url: str | None = Field(None, min_length=1, max_length=200)
    github_repository: str | None = Field(None, max_length=200, description='"": none')
    github_token: str | None = Field(None, max_length=2000, description=KEPT_OR_REMOVED)
    github_webhook_secret: str | None = Field(None, max_length=2000, description=KEPT_OR_REMOVED)
    slack_webhook_url: str | None = Field(None, max_length=2000, description=KEPT_OR_REMOVED)


def integrations_out(integration: IntegrationSettings, request) -> dict:
    stored = integration.secrets or {}
    return {
        "github_api_url": integration.github_api_url,
        "github_repository": integration.github_repository,
        **{f"{name}_set": name in stored for name in services.INTEGRATION_SECRETS},
        "github_webhook_url": request.build_absolute_uri(reverse("github_webhook")),
    }


def _integrations_save(request, payload: IntegrationsIn | IntegrationsPatch) -> dict:
    """A secret sent is stored, sent blank it is removed, omitted (None) it is kept."""
    sent = {name: getattr(payload, name) for name in services.INTEGRATION_SECRETS}
    integration = services.integrations_save(
        by=request.auth,
        github_api_url=payload.github_api_url,
        github_repository=payload.github_repository,
        github_token=payload.github_token or "",
        github_webhook_secret=payload.github_webhook_secret or "",
        slack_webhook_url=payload.slack_webhook_url or "",
        clear=[name for name, value in sent.items() if value is not None and not value.strip()],
    )
    return integrations_out(integration, request)


INTEGRATION_RESPONSES = {200: IntegrationsOut, 403: Problem, 404: Problem, 422: Problem}


@router.get(
    "/integrations",
    auth=ADMIN,
    response={200: IntegrationsOut, 403: Problem, 404: Problem},
    summary="The integrations (GitHub, Slack): never a secret, only whether it is set",
)
def get_integrations(request):
    require_staff(request)
    return integrations_out(IntegrationSettings.load(), request)


@router.put(
    "/integrations",
    auth=ADMIN,
    response=INTEGRATION_RESPONSES,
    summary="Replace the integrations (a secret omitted is kept)",
)
def replace_integrations(request, payload: IntegrationsIn):
    require_staff(request)
    return _integrations_save(request, payload)


@router.patch(
    "/integrations",
    auth=ADMIN,
    response=INTEGRATION_RESPONSES,
    summary="Change the integrations (only the fields sent)",
)
def update_integrations(request, payload: IntegrationsPatch):
    require_staff(request)
    return _integrations_save(request, payload)
