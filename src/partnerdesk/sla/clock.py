"""SLA due times: a target's due time and its "due soon" instant, paused time moving both later.

Pure functions over ``WorkingCalendar`` (see SLA-CALENDAR.md "SLA targets on top of the
calendar"); ticket services store the results so lists and sweeps are indexed queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from partnerdesk.core.configuration import configuration

from .calendar import WorkingCalendar
from .models import Calendar, Unit

FALLBACK_WEEK = {d: [("09:00", "17:00")] for d in range(5)}


def agency_calendar(policy=None) -> WorkingCalendar:
    """The policy's calendar, else the agency default, else Monday–Friday 09:00–17:00 UTC."""
    calendar = None
    if policy is not None and policy.calendar_id:
        calendar = policy.calendar
    if calendar is None:
        return configuration(("sla_default_calendar",), _default_calendar)
    return calendar.working_calendar()


def _default_calendar() -> WorkingCalendar:
    calendar = Calendar.objects.filter(is_default=True).prefetch_related("holidays").first()
    if calendar is None:
        return WorkingCalendar(timezone="UTC", week=FALLBACK_WEEK)
    return calendar.working_calendar()


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("SLA arithmetic needs aware datetimes")
    return value.astimezone(dt.UTC)


def add_target(start: dt.datetime, amount: int, unit: str, cal: WorkingCalendar) -> dt.datetime:
    """The due time of a target starting at ``start``, in UTC (elapsed time, not wall time)."""
    start = _utc(start)
    if unit == Unit.CALENDAR:
        return start + dt.timedelta(minutes=amount)
    if unit == Unit.WORKING_TIME:
        return _utc(cal.add_working_time(start, dt.timedelta(minutes=amount)))
    return _utc(cal.add_working_days(start, amount))


def _merged(intervals) -> list[tuple[dt.datetime, dt.datetime]]:
    """Sorted, with overlapping pauses joined (an instant is never paused twice)."""
    merged: list[list[dt.datetime]] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return [(b, e) for b, e in merged]


def target_times(
    *,
    start: dt.datetime,
    amount: int,
    unit: str,
    cal: WorkingCalendar,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    due_soon_percent: int = 25,
) -> tuple[dt.datetime, dt.datetime]:
    """Return (due, due_soon_from) for a target whose clock started at ``start``.

    "Due soon" begins when less than ``due_soon_percent`` of the target is left (measured in
    the target's own kind of time). A pause that begins before the due time moves the due time
    later by the paused elapsed time (calendar targets) or the paused working time (working
    targets); a pause that begins after the due time changes nothing: a breach stays a breach.
    All arithmetic is on UTC instants, so a clock change never adds or loses an hour.
    """
    start = _utc(start)
    due = add_target(start, amount, unit, cal)
    keep = max(0, 100 - due_soon_percent) / 100
    if unit == Unit.CALENDAR:
        warn = start + (due - start) * keep
    else:
        warn = _utc(cal.add_working_time(start, cal.working_time_between(start, due) * keep))
    for pause_start, pause_end in _merged((_utc(s), _utc(e)) for s, e in pauses):
        pause_start = max(pause_start, start)
        if pause_end <= pause_start:
            continue
        if pause_start >= due:
            break
        if unit == Unit.CALENDAR:
            shift = pause_end - pause_start
            due += shift
            if pause_start < warn:
                warn += shift
        else:
            worked = cal.working_time_between(pause_start, pause_end)
            due = _utc(cal.add_working_time(due, worked))
            if pause_start < warn:
                warn = _utc(cal.add_working_time(warn, worked))
    return due, min(warn, due)


def target_elapsed(
    *,
    start: dt.datetime,
    end: dt.datetime,
    unit: str,
    cal: WorkingCalendar,
    due: dt.datetime,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> int:
    """The time a target took, from ``start`` to ``end``, in whole seconds of the target's kind
    of time: elapsed time for calendar targets, working time for working-time and working-days
    targets. Paused time is left out the way ``target_times`` adds it to the due time (``due``
    is what it returned): a pause that began at or after the due time is not left out, so a
    breach stays a breach."""
    start, end, due = _utc(start), _utc(end), _utc(due)
    if end <= start:
        return 0

    def span(a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        return b - a if unit == Unit.CALENDAR else cal.working_time_between(a, b)

    total = span(start, end)
    for pause_start, pause_end in _merged((_utc(s), _utc(e)) for s, e in pauses):
        if pause_start >= due:
            break
        pause_start, pause_end = max(pause_start, start), min(pause_end, end)
        if pause_end > pause_start:
            total -= span(pause_start, pause_end)
    return max(0, int(total.total_seconds()))
