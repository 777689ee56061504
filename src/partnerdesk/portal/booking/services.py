"""Booking, rescheduling and cancelling a session (either side of the task may).

"A consultant is never double-booked" is the database's unique constraint on (consultant,
start) of booked sessions, not only the check made here: booking picks the free consultant with
the fewest upcoming sessions and inserts inside a savepoint; when a concurrent booking took that
consultant first (IntegrityError) it tries the next one, and when none is left the slot is taken
(``slot_taken``, 409). Every change records an event on the task (``PortalEvent.SESSION_*``) and
emails the attendees after commit (``invitations``).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import require_party
from partnerdesk.sla.clock import agency_calendar

from ..events import PortalEvent
from ..models import CLOSED_STATUSES, ConsultationSession, Task
from .invitations import _email_later
from .slots import (
    BOOKED,
    CANCELLED,
    HORIZON,
    LEAD_TIME,
    SESSION_LENGTH,
    SESSION_MINUTES,
    Slot,
    _window,
    free_slots,
    grid,
)

AGENDA_MAX_LENGTH = 2000

# ---------------------------------------------------------------- checks


def parse_start(value) -> dt.datetime:
    """A slot start from a form or the API: an aware datetime or an ISO 8601 text with an
    offset (``2031-01-06T07:00:00+00:00`` or ``…Z``)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.datetime.fromisoformat(text) if 0 < len(text) <= 64 else None
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise DomainError(
            code="invalid_datetime",
            message=_("Choose one of the offered times."),
            field="starts_at",
        )
    return value.astimezone(dt.UTC)


def check_bookable(task: Task) -> None:
    if not task.category.is_consultation:
        raise conflict(
            "not_consultation",
            _("Sessions are booked on tasks of the category “Consultation Session”."),
        )
    if task.status in CLOSED_STATUSES:
        raise conflict(
            "task_closed",
            _("This task is %(status)s: no session can be booked on it.")
            % {"status": task.get_status_display()},
        )


def _slot(start: dt.datetime, now: dt.datetime, *, exclude_session: int | None = None) -> Slot:
    """The free slot starting at ``start``, or the error that says why it cannot be booked."""
    earliest, latest = _window(now)
    if start <= now:
        raise DomainError(
            code="slot_in_past",
            message=_("This time has passed: choose a later one."),
            field="starts_at",
        )
    if not earliest <= start <= latest:
        raise DomainError(
            code="outside_window",
            message=_("Sessions can be booked from %(hours)s hours to %(days)s days ahead.")
            % {"hours": int(LEAD_TIME.total_seconds() // 3600), "days": HORIZON.days},
            field="starts_at",
        )
    if start not in grid(agency_calendar(), start, start):
        raise DomainError(
            code="not_a_slot",
            message=_(
                "Sessions start at the offered times only (%(minutes)s minutes within the "
                "agency's working hours): choose one of them."
            )
            % {"minutes": SESSION_MINUTES},
            field="starts_at",
        )
    found = free_slots(now=now, exclude_session=exclude_session, only=start)
    if not found:
        raise _slot_taken()
    return found[0]


def slot_offer(
    starts_at, *, exclude_session: int | None = None, now: dt.datetime | None = None
) -> Slot:
    """The free slot starting at ``starts_at`` (as posted), or the ``DomainError`` that says
    why it cannot be booked: what the confirm step shows before anything is booked."""
    return _slot(parse_start(starts_at), now or clock.now(), exclude_session=exclude_session)


def consultant_order(slot: Slot, *, keep: int | None = None) -> list[int]:
    """The consultants to try for ``slot``, in order: ``keep`` first when they are free then
    (a reschedule stays with its consultant), else the least busy first."""
    candidates = list(slot.consultant_ids)
    if keep in candidates:
        candidates.remove(keep)
        candidates.insert(0, keep)
    return candidates


def clean_agenda(value) -> str:
    """The client's optional agenda or notes for the session: plain text, at most
    ``AGENDA_MAX_LENGTH`` characters."""
    text = str(value or "").replace("\x00", "").strip()
    if len(text) > AGENDA_MAX_LENGTH:
        raise DomainError(
            code="too_long",
            message=_("At most %(n)s characters.") % {"n": AGENDA_MAX_LENGTH},
            field="agenda",
        )
    return text


def _slot_taken() -> DomainError:
    return DomainError(
        code="slot_taken",
        message=_(
            "This time has just been booked by someone else and no other consultant is free "
            "then: choose another time."
        ),
        field="starts_at",
        status=409,
    )


def _locked_task(task: Task) -> Task:
    # of=("self",): lock only the task, not the joined category (shared by every consultation).
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("company", "category", "requested_by")
        .get(pk=task.pk)
    )


def _locked_session(session: ConsultationSession) -> ConsultationSession:
    return (
        ConsultationSession.objects.select_for_update(of=("self",))
        .select_related("consultant", "booked_by")
        .get(pk=session.pk)
    )


# ---------------------------------------------------------------- writes


def session_book(
    *, by, task: Task, starts_at, agenda: str = "", now: dt.datetime | None = None
) -> ConsultationSession:
    """Book the free slot starting at ``starts_at`` on a consultation task. The optional
    ``agenda`` travels in the invitations (``agenda.session_book_with_agenda`` also posts it
    on the task's thread)."""
    require_party(by, task.company_id)
    now = now or clock.now()
    start = parse_start(starts_at)
    agenda = clean_agenda(agenda)
    with transaction.atomic():
        task = _locked_task(task)
        check_bookable(task)
        if ConsultationSession.objects.filter(task=task, status=BOOKED).exists():
            raise conflict(
                "already_booked",
                _("A session is already booked on this task: reschedule it instead."),
            )
        slot = _slot(start, now)
        session = None
        for consultant_id in consultant_order(slot):
            try:
                with transaction.atomic():
                    session = ConsultationSession.objects.create(
                        task=task,
                        consultant_id=consultant_id,
                        starts_at=start,
                        ends_at=start + SESSION_LENGTH,
                        booked_by=by,
                    )
                break
            except IntegrityError:
                continue  # a concurrent booking took this consultant: try the next one
        if session is None:
            raise _slot_taken()
        session = ConsultationSession.objects.select_related("consultant", "booked_by").get(
            pk=session.pk
        )
        # The agenda is the client's text: in the invitations, not in the event (which feeds
        # automations and webhooks); ``agenda.session_book_with_agenda`` keeps it on the thread.
        _event(task, PortalEvent.SESSION_BOOKED, by, session)
        _email_later(task, session, "booked", by=by, agenda=agenda)
    return session


def session_reschedule(
    *, by, session: ConsultationSession, starts_at, now: dt.datetime | None = None
) -> ConsultationSession:
    """Move a booked session to another free slot: with the same consultant when they are
    free then, else with another one. The invitation's SEQUENCE goes up."""
    task = session.task
    require_party(by, task.company_id)
    now = now or clock.now()
    start = parse_start(starts_at)
    with transaction.atomic():
        task = _locked_task(task)
        session = _locked_session(session)
        if session.status != BOOKED:
            raise conflict("not_booked", _("This session was cancelled: book a new one."))
        check_bookable(task)
        if start == session.starts_at:
            raise DomainError(
                code="same_time",
                message=_("The session is already at this time: choose another one."),
                field="starts_at",
            )
        slot = _slot(start, now, exclude_session=session.pk)
        previous_consultant, previous_start = session.consultant_id, session.starts_at
        moved = False
        for consultant_id in consultant_order(slot, keep=previous_consultant):
            try:
                with transaction.atomic():
                    ConsultationSession.objects.filter(pk=session.pk).update(
                        consultant_id=consultant_id,
                        starts_at=start,
                        ends_at=start + SESSION_LENGTH,
                        sequence=F("sequence") + 1,
                    )
                moved = True
                break
            except IntegrityError:
                continue
        if not moved:
            raise _slot_taken()
        session = ConsultationSession.objects.select_related("consultant", "booked_by").get(
            pk=session.pk
        )
        _event(
            task,
            PortalEvent.SESSION_RESCHEDULED,
            by,
            session,
            previous_starts_at=previous_start.isoformat(),
            previous_consultant_id=previous_consultant,
        )
        _email_later(
            task,
            session,
            "rescheduled",
            by=by,
            previous_start=previous_start,
            previous_consultant_id=previous_consultant,
        )
    return session


def session_cancel(
    *, by, session: ConsultationSession, now: dt.datetime | None = None
) -> ConsultationSession:
    """Cancel a booked session (either side); its slot is free again at once."""
    task = session.task
    require_party(by, task.company_id)
    now = now or clock.now()
    with transaction.atomic():
        task = Task.objects.select_related("company", "category", "requested_by").get(pk=task.pk)
        session = _locked_session(session)
        if session.status != BOOKED:
            raise conflict("not_booked", _("This session is already cancelled."))
        _cancel(task, session, by=by, now=now)
    return session


def _cancel(task: Task, session: ConsultationSession, *, by, now: dt.datetime) -> None:
    """Cancel a locked, booked session: the event now, the emails after commit."""
    session.status = CANCELLED
    session.cancelled_at = now
    session.sequence += 1
    session.save(update_fields=["status", "cancelled_at", "sequence"])
    _event(task, PortalEvent.SESSION_CANCELLED, by, session)
    _email_later(task, session, "cancelled", by=by)


def cancel_sessions_of_closed_task(task: Task, *, by, now: dt.datetime | None = None) -> int:
    """A declined or withdrawn consultation frees its upcoming sessions: each is cancelled
    with the usual event and emails, inside the caller's transaction."""
    now = now or clock.now()
    upcoming = (
        ConsultationSession.objects.select_for_update(of=("self",))
        .select_related("consultant", "booked_by")
        .filter(task=task, status=BOOKED, starts_at__gt=now)
    )
    cancelled = 0
    for session in upcoming:
        _cancel(task, session, by=by, now=now)
        cancelled += 1
    return cancelled


def _event(task: Task, kind: PortalEvent, by, session: ConsultationSession, **data) -> None:
    record_event(
        kind=kind,
        subject=task,
        actor=by,
        company_id=task.company_id,
        data={
            "title": task.title,
            "status": task.status,
            "session_id": session.pk,
            "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(),
            "consultant_id": session.consultant_id,
            "consultant": session.consultant.display_name,
            "sequence": session.sequence,
            **data,
        },
    )
