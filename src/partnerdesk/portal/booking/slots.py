"""The grid of slots on the agency's working calendar, and which of them are free.

A session lasts 45 minutes and starts on a fixed grid: at the start of each working interval of
the agency's calendar (``WorkingCalendar.working_intervals``) and every 45 minutes after it while
the whole session fits in the interval. Slots are offered from two hours from now up to 21 days
ahead. A slot is free when at least one consultant has no booked session overlapping it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from partnerdesk.accounts.models import Role, User
from partnerdesk.core import clock
from partnerdesk.sla.calendar import WorkingCalendar
from partnerdesk.sla.clock import agency_calendar

from ..models import ConsultationSession, PortalSettings, SessionStatus

SESSION_MINUTES = 45
SESSION_LENGTH = dt.timedelta(minutes=SESSION_MINUTES)
LEAD_TIME = dt.timedelta(hours=2)  # the earliest slot offered, from now
HORIZON = dt.timedelta(days=21)  # the latest slot offered, from now

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


def grid(cal: WorkingCalendar, earliest: dt.datetime, latest: dt.datetime) -> list[dt.datetime]:
    """Every slot start (UTC) in ``[earliest, latest]``, in order: from the start of each of the
    calendar's working intervals, every 45 minutes of physical time while the whole session
    fits in the interval."""
    starts: list[dt.datetime] = []
    for begin, end in cal.working_intervals(earliest, latest + SESSION_LENGTH):
        # In UTC: adding to a local time would add wall-clock time across a clock change.
        at, stop = begin.astimezone(dt.UTC), end.astimezone(dt.UTC)
        while at + SESSION_LENGTH <= stop:
            if earliest <= at <= latest:
                starts.append(at)
            at += SESSION_LENGTH
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
