"""Writes to working calendars and SLA policies; open tickets' due times follow every change."""

from __future__ import annotations

import datetime as dt
import re

import holidays as holidays_lib
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import person, require_admin

from .calendar import WorkingCalendar
from .events import SlaEvent
from .models import Calendar, FirstResponseBy, Holiday, ResolutionFrom, SlaPolicy, Unit

INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")

# What the policy form offers: label -> (unit, minutes per amount or None for days)
AMOUNT_UNITS = {
    "calendar_minutes": (Unit.CALENDAR, 1),
    "calendar_hours": (Unit.CALENDAR, 60),
    "calendar_days": (Unit.CALENDAR, 60 * 24),
    "working_minutes": (Unit.WORKING_TIME, 1),
    "working_hours": (Unit.WORKING_TIME, 60),
    "working_days": (Unit.WORKING_DAYS, None),
}


def parse_week_text(texts: dict[int, str]) -> dict[str, list[list[str]]]:
    """{0: "09:00-13:00, 14:00-18:00", ...} -> the stored week; raises DomainError per day."""
    week = {}
    for day, text in texts.items():
        intervals = []
        for part in [p for p in re.split(r"[,;]", text or "") if p.strip()]:
            match = INTERVAL.match(part)
            if not match:
                raise DomainError(
                    code="invalid_hours",
                    message=_("Write working hours like 09:00-13:00, 14:00-18:00 (not “%(p)s”).")
                    % {"p": part.strip()},
                    field=f"day_{day}",
                )
            start, end = match.groups()
            intervals.append([start.zfill(5), end.zfill(5)])
        if intervals:
            week[str(day)] = intervals
    return week


def build_calendar(
    *,
    timezone: str,
    week: dict,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    holidays=(),
) -> WorkingCalendar:
    if holiday_country:
        supported = holidays_lib.list_supported_countries()
        if holiday_country not in supported:
            raise DomainError(
                code="invalid_country",
                message=_(
                    "Public holidays are not known for “%(c)s”; use a two-letter country code such as EG or IT."
                )
                % {"c": holiday_country},
                field="holiday_country",
            )
        if holiday_subdivision and holiday_subdivision not in supported[holiday_country]:
            raise DomainError(
                code="invalid_subdivision",
                message=_("“%(s)s” is not a region of %(c)s (known: %(known)s).")
                % {
                    "s": holiday_subdivision,
                    "c": holiday_country,
                    "known": ", ".join(supported[holiday_country]) or "—",
                },
                field="holiday_subdivision",
            )
    elif holiday_subdivision:
        raise DomainError(
            code="invalid_subdivision",
            message=_("Choose the country of the region first."),
            field="holiday_subdivision",
        )
    try:
        return WorkingCalendar(
            timezone=timezone,
            week={int(day): [tuple(i) for i in intervals] for day, intervals in week.items()},
            holidays=list(holidays),
            holiday_country=holiday_country or None,
            holiday_subdivision=holiday_subdivision or None,
        )
    except ValueError as exc:
        field = "timezone" if "zone" in str(exc).lower() else None
        raise DomainError(code="invalid_calendar", message=str(exc), field=field) from None


def _targets_changed(subject, *, by, pipeline_ids: list[int] | None = None) -> None:
    """Due times of open tickets depend on this change: say so with an event, in this transaction.
    The tickets app reacts by recomputing them (sla knows nothing of tickets)."""
    record_event(
        kind=SlaEvent.TARGETS_CHANGED,
        subject=subject,
        actor=person(by),
        data={"pipeline_ids": sorted(set(pipeline_ids)) if pipeline_ids is not None else None},
    )


def _pipelines_using(calendar: Calendar) -> list[int]:
    qs = SlaPolicy.objects.filter(calendar=calendar)
    if calendar.is_default:
        qs = SlaPolicy.objects.filter(calendar=calendar) | SlaPolicy.objects.filter(
            calendar__isnull=True
        )
    return sorted(set(qs.values_list("pipeline_id", flat=True)))


@transaction.atomic
def calendar_save(
    *,
    by,
    calendar: Calendar | None = None,
    name: str,
    timezone: str,
    week: dict,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    is_default: bool = False,
) -> Calendar:
    require_admin(by, _("Only an admin can change calendars and SLA policies."))
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A calendar needs a name."), field="name")
    holiday_country = (holiday_country or "").strip().upper()
    holiday_subdivision = (holiday_subdivision or "").strip().upper()
    build_calendar(
        timezone=timezone,
        week=week,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
    )
    creating = calendar is None
    calendar = calendar or Calendar()
    if calendar.is_default and not is_default:
        raise DomainError(
            code="default_required",
            message=_("Make another calendar the default instead."),
            field="is_default",
        )
    if is_default:
        Calendar.objects.exclude(pk=calendar.pk).filter(is_default=True).update(is_default=False)
    calendar.name, calendar.timezone, calendar.week = name, timezone, week
    calendar.holiday_country, calendar.holiday_subdivision, calendar.is_default = (
        holiday_country,
        holiday_subdivision,
        is_default,
    )
    try:
        with transaction.atomic():
            calendar.save()
    except IntegrityError:
        raise conflict(
            "duplicate_calendar",
            _("A calendar named “%(n)s” already exists.") % {"n": name},
            "name",
        ) from None
    record_event(
        kind=SlaEvent.CALENDAR_CREATED if creating else SlaEvent.CALENDAR_UPDATED,
        subject=calendar,
        actor=by,
        data={"name": name, "timezone": timezone},
    )
    if not creating:
        _targets_changed(calendar, by=by, pipeline_ids=_pipelines_using(calendar))
    elif is_default:
        _targets_changed(calendar, by=by)
    return calendar


@transaction.atomic
def holiday_add(*, by, calendar: Calendar, date: dt.date, name: str = "") -> Holiday:
    require_admin(by, _("Only an admin can change calendars and SLA policies."))
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(
                calendar=calendar, date=date, name=(name or "").strip()[:100]
            )
    except IntegrityError:
        raise conflict(
            "duplicate_holiday",
            _("%(d)s is already a holiday in this calendar.") % {"d": date.isoformat()},
            "date",
        ) from None
    Calendar.objects.filter(pk=calendar.pk).update(updated_at=dt.datetime.now(tz=dt.UTC))
    _targets_changed(calendar, by=by, pipeline_ids=_pipelines_using(calendar))
    return holiday


@transaction.atomic
def holiday_remove(*, by, holiday: Holiday) -> None:
    require_admin(by, _("Only an admin can change calendars and SLA policies."))
    calendar = holiday.calendar
    holiday.delete()
    Calendar.objects.filter(pk=calendar.pk).update(updated_at=dt.datetime.now(tz=dt.UTC))
    _targets_changed(calendar, by=by, pipeline_ids=_pipelines_using(calendar))


def to_amount(value, unit_key: str, field: str) -> tuple[int | None, str]:
    """(number, "working_hours") -> (stored amount, unit); a blank number means no target."""
    if value in (None, ""):
        return None, Unit.CALENDAR
    if unit_key not in AMOUNT_UNITS:
        raise DomainError(code="invalid_unit", message=_("Choose a unit."), field=field)
    unit, minutes = AMOUNT_UNITS[unit_key]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DomainError(
            code="invalid_amount", message=_("The target must be a number."), field=field
        ) from None
    amount = round(number * minutes) if minutes else round(number)
    if (
        number <= 0
        or amount < 1
        or amount > 10_000_000
        or (minutes is None and number != int(number))
    ):
        raise DomainError(
            code="invalid_amount",
            message=_("The target must be a positive amount (whole days for working days)."),
            field=field,
        )
    return amount, unit


@transaction.atomic
def policy_save(
    *,
    by,
    pipeline,
    policy: SlaPolicy | None = None,
    name: str,
    entry_stage=None,
    calendar=None,
    first_response: tuple[int | None, str] = (None, Unit.CALENDAR),
    resolution: tuple[int | None, str] = (None, Unit.CALENDAR),
    resolution_from: str = ResolutionFrom.CREATED,
    first_response_by: str = FirstResponseBy.REPLY_OR_MOVE,
    due_soon_percent: int = 25,
) -> SlaPolicy:
    require_admin(by, _("Only an admin can change calendars and SLA policies."))
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A policy needs a name."), field="name")
    if pipeline.object_type != "ticket":
        raise DomainError(
            code="invalid_pipeline",
            message=_("SLA policies apply to ticket pipelines."),
            field="pipeline",
        )
    if entry_stage is not None and (
        entry_stage.pipeline_id != pipeline.pk or not entry_stage.is_entry
    ):
        raise DomainError(
            code="invalid_stage",
            message=_("Choose an entry stage of this pipeline."),
            field="entry_stage",
        )
    if first_response[0] is None and resolution[0] is None:
        raise DomainError(
            code="target_required",
            message=_("Set a first-response target, a resolution target or both."),
            field="resolution_amount",
        )
    if (
        resolution_from not in ResolutionFrom.values
        or first_response_by not in FirstResponseBy.values
    ):
        raise DomainError(
            code="invalid_choice", message=_("Unknown choice."), field="resolution_from"
        )
    if not 1 <= int(due_soon_percent) <= 99:
        raise DomainError(
            code="invalid_percent",
            message=_("“Due soon” must be between 1 and 99 %."),
            field="due_soon_percent",
        )
    creating = policy is None
    policy = policy or SlaPolicy(pipeline=pipeline)
    policy.name, policy.entry_stage, policy.calendar = name, entry_stage, calendar
    policy.first_response_amount, policy.first_response_unit = first_response
    policy.resolution_amount, policy.resolution_unit = resolution
    policy.resolution_from, policy.first_response_by, policy.due_soon_percent = (
        resolution_from,
        first_response_by,
        int(due_soon_percent),
    )
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise conflict(
            "duplicate_policy",
            _("This pipeline already has a policy for that entry stage."),
            "entry_stage",
        ) from None
    record_event(
        kind=SlaEvent.POLICY_CREATED if creating else SlaEvent.POLICY_UPDATED,
        subject=policy,
        actor=by,
        data={"name": name},
    )
    _targets_changed(policy, by=by, pipeline_ids=[pipeline.pk])
    return policy


@transaction.atomic
def policy_delete(*, by, policy: SlaPolicy) -> None:
    require_admin(by, _("Only an admin can change calendars and SLA policies."))
    pipeline = policy.pipeline
    policy.delete()
    _targets_changed(pipeline, by=by, pipeline_ids=[pipeline.pk])
