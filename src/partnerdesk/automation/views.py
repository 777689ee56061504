"""Admin pages for workflows (built in forms, no raw JSON), their runs, failures, integrations;
and the GitHub webhook."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.accounts.models import Team, User
from partnerdesk.core.access import admin_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin, submit
from partnerdesk.crm.models import Pipeline, Product, PropertyDefinition, Stage
from partnerdesk.portal.models import Status as TaskStatus

from . import conditions, services, triggers
from .models import Action, ActionType, IntegrationSettings, RunStatus, Workflow, WorkflowRun
from .selectors import empty_team_steps, empty_team_steps_of, workflows_with_actions


def _stage_choices():
    stages = Stage.objects.select_related("pipeline").order_by(
        "pipeline__object_type", "pipeline__order", "order"
    )
    return [
        ("", "—"),
        *[
            (s.pk, f"{s.pipeline.get_object_type_display()} · {s.pipeline.name} — {s.name}")
            for s in stages
        ],
    ]


def _pipeline_choices():
    return [
        ("", gettext_lazy("Any")),
        *[(p.pk, f"{p.get_object_type_display()} · {p.name}") for p in Pipeline.objects.all()],
    ]


class WorkflowForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=150, label=gettext_lazy("Name"))
    enabled = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Enabled"))
    trigger = forms.ChoiceField(choices=triggers.offered_choices, label=gettext_lazy("When"))
    pipeline_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("in pipeline")
    )
    stage_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("stage")
    )
    stage_kind = forms.ChoiceField(
        required=False,
        label=gettext_lazy("or any stage that is"),
        choices=[("", "—"), ("won", gettext_lazy("won")), ("lost", gettext_lazy("lost"))],
    )
    product_id = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("only if the deal has the product"),
    )
    target = forms.ChoiceField(
        required=False,
        label=gettext_lazy("SLA target"),
        choices=[
            ("", gettext_lazy("Any")),
            ("first_response", gettext_lazy("First response")),
            ("resolution", gettext_lazy("Resolution")),
        ],
    )
    to_status = forms.ChoiceField(
        required=False,
        label=gettext_lazy("task moved to"),
        choices=[("", gettext_lazy("Any")), *TaskStatus.choices],
    )
    match = forms.ChoiceField(
        choices=[
            ("all", gettext_lazy("all conditions hold")),
            ("any", gettext_lazy("any condition holds")),
        ],
        label=gettext_lazy("Run when"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline_id"].choices = _pipeline_choices()
        self.fields["stage_id"].choices = _stage_choices()
        self.fields["product_id"].choices = [
            ("", "—"),
            *[(p.pk, p.name) for p in Product.objects.all()],
        ]

    def trigger_config(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in triggers.ALL_CONFIG_FIELDS}


def _condition_fields():
    names = [
        f"{record}.{field}" for record, fields in conditions.BASE_FIELDS.items() for field in fields
    ]
    names += [
        f"{d.object_type}.properties.{d.name}"
        for d in PropertyDefinition.objects.filter(
            is_builtin=False, object_type__in=["deal", "ticket", "company"]
        ).exclude(type="secret")
    ]
    return [(n, n) for n in names]


class ConditionForm(DomainErrorFormMixin, forms.Form):
    field = forms.ChoiceField(label=gettext_lazy("Field"))
    op = forms.ChoiceField(
        choices=list(conditions.OPERATORS.items()), label=gettext_lazy("Operator")
    )
    value = forms.CharField(required=False, max_length=500, label=gettext_lazy("Value"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = _condition_fields()


class ActionForm(DomainErrorFormMixin, forms.Form):
    type = forms.ChoiceField(choices=ActionType.choices, label=gettext_lazy("Action"))
    pipeline_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("Pipeline (create ticket)")
    )
    stage_id = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("Stage (create ticket, move)"),
    )
    user_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("User (assign)")
    )
    team_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("Team (assign, notify)")
    )
    mode = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Team assignment"),
        choices=[
            ("round_robin", gettext_lazy("round-robin")),
            ("lead", gettext_lazy("the team lead")),
        ],
    )
    user_ids = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label=gettext_lazy("Users to notify")
    )
    include_owner = forms.BooleanField(
        required=False, label=gettext_lazy("Also notify the record's owner")
    )
    name = forms.CharField(
        required=False, max_length=64, label=gettext_lazy("Property (set property)")
    )
    value = forms.CharField(
        required=False, max_length=4000, label=gettext_lazy("Value (set property)")
    )
    title = forms.CharField(
        required=False, max_length=255, label=gettext_lazy("Title (notify, GitHub issue)")
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Message (notify)"),
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Slack text"),
        help_text=gettext_lazy(
            "Texts may use values such as {{ deal.name }}, {{ ticket.properties.website_domain }}, {{ company.name }}."
        ),
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Issue body (GitHub)"),
    )
    webhook_url = forms.CharField(
        required=False,
        max_length=500,
        label=gettext_lazy("Slack webhook URL (blank: the one under Integrations)"),
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline_id"].choices = [
            ("", "—"),
            *[(p.pk, p.name) for p in Pipeline.objects.filter(object_type="ticket")],
        ]
        self.fields["stage_id"].choices = _stage_choices()
        users = [(u.pk, str(u)) for u in User.objects.agency_staff()]
        self.fields["user_id"].choices = [("", "—"), *users]
        self.fields["user_ids"].choices = users
        self.fields["team_id"].choices = [("", "—"), *[(t.pk, t.name) for t in Team.objects.all()]]

    def config(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("type", "webhook_url")}


@admin_required
@require_http_methods(["GET", "POST"])
def workflow_list(request):
    form = WorkflowForm(request.POST or None, initial={"enabled": True, "match": "all"})
    if request.method == "POST":
        created = submit(
            form,
            lambda data: services.workflow_create(
                by=request.user,
                name=data["name"],
                trigger=data["trigger"],
                trigger_config=form.trigger_config(),
                enabled=data["enabled"],
            ),
        )
        if created.ok:
            messages.success(request, _("Workflow created. Now add its conditions and actions."))
            return redirect("automation:workflow_edit", pk=created.value.pk)
    workflows = list(workflows_with_actions().order_by("name"))
    empty = {step.workflow_id for step in empty_team_steps_of(workflows)}
    failed = WorkflowRun.objects.filter(status=RunStatus.FAILED).count()
    return render(
        request,
        "automation/workflow_list.html",
        {
            "workflows": [(w, w.pk in empty) for w in workflows],
            "form": form,
            "failed": failed,
        },
        status=400 if form.errors else 200,
    )


def _plain_leaves(tree) -> list[dict]:
    """The plain conditions of the top group, in order (nested groups made through the API are
    kept as they are and not listed); the page numbers them."""
    key = "any" if "any" in (tree or {}) else "all"
    children = (tree or {}).get(key, []) if tree and ("all" in tree or "any" in tree) else []
    if tree and not children and "field" in tree:
        children = [tree]
    return [leaf for leaf in children if "field" in leaf]


def _describe(leaf: dict) -> str:
    op = conditions.OPERATORS.get(str(leaf.get("op")), leaf.get("op"))
    return f"{leaf.get('field')} {op} {leaf.get('value', '')}".strip()


def _warn_if_empty_team(request, action: Action) -> None:
    for step in empty_team_steps([action]):
        # Styled as an error: the step is saved, but it will fail until the team has someone.
        messages.warning(request, step.message, extra_tags="error")


@admin_required
@require_http_methods(["GET", "POST"])
def workflow_edit(request, pk):
    workflow = get_object_or_404(Workflow, pk=pk)
    tree = workflow.conditions or {}
    key = "any" if "any" in tree else "all"
    action_name = request.POST.get("action")
    form = WorkflowForm(
        request.POST if action_name == "save" else None,
        initial={
            "name": workflow.name,
            "enabled": workflow.enabled,
            "trigger": workflow.trigger,
            "match": key,
            **workflow.trigger_config,
        },
    )
    # Three forms on one page: each gets its own element ids, or labels would point astray.
    condition_form = ConditionForm(
        request.POST if action_name == "add_condition" else None, auto_id="condition_%s"
    )
    action_form = ActionForm(
        request.POST if action_name == "add_action" else None,
        initial={"mode": "round_robin"},
        auto_id="step_%s",
    )
    if request.method == "POST":
        done = _post(request, workflow, action_name, form, condition_form, action_form)
        if done:
            return redirect("automation:workflow_edit", pk=pk)
    steps = list(workflow.actions.order_by("order", "id"))
    empty = {step.action_id: step.message for step in empty_team_steps(steps)}
    return render(
        request,
        "automation/workflow_edit.html",
        {
            "workflow": workflow,
            "form": form,
            "condition_form": condition_form,
            "action_form": action_form,
            "leaves": [(i, _describe(leaf), leaf) for i, leaf in enumerate(_plain_leaves(tree))],
            "match": key,
            "actions": [(a, empty.get(a.pk)) for a in steps],
            "runs": workflow.runs.select_related("event")[:25],
        },
        status=400 if (form.errors or condition_form.errors or action_form.errors) else 200,
    )


def _post(request, workflow, action_name, form, condition_form, action_form) -> bool:
    """Do what the page's button asked; True when done (the page is then reloaded)."""
    by = request.user
    if action_name == "save":
        saved = submit(
            form,
            lambda data: services.workflow_update(
                by=by,
                workflow=workflow,
                name=data["name"],
                trigger=data["trigger"],
                trigger_config=form.trigger_config(),
                enabled=data["enabled"],
                match=data["match"],
            ),
        )
        if saved.ok:
            messages.success(request, _("Workflow saved."))
        return saved.ok
    if action_name == "add_condition":
        added = submit(
            condition_form,
            lambda data: services.workflow_condition_add(by=by, workflow=workflow, condition=data),
        )
        if added.ok:
            messages.success(request, _("Condition added."))
        return added.ok
    if action_name == "add_action":
        step = submit(
            action_form,
            lambda data: services.action_add(
                by=by,
                workflow=workflow,
                type=data["type"],
                config=action_form.config(),
                secrets={"webhook_url": data["webhook_url"]},
            ),
        )
        if step.ok and step.value is not None:
            messages.success(request, _("Action added."))
            _warn_if_empty_team(request, step.value)
        return step.ok
    try:
        if action_name == "remove_condition":
            services.workflow_condition_remove(
                by=by,
                workflow=workflow,
                index=parse_id(request.POST.get("index")) or 0,
                # What the admin saw at that place, so a concurrent change cannot redirect it.
                condition=(
                    {k: request.POST.get(k, "") for k in ("field", "op", "value")}
                    if request.POST.get("field")
                    else None
                ),
            )
        elif action_name in ("remove_action", "up", "down"):
            target = get_object_or_404(
                Action, pk=parse_id(request.POST.get("action_id")), workflow=workflow
            )
            if action_name == "remove_action":
                services.action_remove(by=by, action=target)
            else:
                services.action_move(by=by, action=target, up=action_name == "up")
        elif action_name in ("enable", "disable"):
            services.workflow_set_enabled(by=by, workflow=workflow, enabled=action_name == "enable")
        else:
            return False
    except DomainError as exc:
        messages.error(request, exc.message)
    return True


@admin_required
@require_GET
def run_list(request):
    status = request.GET.get("status", RunStatus.FAILED)
    qs = WorkflowRun.objects.select_related("workflow", "event").order_by("-created_at", "-id")
    if status in RunStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "automation/run_list.html",
        {"page": page, "status": status, "statuses": RunStatus.choices},
    )


@admin_required
@require_GET
def run_detail(request, pk):
    run = get_object_or_404(WorkflowRun.objects.select_related("workflow", "event"), pk=pk)
    return render(
        request,
        "automation/run_detail.html",
        {"run": run, "event_data": json.dumps(run.event.data, indent=2, default=str)},
    )


@admin_required
@require_POST
def run_replay(request, pk):
    run = get_object_or_404(WorkflowRun, pk=pk)
    try:
        run = services.run_replay(by=request.user, run=run)
        messages.success(request, _("Replayed: %(status)s.") % {"status": run.get_status_display()})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("automation:run_detail", pk=pk)


class IntegrationsForm(DomainErrorFormMixin, forms.Form):
    github_api_url = forms.URLField(
        label=gettext_lazy("GitHub API URL"), initial="https://api.github.com"
    )
    github_repository = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("GitHub repository (owner/name)")
    )
    github_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("GitHub token"),
        help_text=gettext_lazy("Stored encrypted; leave blank to keep the current one."),
    )
    github_webhook_secret = forms.CharField(
        required=False, widget=forms.PasswordInput, label=gettext_lazy("GitHub webhook secret")
    )
    slack_webhook_url = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("Default Slack incoming-webhook URL"),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def integrations(request):
    integration = IntegrationSettings.load()
    form = IntegrationsForm(
        request.POST or None,
        initial={
            "github_api_url": integration.github_api_url,
            "github_repository": integration.github_repository,
        },
    )
    if request.method == "POST":
        saved = submit(
            form,
            lambda data: services.integrations_save(
                by=request.user,
                github_api_url=data["github_api_url"],
                github_repository=data["github_repository"],
                github_token=data["github_token"],
                github_webhook_secret=data["github_webhook_secret"],
                slack_webhook_url=data["slack_webhook_url"],
            ),
        )
        if saved.ok:
            messages.success(request, _("Integrations saved."))
            return redirect("automation:integrations")
    return render(
        request,
        "automation/integrations.html",
        {
            "form": form,
            "configured": sorted(integration.secrets),
            "webhook_url": request.build_absolute_uri("/hooks/github/"),
        },
        status=400 if form.errors else 200,
    )


@csrf_exempt
@require_POST
def github_webhook(request):
    """GitHub "issues" events, signed with the shared secret (X-Hub-Signature-256)."""
    if not services.verify_github_signature(
        request.body, request.headers.get("X-Hub-Signature-256", "")
    ):
        return JsonResponse(
            {
                "code": "bad_signature",
                "message": "The signature does not match the webhook secret.",
            },
            status=403,
        )
    if request.headers.get("X-GitHub-Event") == "ping":
        return JsonResponse({"ok": True})
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse(
            {"code": "invalid_json", "message": "The body is not JSON."}, status=400
        )
    if request.headers.get("X-GitHub-Event") != "issues" or payload.get("action") != "closed":
        return JsonResponse({"ok": True, "ignored": True})
    issue = payload.get("issue") or {}
    number = issue.get("number")
    if not isinstance(number, int):
        return JsonResponse(
            {"code": "invalid_payload", "message": "issue.number is missing."}, status=400
        )
    repository = (payload.get("repository") or {}).get("full_name", "")
    count = services.github_issue_closed(number=number, repository=repository)
    return JsonResponse({"ok": True, "tickets": count})
