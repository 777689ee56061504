"""What every report is filtered by: a date range (a preset or custom), a grain for the figures
over time, and the filters a report offers (pipeline, request type, company, plan, owner, team,
task category). One form parses them for the page, the CSV and the API, so a report's URL keeps
its filters and the three give the same figures.

Who sees what (the ``Scope``): managers and admins see the whole agency; an agent sees the work
owned by them and by the members of their teams; a client user sees their own company only
(the reports that are offered to clients, through the API).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import Team
from partnerdesk.core.widgets import FastSelect
from partnerdesk.crm.models import Company, ObjectType, Pipeline, Stage
from partnerdesk.portal.models import Plan, TaskCategory

# The longest range a report covers (longer ones would stop being "fast at a million tickets").
MAX_DAYS = 731


class Preset:
    LAST_7 = "7d"
    LAST_30 = "30d"
    LAST_90 = "90d"
    THIS_QUARTER = "quarter"
    CUSTOM = "custom"

    CHOICES = [
        (LAST_7, _("Last 7 days")),
        (LAST_30, _("Last 30 days")),
        (LAST_90, _("Last 90 days")),
        (THIS_QUARTER, _("This quarter")),
        (CUSTOM, _("Custom")),
    ]


GRAINS = [("week", _("By week")), ("month", _("By month"))]

# The filter fields a report may offer (``Report.filters``), in the order the form shows them.
FILTER_FIELDS = ("pipeline", "request_type", "category", "company", "plan", "owner", "team")


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day (both included) a preset covers, ending today."""
    if preset == Preset.THIS_QUARTER:
        first_month = 3 * ((today.month - 1) // 3) + 1
        return today.replace(month=first_month, day=1), today
    days = {Preset.LAST_7: 7, Preset.LAST_30: 30, Preset.LAST_90: 90}[preset]
    return today - dt.timedelta(days=days - 1), today


@dataclass(frozen=True)
class Scope:
    """The rows a viewer may count: None means no restriction."""

    owner_ids: frozenset[int] | None = None  # agents: themselves and their teams' members
    company_id: int | None = None  # client users: their company

    @classmethod
    def for_user(cls, user) -> Scope:
        if user.is_client:
            return cls(company_id=user.company_id or 0)
        if user.is_manager_or_admin:
            return cls()
        mates = (
            get_user_model()
            .objects.filter(teams__members=user)
            .values_list("pk", flat=True)
            .distinct()
        )
        return cls(owner_ids=frozenset({user.pk, *mates}))


@dataclass(frozen=True)
class ReportFilters:
    start: dt.date
    end: dt.date  # included
    preset: str = Preset.LAST_30
    grain: str = "week"
    pipeline: int | None = None
    request_type: int | None = None  # an entry stage of a ticket pipeline
    category: int | None = None  # a portal task category
    company: int | None = None
    plan: int | None = None
    owner: int | None = None
    team: int | None = None
    # How the report groups its main table, of its ``Report.groups`` (None: it has no choice).
    group: str | None = None

    @property
    def since(self) -> dt.datetime:
        """The range's first instant, in the viewer's time zone."""
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def until(self) -> dt.datetime:
        """The instant after the range (exclusive)."""
        return timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        )

    def as_params(self) -> dict[str, str]:
        """The query parameters that give these filters back (the report's stable URL)."""
        params = {"preset": self.preset, "grain": self.grain}
        if self.preset == Preset.CUSTOM:
            params |= {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in FILTER_FIELDS:
            if (value := getattr(self, name)) is not None:
                params[name] = str(value)
        if self.group is not None:
            params["group"] = self.group
        return params


class FilterForm(forms.Form):
    """The filters of one report (only the fields it offers), from the query string."""

    preset = forms.ChoiceField(label=_("Dates"), choices=Preset.CHOICES, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    grain = forms.ChoiceField(label=_("Over time"), choices=GRAINS, required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.none(),
        required=False,
        empty_label=_("Every pipeline"),
    )
    request_type = forms.ModelChoiceField(
        label=_("Request type"),
        queryset=Stage.objects.none(),
        required=False,
        empty_label=_("Every request type"),
    )
    category = forms.ModelChoiceField(
        label=_("Task category"),
        queryset=TaskCategory.objects.none(),
        required=False,
        empty_label=_("Every category"),
    )
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.none(),
        required=False,
        empty_label=_("Every company"),
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.none(), required=False, empty_label=_("Every plan")
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Everybody"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Every team")
    )

    def __init__(
        self,
        data,
        *,
        offered: tuple[str, ...],
        groups: tuple[tuple[str, Any], ...] = (),
        today: dt.date | None = None,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()
        self.groups = groups
        if groups:  # the report's ways to group its main table, the first by default
            self.fields["group"] = forms.ChoiceField(
                label=_("Group by"), choices=groups, required=False
            )
        for name in FILTER_FIELDS:
            if name not in offered:
                del self.fields[name]
        querysets = {
            "pipeline": Pipeline.objects.filter(object_type=ObjectType.TICKET, archived=False),
            "request_type": Stage.objects.filter(
                is_entry=True, pipeline__object_type=ObjectType.TICKET
            ).select_related("pipeline"),
            "category": TaskCategory.objects.all(),
            "company": Company.objects.order_by("name").only("pk", "name"),
            "plan": Plan.objects.all(),
            "owner": get_user_model().objects.agency_staff().order_by("full_name", "email"),
            "team": Team.objects.all(),
        }
        for name, queryset in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]
                # Thousands of companies: one string, not a template per option.
                self.fields[name].widget = FastSelect(choices=self.fields[name].choices)  # type: ignore[attr-defined]
        if "request_type" in self.fields:
            self.fields["request_type"].label_from_instance = (  # type: ignore[attr-defined]
                lambda stage: f"{stage.pipeline.name} · {stage.request_name or stage.name}"
            )

    def clean(self):
        data = super().clean()
        preset = data.get("preset") or Preset.LAST_30
        data["preset"] = preset
        data["grain"] = data.get("grain") or "week"
        if self.groups:
            data["group"] = data.get("group") or self.groups[0][0]
        if preset == Preset.CUSTOM:
            start, end = data.get("start"), data.get("end")
            if start is None and "start" not in self.errors:
                self.add_error("start", _("Give the first day of a custom range."))
            if end is None and "end" not in self.errors:
                self.add_error("end", _("Give the last day of a custom range."))
            if start and end:
                if end < start:
                    self.add_error("end", _("The last day comes before the first."))
                elif (end - start).days >= MAX_DAYS:
                    self.add_error(
                        "end", _("A report covers at most %(days)d days.") % {"days": MAX_DAYS}
                    )
        else:
            data["start"], data["end"] = preset_range(preset, self.today)
        return data

    def filters(self) -> ReportFilters:
        """The valid filters (call after ``is_valid()``)."""
        data = self.cleaned_data
        values = {
            name: data[name].pk
            for name in FILTER_FIELDS
            if name in self.fields and data.get(name) is not None
        }
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            preset=data["preset"],
            grain=data["grain"],
            group=data.get("group"),
            **values,
        )


def default_filters(today: dt.date | None = None) -> ReportFilters:
    start, end = preset_range(Preset.LAST_30, today or timezone.localdate())
    return ReportFilters(start=start, end=end)
