"""The free slots of one week, day by day in the viewer's time zone (the booking page's week view).

Weeks start on the viewer's locale's first day of the week (Django's ``FIRST_DAY_OF_WEEK``:
0 Sunday … 6 Saturday). The weeks offered run from the one holding today to the one holding
the last moment of the booking window, so "previous" stops at this week and "next" at the
window's end; a requested day outside them is brought back inside.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from .slots import HORIZON, Slot

DAYS_IN_WEEK = 7
ONE_WEEK = dt.timedelta(days=DAYS_IN_WEEK)


@dataclass(frozen=True)
class Day:
    date: dt.date
    slots: tuple[Slot, ...]
    is_today: bool
    is_past: bool


@dataclass(frozen=True)
class Week:
    start: dt.date  # its first day
    days: tuple[Day, ...]
    previous: dt.date | None  # the first day of the week before, when it can be booked
    next: dt.date | None  # the first day of the week after, when it can be booked

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=DAYS_IN_WEEK - 1)

    @property
    def free(self) -> int:
        return sum(len(day.slots) for day in self.days)


def week_start(day: dt.date, first_weekday: int) -> dt.date:
    """The first day of the week holding ``day`` (``first_weekday``: 0 Sunday … 6 Saturday)."""
    sunday_based = (day.weekday() + 1) % DAYS_IN_WEEK  # date.weekday(): 0 Monday … 6 Sunday
    return day - dt.timedelta(days=(sunday_based - first_weekday) % DAYS_IN_WEEK)


def parse_week(value: str | None) -> dt.date | None:
    """A day from ``?week=`` (``YYYY-MM-DD``); anything else is no choice (the default week)."""
    text = (value or "").strip()
    if len(text) != len("2031-01-06"):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def week_of(
    slots: list[Slot],
    *,
    tz: zoneinfo.ZoneInfo | dt.tzinfo,
    now: dt.datetime,
    first_weekday: int,
    requested: dt.date | None = None,
) -> Week:
    """The week holding ``requested`` (by default the week of the first free slot, else this
    week), with its free ``slots`` (the whole window's, in order) under their local days."""
    today = now.astimezone(tz).date()
    first = week_start(today, first_weekday)
    last = week_start((now + HORIZON).astimezone(tz).date(), first_weekday)
    if requested is None:
        requested = slots[0].starts_at.astimezone(tz).date() if slots else today
    start = min(max(week_start(requested, first_weekday), first), last)
    dates = [start + dt.timedelta(days=n) for n in range(DAYS_IN_WEEK)]
    by_day: dict[dt.date, list[Slot]] = {d: [] for d in dates}
    for slot in slots:
        day = slot.starts_at.astimezone(tz).date()
        if day in by_day:
            by_day[day].append(slot)
    return Week(
        start=start,
        days=tuple(
            Day(date=d, slots=tuple(by_day[d]), is_today=d == today, is_past=d < today)
            for d in dates
        ),
        previous=start - ONE_WEEK if start > first else None,
        next=start + ONE_WEEK if start < last else None,
    )
