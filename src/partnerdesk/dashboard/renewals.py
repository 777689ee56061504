"""Renewal dates: the 45-day deadline and which reminder is due. Pure date arithmetic.

HubSpot's renewal deadline, the last day to alter the contract terms, is 45 days before the
renewal start date (seed 004). Reminders go out a configured number of days before the
deadline (default 30, 14, 7 and 1), each once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from partnerdesk.core import clock

DEADLINE_DAYS = 45


def today() -> dt.date:
    """The agency's current day (``core.clock``, in the server's time zone)."""
    return timezone.localdate(clock.now())


def deadline(renews_on: dt.date) -> dt.date:
    """The renewal deadline: 45 days before the renewal start date."""
    return renews_on - dt.timedelta(days=DEADLINE_DAYS)


def renews_on_for(deadline_day: dt.date) -> dt.date:
    """The renewal start date whose deadline is ``deadline_day`` (for range filters)."""
    return deadline_day + dt.timedelta(days=DEADLINE_DAYS)


def days_left(renews_on: dt.date, on: dt.date) -> int:
    """Days from ``on`` to the deadline (0 on the deadline itself, negative once past)."""
    return (deadline(renews_on) - on).days


def urgency(days: int) -> str:
    """A class for colouring days left: past, within a week, within a month, later."""
    if days < 0:
        return "past"
    if days <= 7:
        return "urgent"
    if days <= 30:
        return "soon"
    return "later"


def due_offset(deadline_day: dt.date, on: dt.date, offsets: Iterable[int]) -> int | None:
    """The reminder due on ``on``: of the offsets whose day has come (deadline − offset ≤ on),
    the latest (the smallest offset). None before the first and after the deadline.

    A run that comes late (no scheduler for a few days) thus sends the latest reminder due,
    once, not each one it missed."""
    if on > deadline_day:
        return None
    come = [o for o in offsets if deadline_day - dt.timedelta(days=o) <= on]
    return min(come) if come else None


def clean_offsets(values: Iterable[int]) -> list[int]:
    """Distinct offsets, largest first."""
    return sorted({int(v) for v in values}, reverse=True)
