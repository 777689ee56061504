"""The staff task desk: triage across every client, a task's page with its actions, settings."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.accounts.models import Team, User
from partnerdesk.core import clock
from partnerdesk.core.access import admin_required, staff_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.core.pagination import CappedPaginator
from partnerdesk.core.translated import TranslatedNameFormMixin, base_name
from partnerdesk.crm.models import Company

from . import selectors, services
from .models import Plan, PortalSettings, Status, Subscription, TaskCategory
from .views import MessageForm, TaskForm


def _staff():
    return User.objects.agency_staff().order_by("full_name", "email")


class AcceptForm(DomainErrorFormMixin, forms.Form):
    estimate = forms.CharField(
        label=gettext_lazy("Time estimate"),
        max_length=40,
        help_text=gettext_lazy("Effort once work starts, e.g. 3h, 90m or 1h 30m."),
    )
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assignee"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff()


class ReasonForm(DomainErrorFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EstimateForm(DomainErrorFormMixin, forms.Form):
    estimated_completion = forms.DateTimeField(
        label=gettext_lazy("New estimated completion"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=gettext_lazy("Why it moves"), max_length=2000)


class DeliverForm(DomainErrorFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the client (optional)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StaffTaskForm(TaskForm):
    company = forms.ModelChoiceField(
        label=gettext_lazy("Client company"), queryset=Company.objects.all()
    )
    field_order = ["company", "title", "category", "description"]


class PlanChoiceForm(DomainErrorFormMixin, forms.Form):
    plan = forms.ModelChoiceField(
        label=gettext_lazy("Plan"), queryset=Plan.objects.filter(is_active=True)
    )


class PlanForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    concurrent_tasks = forms.IntegerField(
        label=gettext_lazy("Tasks worked at once"), min_value=1, max_value=50
    )
    is_active = forms.BooleanField(label=gettext_lazy("Offered"), required=False, initial=True)


class CategoryForm(TranslatedNameFormMixin, DomainErrorFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    is_consultation = forms.BooleanField(
        label=gettext_lazy("Books a consultation session"), required=False
    )
    is_active = forms.BooleanField(label=gettext_lazy("Offered"), required=False, initial=True)


class QueueSettingsForm(DomainErrorFormMixin, forms.Form):
    auto_start_next = forms.BooleanField(
        label=gettext_lazy("Start the client's next task as soon as a slot frees"), required=False
    )
    approval_reminder_days = forms.CharField(
        label=gettext_lazy("Remind clients to approve after (working days)"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Comma-separated, e.g. 2, 5."),
    )
    consultants = forms.ModelChoiceField(
        label=gettext_lazy("Consultants team"), queryset=Team.objects.all(), required=False
    )


# ---------------------------------------------------------------- triage list


@staff_required
@require_GET
def triage(request):
    now = clock.now()
    qs = selectors.triage_list(request.GET, now=now)
    counted = selectors.triage_count(request.user, request.GET, qs)
    page = CappedPaginator(qs, 25, counted=counted).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.triage_counts(now=now)
    # Start work on the accepted rows, disabled with the reason when the client has no free
    # slot: the page's clients' plans and slots in two queries, whatever the rows.
    rows = list(page.object_list)
    slots = selectors.slots_of({t.company_id for t in rows if t.status == Status.ACCEPTED})
    for row in rows:
        row.slots = slots.get(row.company_id) if row.status == Status.ACCEPTED else None
    context = {
        "page": page,
        "objects": rows,
        "querystring": query.urlencode(),
        "params": request.GET,
        "plans": Plan.objects.all(),
        "staff": _staff(),
        "statuses": Status.choices,
        "counts": counts,
        "now": now,
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "portal/staff/triage.html#results", context)
    return render(request, "portal/staff/triage.html", context)


# ---------------------------------------------------------------- one task


def _task(pk):
    return get_object_or_404(
        selectors.tasks_for_staff().select_related("company", "category"), pk=pk
    )


def _detail(request, task, status=200, **forms_):
    slots = selectors.slots_of([task.company_id])[task.company_id]
    tz = _user_tz(request.user)
    context = {
        "task": task,
        "plan": slots.plan,
        "taken": slots.taken,
        "limit": slots.limit,
        "slots": slots,
        "thread": task.messages.select_related("author").prefetch_related("attachments"),
        "attachments": task.attachments.filter(message__isnull=True),
        "events": [(e, describe(e)) for e in timeline(task, limit=50)],
        "accept_form": forms_.get("accept_form") or AcceptForm(),
        "decline_form": forms_.get("decline_form") or ReasonForm(),
        "estimate_form": forms_.get("estimate_form")
        or EstimateForm(
            initial={
                "estimated_completion": task.estimated_completion.astimezone(tz)
                if task.estimated_completion
                else None
            }
        ),
        "deliver_form": forms_.get("deliver_form") or DeliverForm(),
        "message_form": forms_.get("message_form") or MessageForm(),
    }
    return render(request, "portal/staff/detail.html", context, status=status)


def _user_tz(user):
    try:
        return zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@staff_required
@require_GET
def detail(request, pk):
    return _detail(request, _task(pk))


def _form_action(request, pk, form_class, form_name, call, success):
    task = _task(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(task, form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, success)
            return redirect("taskdesk:detail", pk=task.pk)
    return _detail(request, task, status=400, **{form_name: form})


@staff_required
@require_POST
def accept(request, pk):
    return _form_action(
        request,
        pk,
        AcceptForm,
        "accept_form",
        lambda task, data: services.task_accept(
            by=request.user,
            task=task,
            estimate_minutes=data["estimate"],
            assignee=data["assignee"],
        ),
        _("Accepted into the client's queue."),
    )


@staff_required
@require_POST
def decline(request, pk):
    return _form_action(
        request,
        pk,
        ReasonForm,
        "decline_form",
        lambda task, data: services.task_decline(by=request.user, task=task, reason=data["reason"]),
        _("Request declined."),
    )


@staff_required
@require_POST
def adjust_estimate(request, pk):
    return _form_action(
        request,
        pk,
        EstimateForm,
        "estimate_form",
        lambda task, data: services.task_adjust_estimate(
            by=request.user,
            task=task,
            estimated_completion=_aware(data["estimated_completion"], request.user),
            reason=data["reason"],
        ),
        _("Estimated completion changed."),
    )


def _aware(value: dt.datetime, user) -> dt.datetime:
    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=_user_tz(user))


@staff_required
@require_POST
def deliver(request, pk):
    return _form_action(
        request,
        pk,
        DeliverForm,
        "deliver_form",
        lambda task, data: services.task_deliver(by=request.user, task=task, note=data["note"]),
        _("Delivered: the client is asked to approve."),
    )


@staff_required
@require_POST
def message(request, pk):
    task = _task(pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_post(
                by=request.user,
                task=task,
                body=form.cleaned_data["body"],
                files=request.FILES.getlist("attachments"),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Message sent."))
            return redirect("taskdesk:detail", pk=task.pk)
    return _detail(request, task, status=400, message_form=form)


def _simple(request, pk, call, success):
    task = _task(pk)
    try:
        call(task)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect("taskdesk:detail", pk=task.pk)


@staff_required
@require_POST
def start(request, pk):
    response = _simple(
        request,
        pk,
        lambda task: services.task_start(by=request.user, task=task),
        _("Work started."),
    )
    # Started from the task list: back to the same list (its filters kept).
    back = request.POST.get("next", "")
    if back.startswith(reverse("taskdesk:triage")) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return redirect(back)
    return response


@staff_required
@require_POST
def queue_move(request, pk):
    return _simple(
        request,
        pk,
        lambda task: services.queue_move(by=request.user, task=task, to=request.POST.get("to")),
        _("Queue order saved."),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    form = StaffTaskForm(request.POST or None, initial={"company": request.GET.get("company")})
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_submit(
                by=request.user,
                company=form.cleaned_data["company"],
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                files=request.FILES.getlist("attachments"),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Task created."))
            return redirect("taskdesk:detail", pk=task.pk)
    status = 400 if form.errors else 200
    return render(request, "portal/staff/task_new.html", {"form": form}, status=status)


# ---------------------------------------------------------------- a company's plan


@staff_required
@require_http_methods(["GET", "POST"])
def company_plan(request, pk):
    company = get_object_or_404(Company, pk=pk)
    form = PlanChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_set(
                by=request.user, company=company, plan=form.cleaned_data["plan"]
            )
        except DomainError as exc:
            if exc.status == 403:
                messages.error(request, str(exc.message))
                return redirect("taskdesk:company_plan", pk=company.pk)
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Plan changed."))
            return redirect("taskdesk:company_plan", pk=company.pk)
    context = {
        "company": company,
        "form": form,
        "history": Subscription.objects.filter(company=company).select_related(
            "plan", "changed_by"
        ),
        "usage": selectors.slot_usage(company.pk),
    }
    status = 400 if form.errors else 200
    return render(request, "portal/staff/company_plan.html", context, status=status)


# ---------------------------------------------------------------- settings (admins)


@admin_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    portal_settings = PortalSettings.load()
    which = request.POST.get("form")
    plan_form = PlanForm(request.POST if which == "plan" else None, prefix="plan")
    # The category being changed (?category=<id>, then the form's category_id); else a new one.
    category_id = parse_id(
        request.POST.get("category_id") if which else request.GET.get("category")
    )
    editing = get_object_or_404(TaskCategory, pk=category_id) if category_id else None
    category_form = CategoryForm(
        request.POST if which == "category" else None,
        prefix="cat",
        initial={
            "name": base_name(editing),
            "is_consultation": editing.is_consultation,
            "is_active": editing.is_active,
        }
        if editing
        else None,
        translations=editing.name_translations if editing else None,
    )
    queue_form = QueueSettingsForm(
        request.POST if which == "queue" else None,
        prefix="queue",
        initial={
            "auto_start_next": portal_settings.auto_start_next,
            "approval_reminder_days": ", ".join(
                str(d) for d in portal_settings.approval_reminder_days
            ),
            "consultants": portal_settings.consultants_id,
        },
    )
    if request.method == "POST":
        try:
            if which == "plan" and plan_form.is_valid():
                data = plan_form.cleaned_data
                plan = None
                if parse_id(request.POST.get("plan_id")):
                    plan = get_object_or_404(Plan, pk=parse_id(request.POST.get("plan_id")))
                services.plan_save(by=request.user, plan=plan, **data)
                messages.success(request, _("Plan saved."))
                return redirect("taskdesk:settings")
            if which == "category" and category_form.is_valid():
                data = category_form.cleaned_data
                services.category_save(
                    by=request.user,
                    category=editing,
                    name=data["name"],
                    is_consultation=data["is_consultation"],
                    is_active=data["is_active"],
                    translations=category_form.cleaned_translations(),
                )
                messages.success(request, _("Category saved."))
                return redirect("taskdesk:settings")
            if which == "queue" and queue_form.is_valid():
                data = queue_form.cleaned_data
                days = [d.strip() for d in data["approval_reminder_days"].split(",") if d.strip()]
                services.settings_save(
                    by=request.user,
                    auto_start_next=data["auto_start_next"],
                    approval_reminder_days=days,
                    consultants=data["consultants"],
                )
                messages.success(request, _("Settings saved."))
                return redirect("taskdesk:settings")
        except DomainError as exc:
            form = {"plan": plan_form, "category": category_form, "queue": queue_form}[which]
            form.add_domain_error(exc)
    context = {
        "plans": Plan.objects.all(),
        "categories": TaskCategory.objects.all(),
        "plan_form": plan_form,
        "category_form": category_form,
        "editing_category": editing,
        "queue_form": queue_form,
    }
    bound = {"plan": plan_form, "category": category_form, "queue": queue_form}.get(which)
    status = 400 if bound is not None and bound.errors else 200
    return render(request, "portal/staff/settings.html", context, status=status)


@admin_required
@require_POST
def plan_toggle(request, pk):
    plan = get_object_or_404(Plan, pk=pk)
    try:
        services.plan_save(
            by=request.user,
            plan=plan,
            name=plan.name,
            concurrent_tasks=plan.concurrent_tasks,
            is_active=not plan.is_active,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("taskdesk:settings")
