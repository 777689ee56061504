"""JSON API for SLA policies and working calendars."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, STAFF
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    lookup,
    page_counts,
    require_staff,
)
from partnerdesk.core.errors import DomainError
from partnerdesk.crm.models import Pipeline, Stage

from . import services
from .clock import add_target
from .models import Calendar, FirstResponseBy, Holiday, ResolutionFrom, SlaPolicy, Unit

router = Router(tags=["sla"])

UnitName = Annotated[str, OneOf(Unit)]


class TargetIn(Strict):
    amount: int = Field(
        ...,
        ge=1,
        le=10_000_000,
        description="minutes for calendar/working time, days for working days",
    )
    unit: UnitName


class PolicyOut(Schema):
    id: int
    name: str
    pipeline_id: int
    entry_stage_id: int | None
    calendar_id: int | None
    first_response_amount: int | None
    first_response_unit: str
    resolution_amount: int | None
    resolution_unit: str
    resolution_from: str
    first_response_by: str
    due_soon_percent: int


class PolicyPage(Page):
    items: list[PolicyOut]


class PolicyIn(Strict):
    name: str = Field(..., min_length=1, max_length=100)
    pipeline_id: int = Field(..., ge=1, le=MAX_ID)
    entry_stage_id: int | None = OptionalId
    calendar_id: int | None = OptionalId
    first_response: TargetIn | None = None
    resolution: TargetIn | None = None
    resolution_from: Annotated[str, OneOf(ResolutionFrom)] = "created"
    first_response_by: Annotated[str, OneOf(FirstResponseBy)] = "reply_or_move"
    due_soon_percent: int = Field(25, ge=1, le=99)


def _target(target: TargetIn | None):
    return (target.amount, target.unit) if target else (None, "calendar")


def _save_policy(request, payload: PolicyIn, policy=None):
    pipeline = lookup(Pipeline, payload.pipeline_id, "pipeline")
    if policy is not None and policy.pipeline_id != pipeline.pk:
        raise DomainError(
            code="invalid_pipeline",
            message="A policy cannot move to another pipeline.",
            field="pipeline_id",
        )
    return services.policy_save(
        by=request.auth,
        pipeline=pipeline,
        policy=policy,
        name=payload.name,
        entry_stage=lookup(Stage, payload.entry_stage_id, "entry_stage"),
        calendar=lookup(Calendar, payload.calendar_id, "calendar"),
        first_response=_target(payload.first_response),
        resolution=_target(payload.resolution),
        resolution_from=payload.resolution_from,
        first_response_by=payload.first_response_by,
        due_soon_percent=payload.due_soon_percent,
    )


@router.get("/sla-policies", auth=STAFF, response=PolicyPage)
def list_policies(request, page: Query[PageParams]):
    require_staff(request)
    qs = SlaPolicy.objects.order_by("pipeline_id", "id")
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(qs[page.offset : page.offset + page.limit]),
    }


@router.post(
    "/sla-policies",
    auth=ADMIN,
    response={201: PolicyOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def create_policy(request, payload: PolicyIn):
    require_staff(request)
    return Status(201, _save_policy(request, payload))


@router.get("/sla-policies/{policy_id}", auth=STAFF, response={200: PolicyOut, 404: Problem})
def get_policy(request, policy_id: int = Id):
    require_staff(request)
    return get_object_or_404(SlaPolicy, pk=policy_id)


@router.put(
    "/sla-policies/{policy_id}",
    auth=ADMIN,
    response={200: PolicyOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def replace_policy(request, payload: PolicyIn, policy_id: int = Id):
    require_staff(request)
    return _save_policy(request, payload, get_object_or_404(SlaPolicy, pk=policy_id))


@router.delete(
    "/sla-policies/{policy_id}", auth=ADMIN, response={204: None, 403: Problem, 404: Problem}
)
def delete_policy(request, policy_id: int = Id):
    require_staff(request)
    services.policy_delete(by=request.auth, policy=get_object_or_404(SlaPolicy, pk=policy_id))
    return Status(204, None)


class HolidayOut(Schema):
    id: int
    date: dt.date
    name: str


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    week: dict[str, list[list[str]]]
    holiday_country: str
    holiday_subdivision: str
    is_default: bool
    holidays: list[HolidayOut]


class CalendarPage(Page):
    items: list[CalendarOut]


Interval = list[str]


class CalendarIn(Strict):
    name: str = Field(..., min_length=1, max_length=100)
    timezone: str = Field(..., min_length=1, max_length=64)
    week: dict[Literal["0", "1", "2", "3", "4", "5", "6"], list[Interval]] = Field(
        ..., description='Monday = "0" … Sunday = "6": [["09:00", "13:00"], ["14:00", "18:00"]]'
    )
    holiday_country: str = Field("", max_length=2)
    holiday_subdivision: str = Field("", max_length=10)
    is_default: bool = False


class HolidayIn(Strict):
    date: dt.date
    name: str = Field("", max_length=100)


class DueIn(Strict):
    start: dt.datetime = Field(..., description="An aware date-time (with its UTC offset)")
    amount: int = Field(
        ...,
        ge=0,
        le=10_000_000,
        description="minutes for calendar/working time, days for working days",
    )
    unit: UnitName


class DueOut(Schema):
    start: dt.datetime
    due: dt.datetime


def _calendars():
    return Calendar.objects.prefetch_related("holidays")


def _week(payload: CalendarIn) -> dict:
    for intervals in payload.week.values():
        for interval in intervals:
            if len(interval) != 2:
                raise DomainError(
                    code="invalid_hours",
                    message='Each interval is a pair like ["09:00", "17:00"].',
                    field="week",
                )
    return {
        day: [list(i) for i in intervals] for day, intervals in payload.week.items() if intervals
    }


@router.get("/calendars", auth=STAFF, response=CalendarPage)
def list_calendars(request, page: Query[PageParams]):
    require_staff(request)
    qs = _calendars()
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(qs[page.offset : page.offset + page.limit]),
    }


@router.post(
    "/calendars", auth=ADMIN, response={201: CalendarOut, 403: Problem, 409: Problem, 422: Problem}
)
def create_calendar(request, payload: CalendarIn):
    require_staff(request)
    calendar = services.calendar_save(
        by=request.auth,
        name=payload.name,
        timezone=payload.timezone,
        week=_week(payload),
        holiday_country=payload.holiday_country,
        holiday_subdivision=payload.holiday_subdivision,
        is_default=payload.is_default,
    )
    return Status(201, _calendars().get(pk=calendar.pk))


@router.get("/calendars/{calendar_id}", auth=STAFF, response={200: CalendarOut, 404: Problem})
def get_calendar(request, calendar_id: int = Id):
    require_staff(request)
    return get_object_or_404(_calendars(), pk=calendar_id)


@router.put(
    "/calendars/{calendar_id}",
    auth=ADMIN,
    response={200: CalendarOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def replace_calendar(request, payload: CalendarIn, calendar_id: int = Id):
    require_staff(request)
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    services.calendar_save(
        by=request.auth,
        calendar=calendar,
        name=payload.name,
        timezone=payload.timezone,
        week=_week(payload),
        holiday_country=payload.holiday_country,
        holiday_subdivision=payload.holiday_subdivision,
        is_default=payload.is_default,
    )
    return _calendars().get(pk=calendar.pk)


@router.post(
    "/calendars/{calendar_id}/holidays",
    auth=ADMIN,
    response={201: HolidayOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def add_holiday(request, payload: HolidayIn, calendar_id: int = Id):
    require_staff(request)
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    holiday = services.holiday_add(
        by=request.auth, calendar=calendar, date=payload.date, name=payload.name
    )
    return Status(201, holiday)


@router.delete(
    "/calendars/{calendar_id}/holidays/{holiday_id}",
    auth=ADMIN,
    response={204: None, 403: Problem, 404: Problem},
)
def remove_holiday(request, calendar_id: int = Id, holiday_id: int = Id):
    require_staff(request)
    services.holiday_remove(
        by=request.auth, holiday=get_object_or_404(Holiday, pk=holiday_id, calendar_id=calendar_id)
    )
    return Status(204, None)


@router.post(
    "/calendars/{calendar_id}/due",
    auth=STAFF,
    response={200: DueOut, 404: Problem, 422: Problem},
    summary="When would a target that starts at `start` be due on this calendar?",
)
def compute_due(request, payload: DueIn, calendar_id: int = Id):
    require_staff(request)
    calendar = get_object_or_404(_calendars(), pk=calendar_id)
    if payload.start.tzinfo is None:
        raise DomainError(
            code="naive_datetime",
            message="Give the start with its UTC offset, e.g. 2026-11-22T10:00:00+02:00.",
            field="start",
        )
    try:
        due = add_target(payload.start, payload.amount, payload.unit, calendar.working_calendar())
    except (ValueError, OverflowError) as exc:
        raise DomainError(code="cannot_compute", message=str(exc), field="amount") from None
    return {"start": payload.start, "due": due}
