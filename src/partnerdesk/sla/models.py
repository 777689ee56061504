"""Working calendars and SLA policies (the arithmetic itself is in calendar.py)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partnerdesk.core.tenancy import TenantQuerySet

from .calendar import WorkingCalendar


class Calendar(models.Model):
    """An admin-editable working calendar; ``working_calendar()`` builds the arithmetic object."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # {"0": [["09:00", "13:00"], ["14:00", "18:00"]], ...}  Monday = 0 … Sunday = 6
    week = models.JSONField(_("working hours"), default=dict)
    holiday_country = models.CharField(_("public holidays of"), max_length=2, blank=True)
    holiday_subdivision = models.CharField(_("region"), max_length=10, blank=True)
    is_default = models.BooleanField(_("agency default"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def working_calendar(self) -> WorkingCalendar:
        """Built once per saved version (the object caches its per-year tables)."""
        key = (self.pk, self.updated_at, tuple(h.pk for h in self._holidays()))
        cached = _CACHE.get(key)
        if cached is None:
            cached = WorkingCalendar(
                timezone=self.timezone,
                week={
                    int(day): [tuple(i) for i in intervals] for day, intervals in self.week.items()
                },
                holidays=[h.date for h in self._holidays()],
                holiday_country=self.holiday_country or None,
                holiday_subdivision=self.holiday_subdivision or None,
            )
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[key] = cached
        return cached

    def _holidays(self):
        if not hasattr(self, "_holiday_rows"):
            self._holiday_rows = list(self.holidays.all())
        return self._holiday_rows


_CACHE: dict[tuple, WorkingCalendar] = {}


class Holiday(models.Model):
    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="holidays", db_index=False
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Unit(models.TextChoices):
    CALENDAR = "calendar", _("calendar time")
    WORKING_TIME = "working_time", _("working time")
    WORKING_DAYS = "working_days", _("working days")


class ResolutionFrom(models.TextChoices):
    CREATED = "created", _("ticket creation")
    FIRST_RESPONSE = "first_response", _("first response")


class FirstResponseBy(models.TextChoices):
    REPLY_OR_MOVE = "reply_or_move", _("a public reply or a move out of the entry stage")
    REPLY = "reply", _("a public reply")
    MOVE = "move", _("a move out of the entry stage")


class SlaPolicy(models.Model):
    """Targets for a ticket pipeline, or for one entry stage of it (which then wins).

    Each target is an amount and a unit: minutes for calendar and working time, days for
    working days.
    """

    name = models.CharField(_("name"), max_length=100)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    pipeline = models.ForeignKey(
        "crm.Pipeline", on_delete=models.CASCADE, related_name="sla_policies", db_index=False
    )
    entry_stage = models.ForeignKey(
        "crm.Stage",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("only for tickets opened in"),
    )
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("calendar (blank: the agency default)"),
    )
    first_response_amount = models.PositiveIntegerField(
        _("first response target"), null=True, blank=True
    )
    first_response_unit = models.CharField(
        max_length=16, choices=Unit.choices, default=Unit.CALENDAR
    )
    resolution_amount = models.PositiveIntegerField(_("resolution target"), null=True, blank=True)
    resolution_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.CALENDAR)
    resolution_from = models.CharField(
        _("resolution clock starts at"),
        max_length=16,
        choices=ResolutionFrom.choices,
        default=ResolutionFrom.CREATED,
    )
    first_response_by = models.CharField(
        _("first response is"),
        max_length=16,
        choices=FirstResponseBy.choices,
        default=FirstResponseBy.REPLY_OR_MOVE,
    )
    due_soon_percent = models.PositiveSmallIntegerField(
        _("due soon when less than this percentage of the target is left"), default=25
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["pipeline", "entry_stage", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline"],
                condition=models.Q(entry_stage__isnull=True),
                name="one_pipeline_policy",
            ),
            models.UniqueConstraint(
                fields=["pipeline", "entry_stage"], name="one_policy_per_entry_stage"
            ),
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="sla_policy_unique_key"
            ),
            models.CheckConstraint(
                name="due_soon_percent_range", condition=models.Q(due_soon_percent__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return self.name


def describe_target(amount: int | None, unit: str) -> str:
    if amount is None:
        return "—"
    if unit == Unit.WORKING_DAYS:
        return ngettext("%(n)d working day", "%(n)d working days", amount) % {"n": amount}
    hours, minutes = divmod(amount, 60)
    text = f"{hours} h" + (f" {minutes} min" if minutes else "") if hours else f"{minutes} min"
    if unit == Unit.WORKING_TIME:
        return _("%(t)s of working time") % {"t": text}
    return text


def target_delta(amount: int, unit: str) -> dt.timedelta:
    return dt.timedelta(minutes=amount) if unit != Unit.WORKING_DAYS else dt.timedelta(days=amount)
