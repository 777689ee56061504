"""Admin pages for working calendars (with a live preview) and SLA policies."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core import clock
from partnerdesk.core.access import admin_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.crm.models import Pipeline, Stage

from . import services
from .models import (
    Calendar,
    FirstResponseBy,
    Holiday,
    ResolutionFrom,
    SlaPolicy,
    Unit,
    describe_target,
)

WEEKDAYS = [
    (6, gettext_lazy("Sunday")),
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
]
TIMEZONES = sorted(zoneinfo.available_timezones())


class CalendarForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    timezone = forms.ChoiceField(
        choices=[(z, z) for z in TIMEZONES], label=gettext_lazy("Time zone")
    )
    holiday_country = forms.CharField(
        max_length=2,
        required=False,
        label=gettext_lazy("Public holidays of (country code)"),
        help_text=gettext_lazy("For example EG, IT, AE. Blank: no public holidays."),
    )
    holiday_subdivision = forms.CharField(
        max_length=10, required=False, label=gettext_lazy("Region (optional)")
    )
    is_default = forms.BooleanField(
        required=False, label=gettext_lazy("The agency's default calendar")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAYS:
            self.fields[f"day_{day}"] = forms.CharField(
                required=False,
                label=label,
                widget=forms.TextInput(attrs={"placeholder": "09:00-13:00, 14:00-18:00"}),
            )

    def week(self) -> dict:
        return services.parse_week_text(
            {day: self.cleaned_data.get(f"day_{day}", "") for day, _label in WEEKDAYS}
        )


def _calendar_initial(calendar: Calendar) -> dict:
    initial = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
        "is_default": calendar.is_default,
    }
    for day, _label in WEEKDAYS:
        initial[f"day_{day}"] = ", ".join(f"{s}-{e}" for s, e in calendar.week.get(str(day), []))
    return initial


@admin_required
@require_http_methods(["GET", "POST"])
def calendar_list(request):
    form = CalendarForm(
        request.POST or None,
        initial={
            "timezone": "Africa/Cairo",
            "day_6": "09:00-17:00",
            "day_0": "09:00-17:00",
            "day_1": "09:00-17:00",
            "day_2": "09:00-17:00",
            "day_3": "09:00-17:00",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            calendar = services.calendar_save(
                by=request.user,
                name=data["name"],
                timezone=data["timezone"],
                week=form.week(),
                holiday_country=data["holiday_country"],
                holiday_subdivision=data["holiday_subdivision"],
                is_default=data["is_default"],
            )
            messages.success(request, _("Calendar created."))
            return redirect("sla:calendar_edit", pk=calendar.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "sla/calendar_list.html",
        {"calendars": Calendar.objects.all(), "form": form},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk):
    calendar = get_object_or_404(Calendar, pk=pk)
    form = CalendarForm(
        request.POST if request.POST.get("action") == "save" else None,
        initial=_calendar_initial(calendar),
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "save" and form.is_valid():
                data = form.cleaned_data
                services.calendar_save(
                    by=request.user,
                    calendar=calendar,
                    name=data["name"],
                    timezone=data["timezone"],
                    week=form.week(),
                    holiday_country=data["holiday_country"],
                    holiday_subdivision=data["holiday_subdivision"],
                    is_default=data["is_default"],
                )
                messages.success(
                    request, _("Calendar saved. Open tickets' due times are being updated.")
                )
                return redirect("sla:calendar_edit", pk=pk)
            if action == "add_holiday":
                try:
                    date = dt.date.fromisoformat(request.POST.get("date", ""))
                except ValueError:
                    raise DomainError(
                        code="invalid_date", message=_("Pick a date for the holiday."), field="date"
                    ) from None
                services.holiday_add(
                    by=request.user,
                    calendar=calendar,
                    date=date,
                    name=request.POST.get("holiday_name", ""),
                )
                messages.success(request, _("Holiday added."))
                return redirect("sla:calendar_edit", pk=pk)
            if action == "remove_holiday":
                holiday = get_object_or_404(
                    Holiday, pk=parse_id(request.POST.get("holiday")), calendar=calendar
                )
                services.holiday_remove(by=request.user, holiday=holiday)
                messages.success(request, _("Holiday removed."))
                return redirect("sla:calendar_edit", pk=pk)
        except DomainError as exc:
            if action == "save":
                form.add_domain_error(exc)
            else:
                messages.error(request, str(exc))
    return render(
        request,
        "sla/calendar_edit.html",
        {
            "calendar": calendar,
            "form": form,
            "holidays": calendar.holidays.all(),
            "preview": _preview(calendar.working_calendar()),
        },
        status=400 if form.errors else 200,
    )


def _preview(cal, now=None) -> dict:
    now = now or clock.now()
    local = now.astimezone(cal.timezone)
    try:
        rows = [
            (_("8 working hours"), cal.add_working_time(now, dt.timedelta(hours=8))),
            (_("1 working day"), cal.add_working_days(now, 1)),
            (_("3 working days"), cal.add_working_days(now, 3)),
        ]
        error = None
    except ValueError as exc:
        rows, error = [], str(exc)
    upcoming = []
    day = local.date()
    for offset in range(0, 120):
        candidate = day + dt.timedelta(days=offset)
        if cal.is_holiday(candidate):
            upcoming.append(candidate)
            if len(upcoming) == 5:
                break
    return {
        "tz": str(cal.timezone),
        "now": local,
        "rows": [(label, due.astimezone(cal.timezone)) for label, due in rows],
        "error": error,
        "working_now": cal.is_working(now),
        "holidays": upcoming,
    }


@admin_required
@require_GET
def calendar_preview(request):
    """Live preview of the unsaved form: "a ticket opened now would be due at …"."""
    form = CalendarForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    try:
        cal = services.build_calendar(
            timezone=data.get("timezone") or request.GET.get("timezone", "UTC"),
            week=form.week(),
            holiday_country=(data.get("holiday_country") or "").upper(),
            holiday_subdivision=(data.get("holiday_subdivision") or "").upper(),
            holidays=Holiday.objects.filter(
                calendar_id=parse_id(request.GET.get("calendar"))
            ).values_list("date", flat=True),
        )
        preview = _preview(cal)
    except DomainError as exc:
        preview = {"error": exc.message, "rows": []}
    return render(request, "sla/_preview.html", {"preview": preview})


class PolicyForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    entry_stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        required=False,
        label=gettext_lazy("Only for tickets opened in"),
        empty_label=gettext_lazy("Every request type of the pipeline"),
    )
    calendar = forms.ModelChoiceField(
        queryset=Calendar.objects.all(),
        required=False,
        label=gettext_lazy("Calendar"),
        empty_label=gettext_lazy("The agency default"),
    )
    first_response_value = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        label=gettext_lazy("First response target"),
    )
    first_response_unit = forms.ChoiceField(choices=[], label=gettext_lazy("Unit"))
    resolution_value = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        label=gettext_lazy("Resolution target"),
    )
    resolution_unit = forms.ChoiceField(choices=[], label=gettext_lazy("Unit"))
    resolution_from = forms.ChoiceField(
        choices=ResolutionFrom.choices, label=gettext_lazy("Resolution clock starts at")
    )
    first_response_by = forms.ChoiceField(
        choices=FirstResponseBy.choices, label=gettext_lazy("First response is")
    )
    due_soon_percent = forms.IntegerField(
        min_value=1,
        max_value=99,
        initial=25,
        label=gettext_lazy("“Due soon” when less than this percentage of the target is left"),
    )

    def __init__(self, *args, pipeline: Pipeline, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry_stage"].queryset = pipeline.stages.filter(is_entry=True)
        units = [
            ("calendar_hours", _("calendar hours")),
            ("calendar_days", _("calendar days")),
            ("calendar_minutes", _("calendar minutes")),
            ("working_hours", _("working hours")),
            ("working_minutes", _("working minutes")),
            ("working_days", _("working days")),
        ]
        self.fields["first_response_unit"].choices = units
        self.fields["resolution_unit"].choices = units


def _unit_initial(amount, unit) -> tuple:
    if amount is None:
        return None, "calendar_hours"
    if unit == Unit.WORKING_DAYS:
        return amount, "working_days"
    prefix = "working" if unit == Unit.WORKING_TIME else "calendar"
    if unit == Unit.CALENDAR and amount % (60 * 24) == 0:
        return amount // (60 * 24), "calendar_days"
    if amount % 60 == 0:
        return amount // 60, f"{prefix}_hours"
    return amount, f"{prefix}_minutes"


@admin_required
@require_GET
def policy_list(request):
    pipelines = Pipeline.objects.filter(object_type="ticket").prefetch_related(
        "sla_policies__entry_stage", "sla_policies__calendar"
    )
    rows = [
        {
            "pipeline": pipeline,
            "policy": policy,
            "first_response": describe_target(
                policy.first_response_amount, policy.first_response_unit
            ),
            "resolution": describe_target(policy.resolution_amount, policy.resolution_unit),
        }
        for pipeline in pipelines
        for policy in pipeline.sla_policies.all()
    ]
    return render(request, "sla/policy_list.html", {"rows": rows, "pipelines": pipelines})


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pipeline_pk, pk=None):
    pipeline = get_object_or_404(Pipeline, pk=pipeline_pk, object_type="ticket")
    policy = get_object_or_404(SlaPolicy, pk=pk, pipeline=pipeline) if pk else None
    initial = {
        "name": pipeline.name,
        "resolution_from": ResolutionFrom.CREATED,
        "due_soon_percent": 25,
    }
    if policy:
        fr, fr_unit = _unit_initial(policy.first_response_amount, policy.first_response_unit)
        res, res_unit = _unit_initial(policy.resolution_amount, policy.resolution_unit)
        initial = {
            "name": policy.name,
            "entry_stage": policy.entry_stage_id,
            "calendar": policy.calendar_id,
            "first_response_value": fr,
            "first_response_unit": fr_unit,
            "resolution_value": res,
            "resolution_unit": res_unit,
            "resolution_from": policy.resolution_from,
            "first_response_by": policy.first_response_by,
            "due_soon_percent": policy.due_soon_percent,
        }
    form = PolicyForm(request.POST or None, pipeline=pipeline, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.policy_save(
                by=request.user,
                pipeline=pipeline,
                policy=policy,
                name=data["name"],
                entry_stage=data["entry_stage"],
                calendar=data["calendar"],
                first_response=services.to_amount(
                    data["first_response_value"],
                    data["first_response_unit"],
                    "first_response_value",
                ),
                resolution=services.to_amount(
                    data["resolution_value"], data["resolution_unit"], "resolution_value"
                ),
                resolution_from=data["resolution_from"],
                first_response_by=data["first_response_by"],
                due_soon_percent=data["due_soon_percent"],
            )
            messages.success(request, _("Policy saved. Open tickets' due times are being updated."))
            return redirect("sla:policy_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "sla/policy_form.html",
        {"form": form, "pipeline": pipeline, "policy": policy},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def policy_delete(request, pipeline_pk, pk):
    policy = get_object_or_404(SlaPolicy, pk=pk, pipeline_id=pipeline_pk)
    services.policy_delete(by=request.user, policy=policy)
    messages.success(request, _("Policy deleted."))
    return redirect("sla:policy_list")
