"""Writes to workflows, their actions and integrations; the GitHub webhook."""

from __future__ import annotations

import hashlib
import hmac

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.core import crypto
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import require_admin

from . import conditions
from .models import Action, ActionType, IntegrationSettings, Trigger, Workflow

SECRET_FIELDS = {"slack": ("webhook_url",)}
CONFIG_FIELDS = {
    ActionType.CREATE_TICKET: ("pipeline_id", "stage_id", "owner_id", "priority"),
    ActionType.ASSIGN_OWNER: ("user_id", "team_id", "mode"),
    ActionType.MOVE_STAGE: ("stage_id",),
    ActionType.SET_PROPERTY: ("name", "value"),
    ActionType.NOTIFY: ("user_ids", "team_id", "include_owner", "title", "message"),
    ActionType.SLACK: ("text",),
    ActionType.GITHUB_ISSUE: ("title", "body"),
}
TRIGGER_FIELDS = ("pipeline_id", "stage_id", "stage_kind", "product_id", "target")


def _clean_trigger_config(trigger: str, config: dict) -> dict:
    from partnerdesk.crm.models import Pipeline, Product, Stage

    if trigger not in Trigger.values:
        raise DomainError(code="invalid_trigger", message=_("Choose a trigger."), field="trigger")
    clean = {k: v for k, v in (config or {}).items() if k in TRIGGER_FIELDS and v not in (None, "")}
    pipeline = (
        Pipeline.objects.filter(pk=clean.get("pipeline_id")).first()
        if clean.get("pipeline_id")
        else None
    )
    if clean.get("pipeline_id") and pipeline is None:
        raise DomainError(
            code="not_found", message=_("That pipeline does not exist."), field="pipeline_id"
        )
    if clean.get("stage_id"):
        stage = Stage.objects.filter(pk=clean["stage_id"]).first()
        if stage is None or (pipeline is not None and stage.pipeline_id != pipeline.pk):
            raise DomainError(
                code="invalid_stage",
                message=_("Choose a stage of the chosen pipeline."),
                field="stage_id",
            )
    if clean.get("product_id") and not Product.objects.filter(pk=clean["product_id"]).exists():
        raise DomainError(
            code="not_found", message=_("That product does not exist."), field="product_id"
        )
    if clean.get("stage_kind") not in (None, "won", "lost", "open"):
        raise DomainError(
            code="invalid_choice", message=_("Stage kind is won, lost or open."), field="stage_kind"
        )
    if clean.get("target") not in (None, "first_response", "resolution"):
        raise DomainError(
            code="invalid_choice",
            message=_("Target is first_response or resolution."),
            field="target",
        )
    return clean


@transaction.atomic
def workflow_save(
    *,
    by,
    workflow: Workflow | None = None,
    name: str,
    trigger: str,
    trigger_config: dict | None = None,
    conditions_tree: dict | None = None,
    enabled: bool = True,
) -> Workflow:
    require_admin(by, _("Only an admin can change automations."))
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A workflow needs a name."), field="name")
    creating = workflow is None
    workflow = workflow or Workflow(created_by=by)
    workflow.name, workflow.trigger, workflow.enabled = name[:150], trigger, enabled
    workflow.trigger_config = _clean_trigger_config(trigger, trigger_config or {})
    workflow.conditions = conditions.validate(conditions_tree or {})
    workflow.save()
    record_event(
        kind="workflow.created" if creating else "workflow.updated",
        subject=workflow,
        actor=by,
        data={"name": workflow.name, "enabled": workflow.enabled},
    )
    return workflow


@transaction.atomic
def workflow_set_conditions(*, by, workflow: Workflow, tree: dict) -> Workflow:
    require_admin(by, _("Only an admin can change automations."))
    workflow.conditions = conditions.validate(tree or {})
    workflow.save(update_fields=["conditions", "updated_at"])
    record_event(
        kind="workflow.updated",
        subject=workflow,
        actor=by,
        data={"conditions": workflow.conditions},
    )
    return workflow


@transaction.atomic
def workflow_set_enabled(*, by, workflow: Workflow, enabled: bool) -> Workflow:
    require_admin(by, _("Only an admin can change automations."))
    if workflow.enabled != enabled:
        workflow.enabled = enabled
        workflow.save(update_fields=["enabled", "updated_at"])
        record_event(kind="workflow.updated", subject=workflow, actor=by, data={"enabled": enabled})
    return workflow


def _check_references(type_: str, clean: dict) -> None:
    """An action naming a pipeline, stage, team or user that does not exist could never run:
    refuse it when it is saved, as a trigger's stage is, rather than fail every run later."""
    from partnerdesk.accounts.models import Team, User
    from partnerdesk.crm.models import Pipeline, Stage

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
            stages = stages.filter(pipeline_id=parse_id(pipeline_id))
        if missing(stages, clean["stage_id"]):
            refuse("invalid_stage", _("Choose a stage of the chosen pipeline."), "stage_id")
    for field in ("owner_id", "user_id"):
        if clean.get(field) is not None and missing(User.objects.agency_staff(), clean[field]):
            refuse("not_found", _("That user is not on the agency's staff."), field)
    if clean.get("team_id") is not None and missing(Team.objects.all(), clean["team_id"]):
        refuse("not_found", _("That team does not exist."), "team_id")
    user_ids = clean.get("user_ids")
    if user_ids is not None:
        ids = {parse_id(v) for v in (user_ids if isinstance(user_ids, list) else [user_ids])}
        if None in ids or User.objects.agency_staff().filter(pk__in=ids).count() != len(ids):
            refuse("not_found", _("Every notified user is on the agency's staff."), "user_ids")
        clean["user_ids"] = sorted(ids)


def _clean_action(type_: str, config: dict, secrets: dict) -> tuple[dict, dict]:
    if type_ not in ActionType.values:
        raise DomainError(code="invalid_action", message=_("Choose an action."), field="type")
    allowed = CONFIG_FIELDS[type_]
    clean = {k: v for k, v in (config or {}).items() if k in allowed and v not in (None, "", [])}
    required = {
        ActionType.CREATE_TICKET: ("pipeline_id",),
        ActionType.MOVE_STAGE: ("stage_id",),
        ActionType.SET_PROPERTY: ("name",),
    }.get(type_, ())
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
    for field in ("title", "message", "text", "body", "value"):
        if field in clean:
            clean[field] = str(clean[field])[:4000]
            from .actions import render

            render(clean[field], {})  # template syntax errors are refused now, not at run time
    encrypted = {}
    for name in SECRET_FIELDS.get(type_, ()):
        value = (secrets or {}).get(name)
        if value:
            if name == "webhook_url" and not str(value).startswith(("https://", "http://")):
                raise DomainError(
                    code="invalid_url",
                    message=_("The webhook URL starts with https://."),
                    field=name,
                )
            encrypted[name] = crypto.encrypt(str(value))
    return clean, encrypted


@transaction.atomic
def action_add(
    *, by, workflow: Workflow, type: str, config: dict | None = None, secrets: dict | None = None
) -> Action:
    require_admin(by, _("Only an admin can change automations."))
    clean, encrypted = _clean_action(type, config or {}, secrets or {})
    last = workflow.actions.order_by("-order").first()
    action = Action.objects.create(
        workflow=workflow,
        type=type,
        config=clean,
        secrets=encrypted,
        order=(last.order + 1) if last else 0,
    )
    record_event(kind="workflow.updated", subject=workflow, actor=by, data={"added_action": type})
    return action


@transaction.atomic
def action_remove(*, by, action: Action) -> None:
    require_admin(by, _("Only an admin can change automations."))
    record_event(
        kind="workflow.updated",
        subject=action.workflow,
        actor=by,
        data={"removed_action": action.type},
    )
    action.delete()


@transaction.atomic
def action_move(*, by, action: Action, up: bool) -> None:
    require_admin(by, _("Only an admin can change automations."))
    actions = list(action.workflow.actions.order_by("order", "id"))
    index = actions.index(action)
    other = index - 1 if up else index + 1
    if 0 <= other < len(actions):
        actions[index], actions[other] = actions[other], actions[index]
        for order, item in enumerate(actions):
            item.order = order
        Action.objects.bulk_update(actions, ["order"])


@transaction.atomic
def integrations_save(
    *,
    by,
    github_api_url: str,
    github_repository: str,
    github_token: str = "",
    github_webhook_secret: str = "",
    slack_webhook_url: str = "",
) -> IntegrationSettings:
    require_admin(by, _("Only an admin can change automations."))
    integration = IntegrationSettings.load()
    repo = (github_repository or "").strip()
    if repo and (repo.count("/") != 1 or " " in repo):
        raise DomainError(
            code="invalid_repository",
            message=_("Write the repository as owner/name."),
            field="github_repository",
        )
    integration.github_api_url = (github_api_url or "https://api.github.com").strip()
    integration.github_repository = repo
    secrets = dict(integration.secrets or {})
    for name, value in (
        ("github_token", github_token),
        ("github_webhook_secret", github_webhook_secret),
        ("slack_webhook_url", slack_webhook_url),
    ):
        if value:  # blank keeps the stored value
            secrets[name] = crypto.encrypt(value.strip())
    integration.secrets = secrets
    integration.save()
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
    from partnerdesk.tickets.models import Ticket

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
            kind="ticket.tracker_issue_closed",
            subject=ticket,
            company_id=ticket.company_id,
            data={"number": number, "repository": repository, "pipeline_id": ticket.pipeline_id},
        )
        count += 1
    return count
