"""Client portal task pages: the company's tasks and queue, submitting, approving, messages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core import clock
from partnerdesk.core.access import client_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.core.pagination import CappedPaginator
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm import selectors as crm_selectors

from . import selectors, services
from .models import CLOSED_STATUSES, OPEN_STATUSES, SLOT_STATUSES, Attachment, Status, TaskCategory


class TaskForm(DomainErrorFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("What do you need?"), max_length=200)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=TaskCategory.objects.filter(is_active=True)
    )
    description = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Not sure of every detail? Submit anyway: we ask during triage."),
    )


class MessageForm(DomainErrorFormMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


def _files(request):
    return request.FILES.getlist("attachments")


@client_required
@require_GET
def home(request):
    """The client's start page: what needs them first (tasks to approve, questions from us),
    then their tasks at a glance, services, company and colleagues."""
    user = request.user
    company = crm_selectors.company_detail(user, user.company_id)
    counts = selectors.status_counts(user.company_id)
    return render(
        request,
        "portal/home.html",
        {
            "company": company,
            "contacts": crm_selectors.contacts_for(user)[:100],
            "deals": crm_selectors.deals_for(user).prefetch_related("line_items__product")[:50],
            "colleagues": company.users.filter(is_active=True),
            "counts": counts,
            "in_progress": sum(counts.get(status, 0) for status in SLOT_STATUSES),
            "plan": selectors.current_plan(user.company_id),
            "attention": selectors.waiting_on_client(user)[:10],
        },
    )


@client_required
@require_GET
def task_list(request):
    user = request.user
    tasks = selectors.tasks_for(user)
    # Open and closed by ``status IN``: the index of the company's tasks by status (and the
    # partial index task_closed_newest) reads these rows alone, never the closed history.
    open_tasks = list(tasks.filter(status__in=OPEN_STATUSES).order_by("created_at", "id"))
    closed = CappedPaginator(
        tasks.filter(status__in=CLOSED_STATUSES).order_by("-closed_at", "-id"), 20
    ).get_page(request.GET.get("page"))
    taken, limit = selectors.slot_usage(user.company_id)
    context = {
        "triage": [t for t in open_tasks if t.status == Status.TRIAGE],
        "queue": selectors.queue_forecast(user.company_id),
        "working": [t for t in open_tasks if t.status == Status.WORKING],
        "pending": [t for t in open_tasks if t.status == Status.PENDING_APPROVAL],
        "closed": closed,
        "plan": selectors.current_plan(user.company_id),
        "taken": taken,
        "limit": limit,
        "now": clock.now(),
    }
    return render(request, "portal/task_list.html", context)


@client_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    # Prefilled from the query string: the help center's "Go on with my request" returns here.
    initial = {
        k: request.GET[k][:20000] for k in ("title", "category", "description") if k in request.GET
    }
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_submit(
                by=request.user,
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                files=_files(request),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            if task.category.is_consultation:  # as the form says: choose the time right away
                messages.success(
                    request,
                    _("Request submitted. Now choose a time for your consultation session."),
                )
                return redirect("portal:session_book", pk=task.pk)
            messages.success(request, _("Request submitted. We will look at it shortly."))
            return redirect("portal:task_detail", pk=task.pk)
    status = 400 if form.errors else 200
    return render(request, "portal/task_new.html", {"form": form}, status=status)


@client_required
@require_GET
def task_detail(request, pk):
    task = selectors.task_for(request.user, pk)
    return _detail(request, task, MessageForm())


def _detail(request, task, message_form, status=200):
    forecast = None
    if task.status == Status.ACCEPTED:
        forecast = next(
            (f for f in selectors.queue_forecast(task.company_id) if f.task.pk == task.pk), None
        )
    context = {
        "task": task,
        "forecast": forecast,
        "thread": task.messages.select_related("author").prefetch_related("attachments"),
        "attachments": task.attachments.filter(message__isnull=True),
        "message_form": message_form,
        "now": clock.now(),
    }
    return render(request, "portal/task_detail.html", context, status=status)


def _act(request, pk, action, success: str):
    task = selectors.task_for(request.user, pk)
    try:
        action(task)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect("portal:task_detail", pk=task.pk)


@client_required
@require_POST
def task_approve(request, pk):
    return _act(
        request,
        pk,
        lambda task: services.task_approve(by=request.user, task=task),
        _("Approved: the task is complete. Thank you!"),
    )


@client_required
@require_POST
def task_withdraw(request, pk):
    return _act(
        request,
        pk,
        lambda task: services.task_withdraw(by=request.user, task=task),
        _("Request withdrawn."),
    )


@client_required
@require_POST
def task_request_changes(request, pk):
    task = selectors.task_for(request.user, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.task_request_changes(
                by=request.user,
                task=task,
                message=form.cleaned_data["body"],
                files=_files(request),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Sent back with your changes."))
            return redirect("portal:task_detail", pk=task.pk)
    messages.error(request, _("Say what should change before sending the task back."))
    return _detail(request, task, form, status=400)


@client_required
@require_POST
def task_message(request, pk):
    task = selectors.task_for(request.user, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_post(
                by=request.user, task=task, body=form.cleaned_data["body"], files=_files(request)
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Message sent."))
            return redirect("portal:task_detail", pk=task.pk)
    return _detail(request, task, form, status=400)


@client_required
@require_POST
def queue_reorder(request):
    """Either the whole order (``order``: ids, from drag and drop) or one task to a position
    (``task`` + ``to``: the move buttons, which work without JavaScript)."""
    user = request.user
    try:
        if "order" in request.POST:
            ids = [parse_id(v) for v in request.POST.getlist("order")]
            services.queue_reorder(by=user, company=user.company, task_ids=ids)
        elif parse_id(request.POST.get("task")) is None:
            raise DomainError(code="required", message=_("Choose a task to move."), field="task")
        else:
            task = selectors.task_for(user, parse_id(request.POST.get("task")))
            services.queue_move(by=user, task=task, to=request.POST.get("to"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Queue order saved."))
    return redirect("portal:task_list")


@login_required
@require_GET
def attachment(request, pk):
    """A task's file, for those who may see the task (staff, or users of its company)."""
    item = get_object_for_user_or_404(
        Attachment.objects.select_related("task"), request.user, pk=pk
    )
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    response = FileResponse(handle, as_attachment=True, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
