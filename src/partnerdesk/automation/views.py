"""Admin pages for workflows (built in forms, no raw JSON), their runs, failures, integrations;
and the GitHub webhook."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.access import admin_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import submit
from partnerdesk.core.pagination import CappedPaginator

from . import conditions, describe, fields, services
from .forms import ActionForm, ConditionForm, IntegrationsForm, Pickers, WorkflowForm
from .models import Action, IntegrationSettings, RunStatus, Workflow, WorkflowRun
from .selectors import (
    empty_team_steps,
    empty_team_steps_of,
    run_history,
    workflows_with_actions,
)


@admin_required
@require_http_methods(["GET", "POST"])
def workflow_list(request):
    pickers = Pickers()
    form = WorkflowForm(
        request.POST or None, initial={"enabled": True, "match": "all"}, pickers=pickers
    )
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
            "workflows": [
                (w, text, w.pk in empty)
                for w, text in describe.workflows_described(workflows, known=pickers.loaded())
            ],
            "form": form,
            "failed": failed,
        },
        status=400 if form.errors else 200,
    )


def _warn_if_empty_team(request, action: Action) -> None:
    for step in empty_team_steps([action]):
        # Styled as an error: the step is saved, but it will fail until the team has someone.
        messages.warning(request, step.message, extra_tags="error")


def _condition_rows(tree) -> list[tuple[int | None, dict | None]]:
    """The top group's children in order, as (index among the plain conditions, the condition)
    for the ones the page can remove, (None, None) for a nested group (made through the API;
    it is described, and kept as it is)."""
    rows: list[tuple[int | None, dict | None]] = []
    plain = 0
    for child in conditions.top_group(tree)[1]:
        if "field" in child:
            rows.append((plain, child))
            plain += 1
        else:
            rows.append((None, None))
    return rows


def _condition_form(request, workflow: Workflow, pickers: Pickers, data=None) -> ConditionForm:
    """The condition form; the field chosen (posted, or ``?field=`` when the picker changes)
    decides its comparisons and its value input."""
    return ConditionForm(
        data,
        specs=fields.catalogue(fields.property_definitions()),
        pickers=pickers,
        initial={"field": request.GET.get("field")},
        refresh_url=reverse("automation:workflow_edit", kwargs={"pk": workflow.pk}),
        auto_id="condition_%s",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def workflow_edit(request, pk):
    workflow = get_object_or_404(Workflow, pk=pk)
    if request.method == "GET" and request.htmx and "field" in request.GET:
        # The field picker changed: the condition form with that field's comparisons and input.
        return render(
            request,
            "automation/workflow_edit.html#condition_form",
            {
                "workflow": workflow,
                "condition_form": _condition_form(request, workflow, Pickers()),
            },
        )
    tree = workflow.conditions or {}
    key = conditions.top_group(tree)[0]
    action_name = request.POST.get("action")
    pickers = Pickers()
    form = WorkflowForm(
        request.POST if action_name == "save" else None,
        initial={
            "name": workflow.name,
            "enabled": workflow.enabled,
            "trigger": workflow.trigger,
            "match": key,
            **workflow.trigger_config,
        },
        pickers=pickers,
    )
    # Three forms on one page: each gets its own element ids, or labels would point astray.
    condition_form = _condition_form(
        request, workflow, pickers, request.POST if action_name == "add_condition" else None
    )
    action_form = ActionForm(
        request.POST if action_name == "add_action" else None,
        initial={"mode": "round_robin"},
        auto_id="step_%s",
        pickers=pickers,
    )
    if request.method == "POST":
        done = _post(request, workflow, action_name, form, condition_form, action_form)
        if done:
            return redirect("automation:workflow_edit", pk=pk)
    steps = list(workflow.actions.order_by("order", "id"))
    empty = {step.action_id: step.message for step in empty_team_steps(steps)}
    runs = list(run_history(workflow=workflow)[:25])
    text, history = describe.described(
        lambda names: (
            describe.workflow_text(workflow, steps, names),
            [describe.run_text(run, names) for run in runs],
        ),
        known=pickers.loaded(),
    )
    return render(
        request,
        "automation/workflow_edit.html",
        {
            "workflow": workflow,
            "text": text,
            "form": form,
            "condition_form": condition_form,
            "conditions": [
                (index, leaf, sentence)
                for (index, leaf), sentence in zip(
                    _condition_rows(tree), text.conditions, strict=True
                )
            ],
            "match": key,
            "action_form": action_form,
            "actions": [(a, sentence, empty.get(a.pk)) for a, sentence in text.actions],
            "runs": history,
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
            lambda data: services.workflow_condition_add(
                by=by, workflow=workflow, condition=condition_form.condition()
            ),
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
    page = CappedPaginator(
        run_history(status=status if status in RunStatus.values else None), 50
    ).get_page(request.GET.get("page"))
    template = "automation/run_list.html"
    if request.htmx and request.htmx.target == "results":  # the next page (pagination.html)
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "runs": describe.runs_described(page),
            "status": status,
            "statuses": RunStatus.choices,
            "querystring": urlencode({"status": status}),
        },
    )


@admin_required
@require_GET
def run_detail(request, pk):
    run = get_object_or_404(run_history(), pk=pk)
    text, log = describe.described(
        lambda names: (
            describe.run_text(run, names),
            [describe.log_entry(entry, names) for entry in run.log or []],
        )
    )
    return render(
        request,
        "automation/run_detail.html",
        {
            "run": run,
            "text": text,
            "log": log,
            "event_data": json.dumps(run.event.data, indent=2, default=str),
        },
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
