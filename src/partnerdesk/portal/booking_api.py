"""The consultation-session API: free slots, book, cancel, reschedule, list.

Same services as the pages (the booking package). A client user sees and changes only the sessions of
their company's tasks (another company's task or session is a 404, like a missing id); staff
see all of them. Refusals are JSON problems with a stable code (``slot_taken`` 409, …).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from partnerdesk.core import clock
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    UserRef,
    page_counts,
)
from partnerdesk.sla.clock import agency_calendar

from . import booking, selectors
from .booking.agenda import session_book_with_agenda
from .models import SessionStatus

router = Router(tags=["consultation sessions"])


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime


class SlotList(Schema):
    task_id: int
    duration_minutes: int
    timezone: str = Field(..., description="The agency calendar's time zone (times are UTC)")
    items: list[SlotOut]


class SessionOut(Schema):
    id: int
    task_id: int
    task_title: str
    company_id: int
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    consultant: UserRef
    booked_by: UserRef | None
    sequence: int
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class SessionPage(Page):
    items: list[SessionOut]


class SessionIn(Strict):
    starts_at: dt.datetime = Field(
        ..., description="The start of a free slot, with its offset (from GET …/slots)"
    )


class SessionBookIn(SessionIn):
    agenda: str = Field(
        "",
        max_length=booking.AGENDA_MAX_LENGTH,
        description="Optional: what to cover. It travels in the invitations and is posted on "
        "the task's thread as the booker's message.",
    )


class SessionFilters(Schema):
    status: Annotated[str, OneOf(SessionStatus)] | None = None
    task_id: int | None = Field(None, ge=1, le=MAX_ID)
    upcoming: bool = Field(False, description="Only sessions that have not ended yet")


def session_out(session) -> dict:
    return {
        "id": session.pk,
        "task_id": session.task_id,
        "task_title": session.task.title,
        "company_id": session.task.company_id,
        "status": session.status,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "consultant": session.consultant,
        "booked_by": session.booked_by,
        "sequence": session.sequence,
        "created_at": session.created_at,
        "cancelled_at": session.cancelled_at,
    }


def _reload(request, session) -> dict:
    return session_out(booking.session_for(request.auth, session.pk))


@router.get(
    "/tasks/{task_id}/slots",
    response={200: SlotList, 404: Problem, 409: Problem},
    summary="Free consultation slots for a task (45 minutes, 2 hours to 21 days ahead)",
)
def list_slots(request, task_id: int = Id):
    task = selectors.task_for(request.auth, task_id)
    booking.check_bookable(task)
    slots = booking.free_slots()
    return {
        "task_id": task.pk,
        "duration_minutes": booking.SESSION_MINUTES,
        "timezone": agency_calendar().timezone.key,
        "items": [{"starts_at": s.starts_at, "ends_at": s.ends_at} for s in slots],
    }


@router.post(
    "/tasks/{task_id}/sessions",
    response={201: SessionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Book a consultation session (409 slot_taken when someone was faster)",
)
def book_session(request, payload: SessionBookIn, task_id: int = Id):
    task = selectors.task_for(request.auth, task_id)
    session = session_book_with_agenda(
        by=request.auth, task=task, starts_at=payload.starts_at, agenda=payload.agenda
    )
    return Status(201, _reload(request, session))


@router.post(
    "/sessions/{session_id}/reschedule",
    response={200: SessionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Move a booked session to another free slot",
)
def reschedule_session(request, payload: SessionIn, session_id: int = Id):
    session = booking.session_for(request.auth, session_id)
    session = booking.session_reschedule(
        by=request.auth, session=session, starts_at=payload.starts_at
    )
    return _reload(request, session)


@router.post(
    "/sessions/{session_id}/cancel",
    response={200: SessionOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Cancel a booked session",
)
def cancel_session(request, session_id: int = Id):
    session = booking.session_for(request.auth, session_id)
    session = booking.session_cancel(by=request.auth, session=session)
    return _reload(request, session)


@router.get(
    "/sessions",
    response=SessionPage,
    summary="Consultation sessions you can see (a client: their company's)",
)
def list_sessions(request, filters: Query[SessionFilters], page: Query[PageParams]):
    qs = booking.sessions_for(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.task_id:
        qs = qs.filter(task_id=filters.task_id)
    if filters.upcoming:
        qs = qs.filter(ends_at__gt=clock.now())
    qs = qs.order_by("starts_at", "id")
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [session_out(s) for s in items],
    }
