"""The emails of a session change, each with an iCalendar invitation (RFC 5545/5546).

After commit, one email task per recipient (the client side and the consultant, each in their
own language and time zone): ``METHOD:REQUEST`` with the session's stable UID and its
``SEQUENCE`` (bumped by each reschedule and by the cancellation), or ``METHOD:CANCEL``.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task as background_task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.queue import enqueue_later
from partnerdesk.sla.clock import agency_calendar

from ..models import ConsultationSession, Task
from ..recipients import client_recipients
from .slots import BOOKED, SESSION_MINUTES

log = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 5


def client_attendees(task: Task, session: ConsultationSession, by=None) -> list[User]:
    """The client side of a session: whoever booked it (a client user), else the task's
    client recipients; and the client user who made this change."""
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
    agenda: str = "",
) -> None:
    """After commit, one email task per recipient, with the state of this change (a later
    change sends its own emails; a late worker never sends a newer state twice). A booking's
    ``agenda`` goes into its emails and invitations."""
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
        **({"agenda": agenda} if agenda else {}),
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


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    """The time zone a user reads times in: their own, else the agency calendar's."""
    return _zone(user, agency_calendar().timezone)


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
    agenda: str = "",
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
            "agenda": agenda,
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
            description="\n\n".join(filter(None, (task.title, agenda, url))),
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
    agenda: str = "",
    attempt: int = 1,
) -> str:
    """One recipient's email about one change of a session; retried with backoff on failure
    (each recipient is a task of its own, so a retry never emails the others again)."""
    job: dict[str, Any] = {
        "session_id": session_id,
        "user_id": user_id,
        "action": action,
        "sequence": sequence,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "consultant_id": consultant_id,
        "attendee_ids": attendee_ids,
        "previous_starts_at": previous_starts_at,
        "agenda": agenda,
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
