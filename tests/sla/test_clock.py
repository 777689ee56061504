"""sla.clock.target_times: due and due-soon instants for the three units, and pauses.

SLA-CALENDAR.md "SLA targets on top of the calendar": paused time moves the due time later by the
paused elapsed time (calendar targets) or by the paused working time,
``add_working_time(due, working_time_between(pause_start, pause_end))`` (working targets).

Calendar: Sunday–Thursday 09:00–17:00, Africa/Cairo, no holidays; February 2026 (UTC+2);
2026-02-01 is a Sunday.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from partnerdesk.sla.calendar import WorkingCalendar
from partnerdesk.sla.clock import add_target, target_times
from partnerdesk.sla.models import Unit

CAIRO = ZoneInfo("Africa/Cairo")
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)


def cairo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CAIRO)


def same_instant(a: dt.datetime, b: dt.datetime) -> bool:
    return a.astimezone(dt.UTC) == b.astimezone(dt.UTC)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(
        timezone="Africa/Cairo", week={d: [("09:00", "17:00")] for d in (6, 0, 1, 2, 3)}
    )


SUNDAY_10 = cairo(2026, 2, 1, 10, 0)


def times(cal, start=SUNDAY_10, *, amount, unit, pauses=(), percent=25):
    return target_times(
        start=start, amount=amount, unit=unit, cal=cal, pauses=pauses, due_soon_percent=percent
    )


def test_cairo_is_utc_plus_2_in_february_2026():
    assert SUNDAY_10.utcoffset() == 2 * H
    assert SUNDAY_10.weekday() == 6


# ---------------------------------------------------------------- no pauses


def test_calendar_target_is_elapsed_time_and_due_soon_at_75_percent(cal):
    due, warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR)
    assert due == cairo(2026, 2, 3, 10, 0)
    assert warn == SUNDAY_10 + 36 * H  # less than 25 % (12 h) left
    assert warn == cairo(2026, 2, 2, 22, 0)


@pytest.mark.parametrize(
    ("percent", "elapsed"),
    [
        (25, 36 * H),
        (10, 43 * H + 12 * MIN),
        (50, 24 * H),
        (1, 47 * H + 31 * MIN + dt.timedelta(seconds=12)),
    ],
)
def test_calendar_due_soon_percent(cal, percent, elapsed):
    _due, warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, percent=percent)
    assert warn == SUNDAY_10 + elapsed


def test_working_time_target(cal):
    # 8 working hours from Sunday 10:00: 7 h on Sunday, 1 h on Monday.
    due, warn = times(cal, amount=8 * 60, unit=Unit.WORKING_TIME)
    assert due == cairo(2026, 2, 2, 10, 0)
    assert warn == cairo(2026, 2, 1, 16, 0)  # 6 working hours in (75 %)


def test_working_time_target_due_soon_at_50_percent(cal):
    _due, warn = times(cal, amount=8 * 60, unit=Unit.WORKING_TIME, percent=50)
    assert warn == cairo(2026, 2, 1, 14, 0)


def test_working_time_target_ending_at_the_end_of_a_day(cal):
    due, _warn = times(cal, amount=7 * 60, unit=Unit.WORKING_TIME)
    assert due == cairo(2026, 2, 1, 17, 0)  # the end of Sunday, not Monday 09:00


def test_working_days_target(cal):
    # Sunday 10:00 is after the day's start: counting begins on Monday.
    due, warn = times(cal, amount=1, unit=Unit.WORKING_DAYS)
    assert due == cairo(2026, 2, 2, 17, 0)
    # 15 working hours to the due time; 75 % = 11 h 15 min: Sunday 7 h + Monday 4 h 15.
    assert warn == cairo(2026, 2, 2, 13, 15)


def test_working_days_target_due_soon_at_20_percent(cal):
    _due, warn = times(cal, amount=1, unit=Unit.WORKING_DAYS, percent=20)
    # 80 % of 15 h = 12 h: Sunday 7 h + Monday 5 h.
    assert warn == cairo(2026, 2, 2, 14, 0)


def test_working_days_from_before_the_day_start_and_from_friday(cal):
    assert times(cal, cairo(2026, 2, 1, 8, 0), amount=1, unit=Unit.WORKING_DAYS)[0] == cairo(
        2026, 2, 1, 17, 0
    )
    assert times(cal, cairo(2026, 2, 6, 11, 0), amount=1, unit=Unit.WORKING_DAYS)[0] == cairo(
        2026, 2, 8, 17, 0
    )
    assert times(cal, cairo(2026, 2, 5, 16, 0), amount=3, unit=Unit.WORKING_DAYS)[0] == cairo(
        2026, 2, 10, 17, 0
    )


def test_add_target_units(cal):
    assert add_target(SUNDAY_10, 120, Unit.CALENDAR, cal) == SUNDAY_10 + 2 * H
    assert add_target(SUNDAY_10, 120, Unit.WORKING_TIME, cal) == cairo(2026, 2, 1, 12, 0)
    assert add_target(SUNDAY_10, 2, Unit.WORKING_DAYS, cal) == cairo(2026, 2, 3, 17, 0)


def test_results_are_aware_and_exact_instants(cal):
    for unit, amount in ((Unit.CALENDAR, 90), (Unit.WORKING_TIME, 90), (Unit.WORKING_DAYS, 2)):
        due, warn = times(cal, amount=amount, unit=unit)
        assert due.tzinfo is not None and warn.tzinfo is not None
        assert SUNDAY_10 <= warn <= due


# ---------------------------------------------------------------- pauses: calendar targets


def test_calendar_pause_moves_due_and_warn_by_the_elapsed_paused_time(cal):
    pause = (cairo(2026, 2, 1, 12, 0), cairo(2026, 2, 2, 15, 30))  # 27 h 30 min
    due, warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=[pause])
    assert due == cairo(2026, 2, 3, 10, 0) + 27 * H + 30 * MIN
    assert warn == SUNDAY_10 + 36 * H + 27 * H + 30 * MIN


def test_calendar_pause_after_the_warn_time_moves_only_the_due_time(cal):
    pause = (cairo(2026, 2, 3, 0, 0), cairo(2026, 2, 3, 4, 0))  # after warn (Mon 22:00)
    due, warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=[pause])
    assert due == cairo(2026, 2, 3, 14, 0)
    assert warn == cairo(2026, 2, 2, 22, 0)


def test_calendar_two_pauses_add_up(cal):
    pauses = [
        (cairo(2026, 2, 2, 9, 0), cairo(2026, 2, 2, 12, 0)),  # 3 h
        (cairo(2026, 2, 3, 11, 0), cairo(2026, 2, 3, 13, 0)),  # 2 h, starts before the new due
    ]
    due, _warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=pauses)
    assert due == cairo(2026, 2, 3, 15, 0)


def test_calendar_pauses_are_sorted(cal):
    pauses = [
        (cairo(2026, 2, 3, 11, 0), cairo(2026, 2, 3, 13, 0)),
        (cairo(2026, 2, 2, 9, 0), cairo(2026, 2, 2, 12, 0)),
    ]
    due, _warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=pauses)
    assert due == cairo(2026, 2, 3, 15, 0)


def test_pause_beginning_after_the_due_time_changes_nothing(cal):
    plain = times(cal, amount=48 * 60, unit=Unit.CALENDAR)
    late = (cairo(2026, 2, 3, 11, 0), cairo(2026, 2, 5, 11, 0))
    assert times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=[late]) == plain


def test_pause_beginning_exactly_at_the_due_time_changes_nothing(cal):
    plain = times(cal, amount=48 * 60, unit=Unit.CALENDAR)
    at_due = (cairo(2026, 2, 3, 10, 0), cairo(2026, 2, 4, 10, 0))
    assert times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=[at_due]) == plain


def test_pause_beginning_after_the_due_time_changes_nothing_for_working_targets(cal):
    for unit, amount in ((Unit.WORKING_TIME, 8 * 60), (Unit.WORKING_DAYS, 1)):
        plain = times(cal, amount=amount, unit=unit)
        late = (plain[0] + H, plain[0] + 30 * H)
        assert times(cal, amount=amount, unit=unit, pauses=[late]) == plain


def test_pause_before_the_start_is_clipped(cal):
    pause = (SUNDAY_10 - 5 * H, SUNDAY_10 + H)  # only the hour after the start counts
    due, _warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=[pause])
    assert due == cairo(2026, 2, 3, 11, 0)


def test_pause_entirely_before_the_start_is_ignored(cal):
    pause = (SUNDAY_10 - 5 * H, SUNDAY_10 - H)
    assert times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=[pause]) == times(
        cal, amount=48 * 60, unit=Unit.CALENDAR
    )


def test_empty_and_reversed_pauses_are_ignored(cal):
    plain = times(cal, amount=48 * 60, unit=Unit.CALENDAR)
    pauses = [(SUNDAY_10 + H, SUNDAY_10 + H), (SUNDAY_10 + 3 * H, SUNDAY_10 + 2 * H)]
    assert times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=pauses) == plain


def test_overlapping_pauses_count_the_paused_time_once(cal):
    # 12:00–15:00 and 14:00–16:00 overlap: the ticket was paused 4 h, not 5 h.
    pauses = [
        (cairo(2026, 2, 1, 12, 0), cairo(2026, 2, 1, 15, 0)),
        (cairo(2026, 2, 1, 14, 0), cairo(2026, 2, 1, 16, 0)),
    ]
    due, _warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=pauses)
    assert due == cairo(2026, 2, 3, 14, 0)


def test_pause_nested_in_another_counts_once(cal):
    pauses = [
        (cairo(2026, 2, 1, 12, 0), cairo(2026, 2, 1, 18, 0)),
        (cairo(2026, 2, 1, 13, 0), cairo(2026, 2, 1, 14, 0)),
    ]
    due, _warn = times(cal, amount=48 * 60, unit=Unit.CALENDAR, pauses=pauses)
    assert due == cairo(2026, 2, 3, 16, 0)


# ---------------------------------------------------------------- pauses: working targets


def test_working_time_pause_moves_due_by_the_paused_working_time(cal):
    pause_start, pause_end = cairo(2026, 2, 1, 12, 0), cairo(2026, 2, 2, 12, 0)
    plain_due, _ = times(cal, amount=8 * 60, unit=Unit.WORKING_TIME)
    due, _warn = times(
        cal, amount=8 * 60, unit=Unit.WORKING_TIME, pauses=[(pause_start, pause_end)]
    )
    expected = cal.add_working_time(plain_due, cal.working_time_between(pause_start, pause_end))
    assert due == expected
    # Sunday 12–17 (5 h) + Monday 09–12 (3 h) = 8 working hours paused: Monday 10:00 -> Tuesday 10:00.
    assert cal.working_time_between(pause_start, pause_end) == 8 * H
    assert due == cairo(2026, 2, 3, 10, 0)


def test_working_days_pause_moves_due_by_the_paused_working_time(cal):
    pause_start, pause_end = cairo(2026, 2, 1, 15, 0), cairo(2026, 2, 2, 11, 0)  # 2 h + 2 h
    due, warn = times(cal, amount=1, unit=Unit.WORKING_DAYS, pauses=[(pause_start, pause_end)])
    expected = cal.add_working_time(
        cairo(2026, 2, 2, 17, 0), cal.working_time_between(pause_start, pause_end)
    )
    assert due == expected == cairo(2026, 2, 3, 13, 0)
    # The pause starts before the warn time (Monday 13:15): it moves 4 working hours too.
    assert warn == cairo(2026, 2, 3, 9, 15)


def test_working_pause_outside_working_hours_moves_nothing(cal):
    night = (cairo(2026, 2, 1, 18, 0), cairo(2026, 2, 2, 8, 0))
    for unit, amount in ((Unit.WORKING_TIME, 8 * 60), (Unit.WORKING_DAYS, 1)):
        assert times(cal, amount=amount, unit=unit, pauses=[night]) == times(
            cal, amount=amount, unit=unit
        )


def test_working_pause_over_a_weekend_moves_only_by_working_time(cal):
    start = cairo(2026, 2, 5, 10, 0)  # Thursday
    pause = (cairo(2026, 2, 5, 16, 0), cairo(2026, 2, 8, 10, 0))  # Thu 1 h + Sun 1 h
    due, _warn = times(cal, start, amount=8 * 60, unit=Unit.WORKING_TIME, pauses=[pause])
    plain, _ = times(cal, start, amount=8 * 60, unit=Unit.WORKING_TIME)
    assert plain == cairo(2026, 2, 8, 10, 0)  # Thursday 7 h + Sunday 1 h
    assert due == cal.add_working_time(plain, 2 * H) == cairo(2026, 2, 8, 12, 0)


def test_working_overlapping_pauses_count_once(cal):
    pauses = [
        (cairo(2026, 2, 1, 11, 0), cairo(2026, 2, 1, 13, 0)),
        (cairo(2026, 2, 1, 12, 0), cairo(2026, 2, 1, 14, 0)),
    ]
    plain, _ = times(cal, amount=1, unit=Unit.WORKING_DAYS)
    due, _warn = times(cal, amount=1, unit=Unit.WORKING_DAYS, pauses=pauses)
    assert due == cal.add_working_time(plain, 3 * H) == cairo(2026, 2, 3, 12, 0)


def test_warn_never_after_due(cal):
    # A pause that starts before the warn instant but ends far later moves both; the warn
    # instant stays before (or at) the due time.
    pause = (SUNDAY_10 + H, SUNDAY_10 + 100 * H)
    for unit, amount in ((Unit.CALENDAR, 60), (Unit.WORKING_TIME, 60), (Unit.WORKING_DAYS, 1)):
        due, warn = times(cal, amount=amount, unit=unit, pauses=[pause])
        assert warn <= due


def test_calendar_target_across_the_clock_change_is_elapsed_time(cal):
    # Cairo moves from UTC+2 to UTC+3 at 2026-04-24 00:00 local: 48 h of elapsed time from
    # Thursday 10:00 (08:00 UTC) end at Saturday 08:00 UTC, which is 11:00 local.
    start = cairo(2026, 4, 23, 10, 0)
    due, warn = times(cal, start, amount=48 * 60, unit=Unit.CALENDAR)
    assert same_instant(due, dt.datetime(2026, 4, 25, 8, 0, tzinfo=dt.UTC))
    assert same_instant(warn, dt.datetime(2026, 4, 24, 20, 0, tzinfo=dt.UTC))
    pause = (cairo(2026, 4, 23, 22, 0), cairo(2026, 4, 24, 2, 0))  # 3 h elapsed (one skipped)
    due, _warn = times(cal, start, amount=48 * 60, unit=Unit.CALENDAR, pauses=[pause])
    assert same_instant(due, dt.datetime(2026, 4, 25, 11, 0, tzinfo=dt.UTC))
