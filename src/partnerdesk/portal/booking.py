"""Consultation sessions: free slots, booking, rescheduling, cancelling, and their emails.

A session lasts 45 minutes and starts on a fixed grid: in each working interval of each working
date of the agency's calendar (local time of the calendar), at the interval's start and every
45 minutes after it while the whole session fits in the interval. Slots are offered from two
hours from now up to 21 days ahead.

A slot is free when at least one consultant has no booked session overlapping it. Consultants
are the active staff members of the team chosen in the portal settings; when that team has no
active member, the active admins and managers.

"A consultant is never double-booked" is the database's unique constraint on (consultant,
start) of booked sessions, not only the check made here: booking picks the free consultant with
the fewest upcoming sessions and inserts inside a savepoint; when a concurrent booking took that
consultant first (IntegrityError) it tries the next one, and when none is left the slot is taken
(``slot_taken``, 409).

Every change records a domain event on the task and, after commit, emails the client and the
consultant (each in their own language) with an iCalendar invitation: ``METHOD:REQUEST`` with
the session's stable UID and its ``SEQUENCE`` (bumped by each reschedule and by the
cancellation), or ``METHOD:CANCEL``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet
from django.tasks import task as background_task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Role, User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event, register_describer
from partnerdesk.core.permissions import require_party
from partnerdesk.core.queue import enqueue_later
from partnerdesk.core.tenancy import get_object_for_user_or_404, scope_for_user
from partnerdesk.sla.calendar import WorkingCalendar
from partnerdesk.sla.clock import agency_calendar

from .models import CLOSED_STATUSES, ConsultationSession, PortalSettings, SessionStatus, Task

log = logging.getLogger(__name__)

SESSION_MINUTES = 45
SESSION_LENGTH = dt.timedelta(minutes=SESSION_MINUTES)
LEAD_TIME = dt.timedelta(hours=2)  # the earliest slot offered, from now
HORIZON = dt.timedelta(days=21)  # the latest slot offered, from now
MAX_EMAIL_ATTEMPTS = 5

BOOKED = SessionStatus.BOOKED
CANCELLED = SessionStatus.CANCELLED


# ---------------------------------------------------------------- consultants


def consultants() -> list[User]:
    """Who can hold a session: the active staff of the consultants team, else the active
    admins and managers (ordered by id, so the choice between equals is stable)."""
    staff = User.objects.agency_staff().order_by("pk")
    team_id = PortalSettings.load().consultants_id
    members = list(staff.filter(teams=team_id)) if team_id else []
    return members or list(staff.filter(role__in=[Role.ADMIN, Role.MANAGER]))


def _upcoming_load(ids: list[int], now: dt.datetime) -> dict[int, int]:
    rows = (
        ConsultationSession.objects.filter(consultant_id__in=ids, status=BOOKED, starts_at__gte=now)
        .values("consultant_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["consultant_id"]: row["n"] for row in rows}


# ---------------------------------------------------------------- the grid of slots


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime
    # The consultants free at this time, the least loaded first.
    consultant_ids: tuple[int, ...]


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _instant(day: dt.date, minutes: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant at which the local clock reads ``day`` + ``minutes`` or later (the
    rule of sla/calendar.py: an ambiguous time is its first occurrence, a time skipped by a
    forward jump is the instant of the jump). ``24:00`` is 00:00 of the next day."""
    day = day + dt.timedelta(days=minutes // 1440)
    minutes %= 1440
    wall = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
    off0 = wall.replace(tzinfo=tz, fold=0).utcoffset()
    off1 = wall.replace(tzinfo=tz, fold=1).utcoffset()
    if off0 >= off1:
        return (wall - off0).replace(tzinfo=dt.UTC)
    # In a gap: the jump lies in (wall - off1, wall - off0]; transitions are on whole seconds.
    low, high = wall - off1, wall - off0
    while (high - low) > dt.timedelta(seconds=1):
        mid = low + (high - low) // 2
        mid = mid.replace(microsecond=0)
        local = mid.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
        if local >= wall:
            high = mid
        else:
            low = mid
    return high.replace(tzinfo=dt.UTC)


def grid(cal: WorkingCalendar, earliest: dt.datetime, latest: dt.datetime) -> list[dt.datetime]:
    """Every slot start (UTC) in ``[earliest, latest]``, in order."""
    tz = cal.timezone
    week = {day: [(_minutes(s), _minutes(e)) for s, e in ivs] for day, ivs in cal.week.items()}
    day = earliest.astimezone(tz).date() - dt.timedelta(days=1)
    last = latest.astimezone(tz).date()
    starts: list[dt.datetime] = []
    while day <= last:
        intervals = week.get(day.weekday())
        if intervals and not cal.is_holiday(day):
            for begin, end in intervals:
                at, stop = _instant(day, begin, tz), _instant(day, end, tz)
                while at + SESSION_LENGTH <= stop:
                    # The calendar itself must agree that the whole session is working time.
                    if (
                        earliest <= at <= latest
                        and cal.working_time_between(at, at + SESSION_LENGTH) == SESSION_LENGTH
                    ):
                        starts.append(at)
                    at += SESSION_LENGTH
        day += dt.timedelta(days=1)
    starts.sort()
    return starts


def _window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return now + LEAD_TIME, now + HORIZON


def free_slots(
    *,
    now: dt.datetime | None = None,
    exclude_session: int | None = None,
    only: dt.datetime | None = None,
) -> list[Slot]:
    """The free slots of the window (or only the one starting at ``only``), each with its
    free consultants. A constant number of queries."""
    now = now or clock.now()
    earliest, latest = _window(now)
    cal = agency_calendar()
    if only is None:
        starts = grid(cal, earliest, latest)
    else:
        starts = grid(cal, only, only) if earliest <= only <= latest else []
    people = consultants()
    if not starts or not people:
        return []
    ids = [u.pk for u in people]
    busy = (
        ConsultationSession.objects.filter(
            consultant_id__in=ids,
            status=BOOKED,
            starts_at__lt=starts[-1] + SESSION_LENGTH,
            ends_at__gt=starts[0],
        )
        .exclude(pk=exclude_session)
        .values_list("consultant_id", "starts_at", "ends_at")
    )
    taken: dict[int, set[int]] = {}  # slot index -> consultants busy then
    for consultant_id, begin, end in busy:
        # slots overlapping [begin, end): start < end and start + length > begin
        first = bisect.bisect_right(starts, begin - SESSION_LENGTH)
        last = bisect.bisect_left(starts, end)
        for index in range(first, last):
            taken.setdefault(index, set()).add(consultant_id)
    load = _upcoming_load(ids, now)
    ranked = sorted(ids, key=lambda pk: (load.get(pk, 0), ids.index(pk)))
    slots = []
    for index, start in enumerate(starts):
        busy_now = taken.get(index, ())
        free = tuple(pk for pk in ranked if pk not in busy_now)
        if free:
            slots.append(Slot(start, start + SESSION_LENGTH, free))
    return slots


# ---------------------------------------------------------------- reads


def sessions_for(user) -> QuerySet[ConsultationSession]:
    return scope_for_user(ConsultationSession, user).select_related(
        "task__company", "task__category", "consultant", "booked_by"
    )


def session_for(user, pk) -> ConsultationSession:
    return get_object_for_user_or_404(sessions_for(user), user, pk=pk)


@dataclass
class TaskSessions:
    """What the task pages show: the booked session (if any) and the earlier ones."""

    task: Task
    booked: ConsultationSession | None
    history: list[ConsultationSession]

    @property
    def can_book(self) -> bool:
        return (
            self.booked is None
            and self.task.category.is_consultation
            and self.task.status not in CLOSED_STATUSES
        )


def task_sessions(task: Task) -> TaskSessions:
    """One query, whatever the number of sessions."""
    rows = list(
        ConsultationSession.objects.filter(task=task)
        .select_related("consultant", "booked_by")
        .order_by("-starts_at", "-id")
    )
    booked = next((s for s in rows if s.status == BOOKED), None)
    return TaskSessions(task, booked, [s for s in rows if s is not booked])


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
    *, by, task: Task, starts_at, now: dt.datetime | None = None
) -> ConsultationSession:
    """Book the free slot starting at ``starts_at`` on a consultation task."""
    require_party(by, task.company_id)
    now = now or clock.now()
    start = parse_start(starts_at)
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
        for consultant_id in slot.consultant_ids:
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
        _event(task, "session.booked", by, session)
        _email_later(task, session, "booked", by=by)
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
        candidates = list(slot.consultant_ids)
        if previous_consultant in candidates:
            candidates.remove(previous_consultant)
            candidates.insert(0, previous_consultant)
        moved = False
        for consultant_id in candidates:
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
            "session.rescheduled",
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
    _event(task, "session.cancelled", by, session)
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


def _event(task: Task, kind: str, by, session: ConsultationSession, **data) -> None:
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


def _when(value) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "?"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


register_describer(
    "session.booked",
    lambda e: (
        _("Consultation session booked for %(when)s") % {"when": _when(e.data.get("starts_at"))}
    ),
)
register_describer(
    "session.rescheduled",
    lambda e: (
        _("Consultation session moved from %(previous)s to %(when)s")
        % {
            "previous": _when(e.data.get("previous_starts_at")),
            "when": _when(e.data.get("starts_at")),
        }
    ),
)
register_describer(
    "session.cancelled",
    lambda e: (
        _("Consultation session of %(when)s cancelled") % {"when": _when(e.data.get("starts_at"))}
    ),
)


# ---------------------------------------------------------------- emails and invitations


def client_attendees(task: Task, session: ConsultationSession, by=None) -> list[User]:
    """The client side of a session: whoever booked it (a client user), else the task's
    client recipients; and the client user who made this change."""
    from .services import client_recipients

    booker = session.booked_by
    if booker is not None and booker.is_client and booker.is_active:
        people = [booker]
    else:
        people = client_recipients(task)
    if by is not None and getattr(by, "is_client", False) and by.is_active and by not in people:
        people.append(by)
    return people


def _email_later(
    task: Task,
    session: ConsultationSession,
    action: str,
    *,
    by,
    previous_start: dt.datetime | None = None,
    previous_consultant_id: int | None = None,
) -> None:
    """After commit, one email task per recipient, with the state of this change (a later
    change sends its own emails; a late worker never sends a newer state twice)."""
    clients = client_attendees(task, session, by)
    attendees = [u.pk for u in clients] + [session.consultant_id]
    base = {
        "session_id": session.pk,
        "sequence": session.sequence,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "consultant_id": session.consultant_id,
        "attendee_ids": attendees,
        "previous_starts_at": previous_start.isoformat() if previous_start else None,
    }
    jobs = [{**base, "user_id": pk, "action": action} for pk in dict.fromkeys(attendees)]
    if previous_consultant_id and previous_consultant_id != session.consultant_id:
        # The consultant who no longer holds the session: to them it is cancelled.
        jobs.append(
            {
                **base,
                "user_id": previous_consultant_id,
                "action": "reassigned",
                "attendee_ids": [u.pk for u in clients] + [previous_consultant_id],
            }
        )

    def enqueue():
        for job in jobs:
            send_session_email.enqueue(**job)

    transaction.on_commit(enqueue)


def _address(value: str) -> tuple[str, str]:
    name, address = parseaddr(value)
    return name or settings.PARTNERDESK["AGENCY_NAME"], address


def _uid(session_id: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "partnerdesk.localhost"
    return f"consultation-{session_id}@{host}"


def ics(
    *,
    session_id: int,
    method: str,
    sequence: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    summary: str,
    description: str,
    url: str,
    attendees: list[User],
    cancelled: bool = False,
    stamp: dt.datetime | None = None,
) -> bytes:
    """One VEVENT in a VCALENDAR (RFC 5545/5546): times in UTC, the agency as organizer."""
    from icalendar import Calendar, Event, vCalAddress, vText

    cal = Calendar()
    cal.add("prodid", "-//Partnerdesk//Consultation sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", _uid(session_id))
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or clock.now()).astimezone(dt.UTC))
    event.add("dtstart", starts_at.astimezone(dt.UTC))
    event.add("dtend", ends_at.astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("description", description)
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    name, address = _address(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(name)
    event.add("organizer", organizer)
    for person in attendees:
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = vText(person.display_name)
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "NEEDS-ACTION"
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical()


def _zone(user: User, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone) if user.timezone else fallback
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return fallback


def _summary(task: Task) -> str:
    return _("Consultation session: %(title)s") % {"title": task.title}


def _task_url(task: Task, user: User) -> str:
    name = "taskdesk:detail" if user.is_agency_staff else "portal:task_detail"
    return settings.SITE_URL + reverse(name, kwargs={"pk": task.pk})


def session_ics_download(session: ConsultationSession, user: User) -> bytes:
    """The session as a calendar file to download (METHOD:PUBLISH, same UID and SEQUENCE as
    the invitations, so a calendar updates the event instead of adding a second one)."""
    task = session.task
    with translation.override(user.language):
        return ics(
            session_id=session.pk,
            method="PUBLISH",
            sequence=session.sequence,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            summary=_summary(task),
            description=task.title,
            url=_task_url(task, user),
            attendees=[],
            cancelled=session.status != BOOKED,
        )


SUBJECTS = {
    "booked": lambda: _("Consultation session confirmed: %(when)s"),
    "rescheduled": lambda: _("Consultation session moved to %(when)s"),
    "cancelled": lambda: _("Consultation session cancelled: %(when)s"),
    "reassigned": lambda: _("Consultation session reassigned: %(when)s"),
}


def send_session_email_now(
    *,
    session_id: int,
    user_id: int,
    action: str,
    sequence: int,
    starts_at: str,
    ends_at: str,
    consultant_id: int,
    attendee_ids: list[int],
    previous_starts_at: str | None = None,
) -> bool:
    """Build and send one recipient's email with the invitation attached (SMTP errors raise)."""
    session = (
        ConsultationSession.objects.select_related("task__company", "task__requested_by")
        .filter(pk=session_id)
        .first()
    )
    people = {u.pk: u for u in User.objects.filter(pk__in={user_id, consultant_id, *attendee_ids})}
    user = people.get(user_id)
    if session is None or user is None or not user.is_active or not user.email:
        return False
    task = session.task
    start, end = dt.datetime.fromisoformat(starts_at), dt.datetime.fromisoformat(ends_at)
    previous = dt.datetime.fromisoformat(previous_starts_at) if previous_starts_at else None
    cancel = action in ("cancelled", "reassigned")
    zone = _zone(user, agency_calendar().timezone)
    with translation.override(user.language), timezone.override(zone):
        url = _task_url(task, user)
        when = formats.date_format(timezone.localtime(start), "DATETIME_FORMAT")
        context = {
            "user": user,
            "task": task,
            "action": action,
            "cancel": cancel,
            "starts_at": start,
            "ends_at": end,
            "previous_starts_at": previous,
            "timezone_name": zone.key,
            "consultant": people.get(consultant_id),
            "url": url,
            "minutes": SESSION_MINUTES,
            "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
            "is_staff": user.is_agency_staff,
        }
        subject = SUBJECTS.get(action, SUBJECTS["booked"])() % {"when": when}
        text = render_to_string("portal/email/session_notice.txt", context)
        html = render_to_string("portal/email/session_notice.html", context)
        method = "CANCEL" if cancel else "REQUEST"
        invitation = ics(
            session_id=session.pk,
            method=method,
            sequence=sequence,
            starts_at=start,
            ends_at=end,
            summary=_summary(task),
            description=f"{task.title}\n{url}",
            url=url,
            attendees=[people[pk] for pk in dict.fromkeys(attendee_ids) if pk in people],
            cancelled=cancel,
        )
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.attach(
        "invite.ics" if not cancel else "cancel.ics",
        invitation,
        f"text/calendar; method={method}; charset=UTF-8",
    )
    message.send()
    return True


@background_task
def send_session_email(
    *,
    session_id: int,
    user_id: int,
    action: str,
    sequence: int,
    starts_at: str,
    ends_at: str,
    consultant_id: int,
    attendee_ids: list[int],
    previous_starts_at: str | None = None,
    attempt: int = 1,
) -> str:
    """One recipient's email about one change of a session; retried with backoff on failure
    (each recipient is a task of its own, so a retry never emails the others again)."""
    job = {
        "session_id": session_id,
        "user_id": user_id,
        "action": action,
        "sequence": sequence,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "consultant_id": consultant_id,
        "attendee_ids": attendee_ids,
        "previous_starts_at": previous_starts_at,
    }
    try:
        sent = send_session_email_now(**job)
    except Exception as exc:  # any transport failure: retry later (when the backend can)
        log.warning("session %s email (%s) to user %s failed: %s", session_id, action, user_id, exc)
        if attempt < MAX_EMAIL_ATTEMPTS:
            delay = dt.timedelta(minutes=min(60, 2 ** (attempt - 1)))
            enqueue_later(send_session_email, clock.now() + delay, attempt=attempt + 1, **job)
        return "failed"
    return "sent" if sent else "skipped"
