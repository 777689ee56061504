"""Writes to workflows, their conditions and actions, runs and integrations; the GitHub webhook.

Every write to a workflow (the page and the API call the same functions) takes the workflow's
row with ``select_for_update`` first and works on what it reads there, so two admins editing
the same workflow at once never lose each other's changes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.accounts.models import Team, User
from partnerdesk.core import crypto
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError, FieldError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, person, require_admin
from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.tickets.models import Ticket

from . import conditions, engine, triggers
from .actions import render
from .events import AutomationEvent
from .models import Action, ActionType, IntegrationSettings, RunStatus, Workflow, WorkflowRun

SECRET_FIELDS = {ActionType.SLACK: ("webhook_url",)}
CONFIG_FIELDS = {
    # if_missing: "ask" opens the ticket even without the stage's required properties.
    ActionType.CREATE_TICKET: ("pipeline_id", "stage_id", "owner_id", "priority", "if_missing"),
    ActionType.ASSIGN_OWNER: ("user_id", "team_id", "mode"),
    ActionType.MOVE_STAGE: ("stage_id",),
    # on: "deals" sets it on the ticket's deals; link_deal_pipeline_id links the company's
    # latest open deal of that deal pipeline first.
    ActionType.SET_PROPERTY: ("name", "value", "on", "link_deal_pipeline_id"),
    ActionType.NOTIFY: ("user_ids", "team_id", "include_owner", "title", "message"),
    ActionType.SLACK: ("text",),
    ActionType.GITHUB_ISSUE: ("title", "body"),
}
TRIGGER_FIELDS = triggers.ALL_CONFIG_FIELDS
REFUSED = gettext_lazy("Only an admin can change automations.")

Match = Literal["all", "any"]


@dataclass(frozen=True)
class ActionSpec:
    """One step of a workflow as a client describes it (``secrets`` are stored encrypted)."""

    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)


def _locked(workflow: Workflow) -> Workflow:
    """The workflow's row, read again and locked until the transaction ends."""
    return Workflow.objects.select_for_update().get(pk=workflow.pk)


def _changed(workflow: Workflow, by: Actor, data: dict[str, Any]) -> None:
    record_event(
        kind=AutomationEvent.WORKFLOW_UPDATED, subject=workflow, actor=person(by), data=data
    )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A workflow needs a name."), field="name")
    return name[:150]


def _same_leaf(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same condition, whether its value came as a number (API) or as text (a form)."""
    return (a.get("field"), a.get("op"), str(a.get("value", ""))) == (
        b.get("field"),
        b.get("op"),
        str(b.get("value", "")),
    )


# ---------------------------------------------------------------- workflows


@transaction.atomic
def workflow_create(
    *,
    by: Actor,
    name: str,
    trigger: str,
    trigger_config: Mapping[str, Any] | None = None,
    conditions_tree: Mapping[str, Any] | None = None,
    enabled: bool = True,
    actions: Sequence[ActionSpec] = (),
) -> Workflow:
    require_admin(by, REFUSED)
    workflow = Workflow(
        name=_clean_name(name),
        trigger=trigger,
        enabled=enabled,
        trigger_config=triggers.clean_config(trigger, trigger_config),
        conditions=conditions.validate(conditions_tree or {}),
        created_by=person(by),
    )
    workflow.save()
    record_event(
        kind=AutomationEvent.WORKFLOW_CREATED,
        subject=workflow,
        actor=person(by),
        data={"name": workflow.name, "enabled": workflow.enabled},
    )
    for spec in actions:
        _add_action(workflow, spec)
    return workflow


@transaction.atomic
def workflow_update(
    *,
    by: Actor,
    workflow: Workflow,
    name: str,
    trigger: str,
    trigger_config: Mapping[str, Any] | None = None,
    enabled: bool = True,
    match: Match | None = None,
) -> Workflow:
    """The page's "Save": name, trigger and enabled; the conditions stay as they are in the
    database (``match`` switches their top group between all and any)."""
    require_admin(by, REFUSED)
    workflow = _locked(workflow)
    workflow.name, workflow.trigger, workflow.enabled = _clean_name(name), trigger, enabled
    workflow.trigger_config = triggers.clean_config(trigger, trigger_config)
    key, children = conditions.top_group(workflow.conditions)
    if match is not None and children and match != key:
        workflow.conditions = {match: children}
    workflow.save()
    _changed(workflow, by, {"name": workflow.name, "enabled": workflow.enabled})
    return workflow


@transaction.atomic
def workflow_replace(
    *,
    by: Actor,
    workflow: Workflow,
    name: str,
    trigger: str,
    trigger_config: Mapping[str, Any] | None = None,
    conditions_tree: Mapping[str, Any] | None = None,
    enabled: bool = True,
    actions: Sequence[ActionSpec] | None = None,
) -> Workflow:
    """Everything at once (the API's PUT): the actions too, when given."""
    require_admin(by, REFUSED)
    workflow = _locked(workflow)
    workflow.name, workflow.trigger, workflow.enabled = _clean_name(name), trigger, enabled
    workflow.trigger_config = triggers.clean_config(trigger, trigger_config)
    workflow.conditions = conditions.validate(conditions_tree or {})
    workflow.save()
    _changed(workflow, by, {"name": workflow.name, "enabled": workflow.enabled})
    if actions is not None:
        cleaned = [_clean_action(spec) for spec in actions]  # all refused before any is gone
        workflow.actions.all().delete()
        for order, (spec, (config, secrets)) in enumerate(zip(actions, cleaned, strict=True)):
            Action.objects.create(
                workflow=workflow, order=order, type=spec.type, config=config, secrets=secrets
            )
    return workflow


def workflow_save(
    *,
    by: Actor,
    workflow: Workflow | None = None,
    name: str,
    trigger: str,
    trigger_config: Mapping[str, Any] | None = None,
    conditions_tree: Mapping[str, Any] | None = None,
    enabled: bool = True,
) -> Workflow:
    """Create or replace (without touching the actions). Kept for older callers: new code
    calls :func:`workflow_create` or :func:`workflow_replace`."""
    if workflow is None:
        return workflow_create(
            by=by,
            name=name,
            trigger=trigger,
            trigger_config=trigger_config,
            conditions_tree=conditions_tree,
            enabled=enabled,
        )
    return workflow_replace(
        by=by,
        workflow=workflow,
        name=name,
        trigger=trigger,
        trigger_config=trigger_config,
        conditions_tree=conditions_tree,
        enabled=enabled,
    )


@transaction.atomic
def workflow_set_enabled(*, by: Actor, workflow: Workflow, enabled: bool) -> Workflow:
    require_admin(by, REFUSED)
    workflow = _locked(workflow)
    if workflow.enabled != enabled:
        workflow.enabled = enabled
        workflow.save(update_fields=["enabled", "updated_at"])
        _changed(workflow, by, {"enabled": enabled})
    return workflow


# ---------------------------------------------------------------- conditions


@transaction.atomic
def workflow_condition_add(
    *, by: Actor, workflow: Workflow, condition: Mapping[str, Any]
) -> Workflow:
    """Add a condition to the top group of the workflow's conditions (all, unless it is any)."""
    require_admin(by, REFUSED)
    leaf = conditions.validate(dict(condition))
    if not leaf:
        raise DomainError(
            code="invalid_conditions", message=_("Describe the condition."), field="conditions"
        )
    workflow = _locked(workflow)
    key, children = conditions.top_group(workflow.conditions)
    workflow.conditions = conditions.validate({key: [*children, leaf]})
    workflow.save(update_fields=["conditions", "updated_at"])
    _changed(workflow, by, {"conditions": workflow.conditions})
    return workflow


@transaction.atomic
def workflow_condition_remove(
    *,
    by: Actor,
    workflow: Workflow,
    index: int,
    condition: Mapping[str, Any] | None = None,
) -> Workflow:
    """Remove the ``index``-th plain condition of the top group (nested groups are not counted).
    With ``condition`` (what the admin saw there), the one removed is that condition even if
    another admin's change moved it; if it is gone, nothing is removed and the admin is told."""
    require_admin(by, REFUSED)
    workflow = _locked(workflow)
    key, children = conditions.top_group(workflow.conditions)
    plain = [child for child in children if "field" in child]
    target = plain[index] if 0 <= index < len(plain) else None
    if condition is not None:
        wanted = conditions.validate(dict(condition))
        if target is None or not _same_leaf(target, wanted):
            target = next((child for child in plain if _same_leaf(child, wanted)), None)
    if target is None:
        raise conflict(
            "condition_gone",
            _("That condition is no longer there: someone changed the conditions meanwhile."),
            "conditions",
        )
    kept = [child for child in children if child is not target]
    workflow.conditions = {key: kept} if kept else {}
    workflow.save(update_fields=["conditions", "updated_at"])
    _changed(workflow, by, {"conditions": workflow.conditions})
    return workflow


# ---------------------------------------------------------------- actions


def _check_references(type_: str, clean: dict) -> None:
    """An action naming a pipeline, stage, team or user that does not exist could never run:
    refuse it when it is saved, as a trigger's stage is, rather than fail every run later."""

    def missing(queryset, value) -> bool:
        pk = parse_id(value)
        return pk is None or not queryset.filter(pk=pk).exists()

    def refuse(code: str, message: str, field: str):
        raise DomainError(code=code, message=message, field=field)

    pipeline_id = clean.get("pipeline_id")
    if pipeline_id is not None and missing(
        Pipeline.objects.filter(object_type="ticket"), pipeline_id
    ):
        refuse("not_found", _("That ticket pipeline does not exist."), "pipeline_id")
    if clean.get("stage_id") is not None:
        stages = Stage.objects.all()
        if type_ == ActionType.CREATE_TICKET:
            stages = stages.filter(pipeline_id=parse_id(pipeline_id) or 0)
        if missing(stages, clean["stage_id"]):
            refuse("invalid_stage", _("Choose a stage of the chosen pipeline."), "stage_id")
    for name in ("owner_id", "user_id"):
        if clean.get(name) is not None and missing(User.objects.agency_staff(), clean[name]):
            refuse("not_found", _("That user is not on the agency's staff."), name)
    if clean.get("if_missing") not in (None, "ask", "refuse"):
        refuse("invalid", _("Choose ask or refuse for missing properties."), "if_missing")
    if clean.get("on") not in (None, "record", "deals"):
        refuse("invalid", _("Set the property on the record or on its deals."), "on")
    link = clean.get("link_deal_pipeline_id")
    if link is not None and missing(Pipeline.objects.filter(object_type="deal"), link):
        refuse("not_found", _("That deal pipeline does not exist."), "link_deal_pipeline_id")
    if clean.get("team_id") is not None and missing(Team.objects.all(), clean["team_id"]):
        refuse("not_found", _("That team does not exist."), "team_id")
    user_ids = clean.get("user_ids")
    if user_ids is not None:
        ids = {parse_id(v) for v in (user_ids if isinstance(user_ids, list) else [user_ids])}
        if None in ids or User.objects.agency_staff().filter(pk__in=ids).count() != len(ids):
            refuse("not_found", _("Every notified user is on the agency's staff."), "user_ids")
        clean["user_ids"] = sorted(ids)


def _clean_action(spec: ActionSpec) -> tuple[dict[str, Any], dict[str, str]]:
    """(config, encrypted secrets) of a step, or the DomainError saying what to fix."""
    type_ = spec.type
    if type_ not in ActionType.values:
        raise DomainError(code="invalid_action", message=_("Choose an action."), field="type")
    allowed = CONFIG_FIELDS[ActionType(type_)]
    clean = {
        k: v for k, v in (spec.config or {}).items() if k in allowed and v not in (None, "", [])
    }
    required = {
        ActionType.CREATE_TICKET: ("pipeline_id",),
        ActionType.MOVE_STAGE: ("stage_id",),
        ActionType.SET_PROPERTY: ("name",),
    }.get(ActionType(type_), ())
    for name in required:
        if not clean.get(name):
            raise DomainError(
                code="required", message=_("This action needs %(f)s.") % {"f": name}, field=name
            )
    if type_ == ActionType.ASSIGN_OWNER and not (clean.get("user_id") or clean.get("team_id")):
        raise DomainError(
            code="required", message=_("Choose a user, or a team for round-robin."), field="user_id"
        )
    if type_ == ActionType.NOTIFY and not (
        clean.get("user_ids") or clean.get("team_id") or clean.get("include_owner")
    ):
        raise DomainError(code="required", message=_("Choose who is notified."), field="user_ids")
    _check_references(type_, clean)
    for name in ("title", "message", "text", "body", "value"):
        if name in clean:
            clean[name] = str(clean[name])[:4000]
            render(clean[name], {})  # template syntax errors are refused now, not at run time
    encrypted = {}
    for name in SECRET_FIELDS.get(ActionType(type_), ()):
        value = (spec.secrets or {}).get(name)
        if value:
            if name == "webhook_url" and not str(value).startswith(("https://", "http://")):
                raise DomainError(
                    code="invalid_url",
                    message=_("The webhook URL starts with https://."),
                    field=name,
                )
            encrypted[name] = crypto.encrypt(str(value))
    return clean, encrypted


def _add_action(workflow: Workflow, spec: ActionSpec) -> Action:
    """Append a step to a workflow whose row the caller holds locked."""
    config, secrets = _clean_action(spec)
    last = workflow.actions.order_by("-order").first()
    return Action.objects.create(
        workflow=workflow,
        type=spec.type,
        config=config,
        secrets=secrets,
        order=(last.order + 1) if last else 0,
    )


@transaction.atomic
def action_add(
    *,
    by: Actor,
    workflow: Workflow,
    type: str,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Action:
    require_admin(by, REFUSED)
    workflow = _locked(workflow)
    action = _add_action(
        workflow, ActionSpec(type=type, config=config or {}, secrets=secrets or {})
    )
    _changed(workflow, by, {"added_action": type})
    return action


@transaction.atomic
def action_remove(*, by: Actor, action: Action) -> None:
    require_admin(by, REFUSED)
    workflow = _locked(action.workflow)
    _changed(workflow, by, {"removed_action": action.type})
    Action.objects.filter(pk=action.pk, workflow=workflow).delete()


@transaction.atomic
def action_move(*, by: Actor, action: Action, up: bool) -> None:
    """Swap a step with the one before (``up``) or after it."""
    require_admin(by, REFUSED)
    workflow = _locked(action.workflow)
    steps = list(workflow.actions.order_by("order", "id"))
    index = next((i for i, step in enumerate(steps) if step.pk == action.pk), None)
    if index is None:
        return  # removed meanwhile
    other = index - 1 if up else index + 1
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
        for order, item in enumerate(steps):
            item.order = order
        Action.objects.bulk_update(steps, ["order"])


# ---------------------------------------------------------------- runs


def run_replay(*, by: Actor, run: WorkflowRun) -> WorkflowRun:
    """An admin runs a failed run again, from the step that failed. Only one replay of a failed
    run starts: the status moves from failed to retrying in one conditional UPDATE."""
    require_admin(by, gettext_lazy("Only an admin can replay a run."))
    started = WorkflowRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
        status=RunStatus.RETRYING, attempts=0, error="", finished_at=None
    )
    if not started:
        raise DomainError(
            code="not_failed", message=_("Only a failed run can be replayed."), status=409
        )
    run.refresh_from_db()
    return engine.execute_run(run)


# ---------------------------------------------------------------- integrations


INTEGRATION_SECRETS = ("github_token", "github_webhook_secret", "slack_webhook_url")
DEFAULT_GITHUB_API_URL = "https://api.github.com"
URL_MAX = {"github_api_url": 200, "slack_webhook_url": 2000}


def _url_error(name: str, url: str) -> FieldError | None:
    """None for a full http(s) URL of at most URL_MAX[name] characters, else what to fix."""
    parts = urlsplit(url)
    if (
        parts.scheme in ("http", "https")
        and parts.hostname
        and len(url) <= URL_MAX[name]
        and not any(c.isspace() or ord(c) < 32 for c in url)
    ):
        return None
    return FieldError(
        name,
        "invalid_url",
        _("Enter a full http:// or https:// URL (at most %(max)s characters).")
        % {"max": URL_MAX[name]},
    )


@transaction.atomic
def integrations_save(
    *,
    by: Actor,
    github_api_url: str | None,
    github_repository: str | None,
    github_token: str = "",
    github_webhook_secret: str = "",
    slack_webhook_url: str = "",
    clear: Collection[str] = (),
) -> IntegrationSettings:
    """Blank secrets keep the stored ones; the secrets named in ``clear`` are removed (the
    page never clears one; the API clears a secret sent as ""). A blank API URL is GitHub's;
    None keeps the stored API URL or repository (the API's PATCH), read under the row lock."""
    require_admin(by, REFUSED)
    unknown = set(clear) - set(INTEGRATION_SECRETS)
    if unknown:
        raise ValueError(f"not an integration secret: {sorted(unknown)}")
    values = {
        "github_token": (github_token or "").strip(),
        "github_webhook_secret": (github_webhook_secret or "").strip(),
        "slack_webhook_url": (slack_webhook_url or "").strip(),
    }
    api_url = None if github_api_url is None else github_api_url.strip() or DEFAULT_GITHUB_API_URL
    repo = None if github_repository is None else github_repository.strip()
    errors: list[FieldError] = []  # in the order of the page's fields
    if api_url is not None and (error := _url_error("github_api_url", api_url)):
        errors.append(error)
    if repo and (repo.count("/") != 1 or " " in repo or len(repo) > 200):
        errors.append(
            FieldError(
                "github_repository", "invalid_repository", _("Write the repository as owner/name.")
            )
        )
    slack_url = values["slack_webhook_url"]
    if slack_url and (error := _url_error("slack_webhook_url", slack_url)):
        errors.append(error)
    if len(errors) == 1:
        raise DomainError(code=errors[0].code, message=errors[0].message, field=errors[0].field)
    if errors:
        raise DomainError(
            code="invalid_integrations",
            message=_("The integrations were not saved: %(n)s fields need a change.")
            % {"n": len(errors)},
            errors=errors,
        )
    IntegrationSettings.load()  # the one row exists
    integration = IntegrationSettings.objects.select_for_update().get(pk=1)
    before = {
        "github_api_url": integration.github_api_url,
        "github_repository": integration.github_repository,
    }
    if api_url is not None:
        integration.github_api_url = api_url
    if repo is not None:
        integration.github_repository = repo
    secrets = dict(integration.secrets or {})
    for name in INTEGRATION_SECRETS:
        if values[name]:
            secrets[name] = crypto.encrypt(values[name])
        elif name in clear:
            secrets.pop(name, None)
    changed = sorted(
        [
            name
            for name in INTEGRATION_SECRETS
            if secrets.get(name) != (integration.secrets or {}).get(name)
        ]
        + [
            name
            for name, value in (("github_api_url", api_url), ("github_repository", repo))
            if value is not None and value != before[name]
        ]
    )
    integration.secrets = secrets
    integration.save()
    if changed:
        # Which settings changed, never their values (secrets and tokens stay out of events).
        record_event(
            kind=AutomationEvent.INTEGRATIONS_UPDATED,
            subject=integration,
            actor=person(by),
            data={"changed": changed},
        )
    return integration


def verify_github_signature(body: bytes, header: str) -> bool:
    secret = IntegrationSettings.load().secret("github_webhook_secret")
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


@transaction.atomic
def github_issue_closed(*, number: int, repository: str) -> int:
    """Record "tracker issue closed" on every open ticket carrying that issue number."""
    integration = IntegrationSettings.load()
    if (
        integration.github_repository
        and repository
        and repository.lower() != integration.github_repository.lower()
    ):
        return 0
    tickets = Ticket.objects.filter(
        closed_at__isnull=True, properties__issue_tracker_number=str(number)
    )
    count = 0
    for ticket in tickets:
        record_event(
            kind=AutomationEvent.TRACKER_ISSUE_CLOSED,
            subject=ticket,
            company_id=ticket.company_id,
            data={"number": number, "repository": repository, "pipeline_id": ticket.pipeline_id},
        )
        count += 1
    return count
