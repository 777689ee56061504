"""WorkingCalendar: the examples of SLA-CALENDAR.md and hand-checked cases."""

from __future__ import annotations

import time as wall_clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from partnerdesk.sla.calendar import WorkingCalendar

CAIRO = ZoneInfo("Africa/Cairo")
ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")

SUN_THU = {d: [("09:00", "17:00")] for d in (6, 0, 1, 2, 3)}
SPLIT_MON_FRI = {d: [("09:00", "13:00"), ("14:00", "18:00")] for d in range(5)}


def cairo(*args: int) -> datetime:
    return datetime(*args, tzinfo=CAIRO)


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def same_instant(a: datetime, b: datetime) -> bool:
    """Equality of instants (== between datetimes of one zone ignores the fold)."""
    return a.astimezone(UTC) == b.astimezone(UTC)


@pytest.fixture
def sun_thu() -> WorkingCalendar:
    return WorkingCalendar(timezone="Africa/Cairo", week=SUN_THU)


@pytest.fixture
def split() -> WorkingCalendar:
    return WorkingCalendar(timezone="Europe/Rome", week=SPLIT_MON_FRI, holiday_country="IT")


# ------------------------------------------------------------------ the spec's examples


def test_spec_example_opened_sunday_after_start_is_due_monday(sun_thu):
    # 2026-03-01 is a Sunday
    assert sun_thu.add_working_days(cairo(2026, 3, 1, 10, 0), 1) == cairo(2026, 3, 2, 17, 0)


def test_spec_example_opened_sunday_before_start_is_due_sunday(sun_thu):
    assert sun_thu.add_working_days(cairo(2026, 3, 1, 8, 0), 1) == cairo(2026, 3, 1, 17, 0)


def test_spec_example_opened_friday_is_due_sunday(sun_thu):
    assert sun_thu.add_working_days(cairo(2026, 2, 27, 12, 0), 1) == cairo(2026, 3, 1, 17, 0)
    assert sun_thu.add_working_days(cairo(2026, 2, 28, 23, 59), 1) == cairo(2026, 3, 1, 17, 0)


def test_start_exactly_at_the_first_interval_counts_that_date(sun_thu):
    assert sun_thu.add_working_days(cairo(2026, 3, 1, 9, 0), 1) == cairo(2026, 3, 1, 17, 0)
    one_us_later = cairo(2026, 3, 1, 9, 0, 0, 1)
    assert sun_thu.add_working_days(one_us_later, 1) == cairo(2026, 3, 2, 17, 0)


def test_add_working_days_counts_whole_days(sun_thu):
    # Thursday 16:00 -> Sunday, Monday, Tuesday
    assert sun_thu.add_working_days(cairo(2026, 3, 5, 16, 0), 3) == cairo(2026, 3, 10, 17, 0)
    # an instant given in another zone is placed on its local Cairo date (Sunday 08:30)
    assert sun_thu.add_working_days(utc(2026, 3, 1, 6, 30), 1) == cairo(2026, 3, 1, 17, 0)
    # 2 weeks of working days
    assert sun_thu.add_working_days(cairo(2026, 3, 1, 8, 0), 10) == cairo(2026, 3, 12, 17, 0)


# ------------------------------------------- the seed's Bug Investigation SLA (Cairo, EG)


@pytest.fixture
def bug_sla() -> WorkingCalendar:
    return WorkingCalendar(timezone="Africa/Cairo", week=SUN_THU, holiday_country="EG")


def bug_investigation_due(
    cal: WorkingCalendar, created: datetime, first_response: datetime
) -> tuple[datetime, datetime]:
    """First response: 1 working day; resolution: 3 working days from the first response."""
    return cal.add_working_days(created, 1), cal.add_working_days(first_response, 3)


@pytest.mark.parametrize(
    ("created", "responded", "response_due", "resolution_due"),
    [
        # created Sunday mid-morning, answered Monday 11:00 -> Tue, Wed, Thu
        (
            cairo(2026, 3, 1, 10, 0),
            cairo(2026, 3, 2, 11, 0),
            cairo(2026, 3, 2, 17, 0),
            cairo(2026, 3, 5, 17, 0),
        ),
        # created and answered before opening on Sunday: Sunday counts for both
        (
            cairo(2026, 3, 1, 7, 45),
            cairo(2026, 3, 1, 8, 30),
            cairo(2026, 3, 1, 17, 0),
            cairo(2026, 3, 3, 17, 0),
        ),
        # created Thursday evening, answered Saturday -> Sun, Mon, Tue
        (
            cairo(2026, 3, 5, 18, 0),
            cairo(2026, 3, 7, 12, 0),
            cairo(2026, 3, 8, 17, 0),
            cairo(2026, 3, 10, 17, 0),
        ),
        # Coptic Christmas, Wednesday 2026-01-07, is a public holiday in Egypt
        (
            cairo(2026, 1, 6, 12, 0),
            cairo(2026, 1, 6, 16, 0),
            cairo(2026, 1, 8, 17, 0),
            cairo(2026, 1, 12, 17, 0),
        ),
        # Revolution Day, Thursday 2026-07-23: created Wednesday -> due Sunday
        (
            cairo(2026, 7, 22, 10, 0),
            cairo(2026, 7, 22, 10, 30),
            cairo(2026, 7, 26, 17, 0),
            cairo(2026, 7, 28, 17, 0),
        ),
        # Cairo's clocks go back at the end of Thursday 2026-10-29 (24:00 -> 23:00)
        (
            cairo(2026, 10, 29, 16, 0),
            cairo(2026, 10, 29, 23, 30),
            cairo(2026, 11, 1, 17, 0),
            cairo(2026, 11, 3, 17, 0),
        ),
    ],
)
def test_bug_investigation_sla(bug_sla, created, responded, response_due, resolution_due):
    assert bug_investigation_due(bug_sla, created, responded) == (response_due, resolution_due)


def test_bug_investigation_paused_time_moves_the_due_time(bug_sla):
    due = bug_sla.add_working_days(cairo(2026, 3, 1, 10, 0), 1)  # Monday 17:00
    paused = bug_sla.working_time_between(cairo(2026, 3, 2, 15, 0), cairo(2026, 3, 3, 10, 0))
    assert paused == timedelta(hours=3)
    assert bug_sla.add_working_time(due, paused) == cairo(2026, 3, 3, 12, 0)


# ------------------------------------------------------------- boundaries and basics


def test_is_working_start_inclusive_end_exclusive(split):
    # Monday 2026-03-02
    assert not split.is_working(rome(2026, 3, 2, 8, 59, 59, 999999))
    assert split.is_working(rome(2026, 3, 2, 9, 0))
    assert split.is_working(rome(2026, 3, 2, 12, 59, 59, 999999))
    assert not split.is_working(rome(2026, 3, 2, 13, 0))
    assert split.is_working(rome(2026, 3, 2, 14, 0))
    assert not split.is_working(rome(2026, 3, 2, 18, 0))
    assert not split.is_working(rome(2026, 3, 7, 10, 0))  # Saturday
    assert not split.is_working(rome(2026, 4, 6, 10, 0))  # Easter Monday
    assert split.is_working(utc(2026, 3, 2, 8, 0))  # 09:00 in Rome


def test_working_time_between(split):
    monday, tuesday = rome(2026, 3, 2, 10, 0), rome(2026, 3, 3, 15, 30)
    assert split.working_time_between(monday, tuesday) == timedelta(hours=12, minutes=30)
    assert split.working_time_between(tuesday, monday) == -timedelta(hours=12, minutes=30)
    assert split.working_time_between(monday, monday) == timedelta(0)
    # a gap only
    assert split.working_time_between(rome(2026, 3, 2, 13, 0), rome(2026, 3, 2, 14, 0)) == (
        timedelta(0)
    )
    # Easter Monday 2026-04-06 is an Italian holiday: that week has 4 days
    assert split.working_time_between(rome(2026, 4, 6), rome(2026, 4, 13)) == timedelta(hours=32)


def test_add_working_time_ends_at_an_interval_end_not_at_the_next_start(split):
    assert split.add_working_time(rome(2026, 3, 2, 9, 0), timedelta(hours=4)) == (
        rome(2026, 3, 2, 13, 0)
    )
    assert split.add_working_time(rome(2026, 3, 2, 9, 0), timedelta(hours=8)) == (
        rome(2026, 3, 2, 18, 0)
    )
    # Friday end of day -> Monday
    assert split.add_working_time(rome(2026, 3, 6, 17, 0), timedelta(hours=2)) == (
        rome(2026, 3, 9, 10, 0)
    )
    # start inside a gap: the clock starts at the next interval
    assert split.add_working_time(rome(2026, 3, 2, 13, 30), timedelta(minutes=1)) == (
        rome(2026, 3, 2, 14, 1)
    )
    assert split.add_working_time(rome(2026, 3, 2, 13, 30), timedelta(microseconds=1)) == (
        rome(2026, 3, 2, 14, 0, 0, 1)
    )


def test_zero_amounts_return_start_in_the_calendar_zone(split):
    start = utc(2026, 3, 7, 3, 4, 5, 6)
    for result in (split.add_working_time(start, timedelta(0)), split.add_working_days(start, 0)):
        assert result == start
        assert result.tzinfo is ROME


def test_results_are_in_the_calendar_zone(split):
    result = split.add_working_time(utc(2026, 3, 2, 6, 0), timedelta(hours=1))
    assert result.tzinfo is ROME
    assert (result.hour, result.minute) == (10, 0)


def test_1000_working_hours_across_a_new_year(split):
    start = rome(2026, 12, 1, 9, 0)
    due = split.add_working_time(start, timedelta(hours=1000))
    assert split.working_time_between(start, due) == timedelta(hours=1000)
    assert split.is_working(due.astimezone(UTC) - timedelta(minutes=1))
    assert due.year == 2027


# ----------------------------------------------------------------- clock changes


def test_interval_spanning_the_spring_gap_is_an_hour_shorter():
    cal = WorkingCalendar(timezone="Europe/Rome", week={6: [("01:00", "03:00")]})
    # Sunday 2026-03-29: 02:00 -> 03:00
    day = cal.working_time_between(rome(2026, 3, 29, 0, 0), rome(2026, 3, 30, 0, 0))
    assert day == timedelta(hours=1)
    assert cal.add_working_time(rome(2026, 3, 29, 0, 0), timedelta(minutes=30)) == (
        rome(2026, 3, 29, 1, 30)
    )
    assert cal.add_working_time(rome(2026, 3, 29, 0, 0), timedelta(hours=1)) == (
        rome(2026, 3, 29, 3, 0)
    )


def test_interval_spanning_the_autumn_fold_is_an_hour_longer():
    cal = WorkingCalendar(timezone="Europe/Rome", week={6: [("01:00", "03:00")]})
    # Sunday 2026-10-25: 03:00 -> 02:00
    day = cal.working_time_between(rome(2026, 10, 25, 0, 0), rome(2026, 10, 26, 0, 0))
    assert day == timedelta(hours=3)
    due = cal.add_working_time(rome(2026, 10, 25, 0, 0), timedelta(hours=2, minutes=30))
    assert due.astimezone(UTC) == utc(2026, 10, 25, 1, 30)  # 02:30 CET, the second one
    assert due.fold == 1


def test_ambiguous_start_is_the_first_occurrence():
    cal = WorkingCalendar(timezone="America/New_York", week={6: [("01:30", "03:00")]})
    # Sunday 2026-11-01: 02:00 EDT -> 01:00 EST; 01:30 EDT is 05:30 UTC
    assert not cal.is_working(utc(2026, 11, 1, 5, 29))
    assert cal.is_working(utc(2026, 11, 1, 5, 30))
    total = cal.working_time_between(utc(2026, 11, 1), utc(2026, 11, 2))
    assert total == timedelta(hours=2, minutes=30)


def test_nonexistent_wall_times_map_to_the_jump():
    cal = WorkingCalendar(timezone="Europe/Rome", week={6: [("02:30", "04:00")]})
    # 02:30 does not exist on 2026-03-29: the interval starts at 03:00 CEST = 01:00 UTC
    assert not cal.is_working(utc(2026, 3, 29, 0, 59, 59))
    assert cal.is_working(utc(2026, 3, 29, 1, 0))
    assert cal.working_time_between(utc(2026, 3, 29), utc(2026, 3, 30)) == timedelta(hours=1)


def test_date_whose_only_interval_falls_in_the_gap_is_still_a_working_date():
    """Documented reading: an interval emptied by a DST jump still makes a working date."""
    cal = WorkingCalendar(timezone="Europe/Rome", week={6: [("02:00", "03:00")]})
    spring = (rome(2026, 3, 29), rome(2026, 3, 30))
    assert cal.working_time_between(*spring) == timedelta(0)
    due = cal.add_working_days(rome(2026, 3, 28, 12, 0), 1)
    assert same_instant(due, utc(2026, 3, 29, 1, 0))  # the instant of the jump, 03:00 CEST
    # the following Sunday is a normal one
    assert cal.add_working_days(rome(2026, 3, 29, 12, 0), 1) == rome(2026, 4, 5, 3, 0)
    # add_working_time skips the empty day
    assert cal.add_working_time(rome(2026, 3, 28, 12, 0), timedelta(minutes=1)) == (
        rome(2026, 4, 5, 2, 1)
    )


def test_interval_ending_at_midnight_when_midnight_is_skipped():
    # Cairo jumps from Thursday 2026-04-23 24:00 to Friday 01:00
    cal = WorkingCalendar(
        timezone="Africa/Cairo", week={3: [("22:00", "24:00")], 4: [("00:00", "02:00")]}
    )
    thursday = cal.working_time_between(cairo(2026, 4, 23, 12, 0), cairo(2026, 4, 24, 0, 0))
    assert thursday == timedelta(hours=2)
    both = cal.working_time_between(cairo(2026, 4, 23, 12, 0), cairo(2026, 4, 24, 12, 0))
    assert both == timedelta(hours=3)  # Friday 00:00 is 01:00, so Friday has one hour
    assert cal.add_working_days(cairo(2026, 4, 23, 12, 0), 1) == cairo(2026, 4, 24, 1, 0)
    assert cal.add_working_days(cairo(2026, 4, 23, 12, 0), 1).astimezone(UTC) == (
        utc(2026, 4, 23, 22, 0)
    )
    assert cal.add_working_days(cairo(2026, 4, 23, 12, 0), 2) == cairo(2026, 4, 24, 2, 0)


def test_interval_ending_at_midnight_on_the_fold():
    # Cairo's clocks go back at the end of Thursday 2026-10-29 (24:00 +03 -> 23:00 +02)
    cal = WorkingCalendar(timezone="Africa/Cairo", week={3: [("20:00", "24:00")]})
    assert cal.working_time_between(cairo(2026, 10, 29), cairo(2026, 10, 31)) == timedelta(hours=5)
    due = cal.add_working_days(cairo(2026, 10, 29, 8, 0), 1)
    assert due.astimezone(UTC) == utc(2026, 10, 29, 22, 0)
    assert due == cairo(2026, 10, 30, 0, 0)
    # 23:30 happens twice; the first one is working, and so is the second one
    assert cal.is_working(utc(2026, 10, 29, 20, 30))
    assert cal.is_working(utc(2026, 10, 29, 21, 30))
    assert not cal.is_working(utc(2026, 10, 29, 22, 0))


def test_lord_howe_half_hour_shift():
    cal = WorkingCalendar(timezone="Australia/Lord_Howe", week={6: [("01:00", "03:00")]})
    day = datetime(2026, 10, 4, tzinfo=LORD_HOWE)  # 02:00 -> 02:30
    assert cal.working_time_between(day, day + timedelta(days=1)) == timedelta(hours=1, minutes=30)
    day = datetime(2026, 4, 5, tzinfo=LORD_HOWE)  # 02:00 -> 01:30
    assert cal.working_time_between(day, day + timedelta(days=1)) == timedelta(hours=2, minutes=30)


def test_full_days_and_24_00_touch_across_midnight():
    cal = WorkingCalendar(
        timezone="America/New_York", week={0: [("18:00", "24:00")], 1: [("00:00", "06:00")]}
    )
    start = datetime(2026, 3, 2, 23, 0, tzinfo=NEW_YORK)
    assert cal.add_working_time(start, timedelta(hours=2)) == datetime(
        2026, 3, 3, 1, 0, tzinfo=NEW_YORK
    )
    assert cal.is_working(datetime(2026, 3, 3, 0, 0, tzinfo=NEW_YORK))


# ------------------------------------------------------------------------- holidays


def test_explicit_and_country_holidays():
    cal = WorkingCalendar(
        timezone="Europe/Rome",
        week=SPLIT_MON_FRI,
        holidays=[date(2026, 3, 3), "2026-03-04"],
        holiday_country="IT",
        holiday_subdivision="RM",
    )
    assert cal.add_working_days(rome(2026, 3, 2, 10, 0), 1) == rome(2026, 3, 5, 18, 0)
    assert cal.is_holiday(date(2026, 6, 29))  # Saints Peter and Paul, Rome only
    assert not WorkingCalendar(
        timezone="Europe/Rome", week=SPLIT_MON_FRI, holiday_country="IT"
    ).is_holiday(date(2026, 6, 29))
    assert cal.working_time_between(rome(2026, 6, 29), rome(2026, 6, 30)) == timedelta(0)
    assert cal.working_time_between(rome(2026, 12, 21), rome(2027, 1, 4)) == timedelta(hours=64)


# -------------------------------------------------------------------- working intervals


def test_working_intervals_are_whole_and_in_order(split):
    # Monday 2 and Tuesday 3 March 2026; the range starts inside Monday's first interval
    found = split.working_intervals(rome(2026, 3, 2, 10, 0), rome(2026, 3, 3, 14, 0))
    assert found == [
        (rome(2026, 3, 2, 9, 0), rome(2026, 3, 2, 13, 0)),  # not cut at 10:00
        (rome(2026, 3, 2, 14, 0), rome(2026, 3, 2, 18, 0)),
        (rome(2026, 3, 3, 9, 0), rome(2026, 3, 3, 13, 0)),
    ]  # 14:00 on Tuesday starts at the range's end: it does not overlap
    assert all(begin.tzinfo == ROME and end.tzinfo == ROME for begin, end in found)
    # an interval that ends where the range starts does not overlap it
    assert split.working_intervals(rome(2026, 3, 2, 13, 0), rome(2026, 3, 2, 14, 0)) == []
    assert split.working_intervals(rome(2026, 3, 2, 12, 59), rome(2026, 3, 2, 13, 0)) == [
        (rome(2026, 3, 2, 9, 0), rome(2026, 3, 2, 13, 0))
    ]
    # empty and reversed ranges, weekends
    assert split.working_intervals(rome(2026, 3, 2, 10, 0), rome(2026, 3, 2, 10, 0)) == []
    assert split.working_intervals(rome(2026, 3, 3), rome(2026, 3, 2)) == []
    assert split.working_intervals(rome(2026, 3, 7), rome(2026, 3, 9)) == []


def test_working_intervals_match_the_other_answers(split):
    start, end = rome(2026, 1, 1), rome(2026, 4, 1)
    found = split.working_intervals(start, end)
    total = sum((e.astimezone(UTC) - b.astimezone(UTC) for b, e in found), timedelta(0))
    assert total == split.working_time_between(start, end)
    for begin, finish in found:
        assert split.is_working(begin)
        assert not split.is_working(finish)
        assert split.working_time_between(begin, finish) == timedelta(hours=4)
    days = {begin.date() for begin, _ in found}
    assert date(2026, 1, 6) not in days  # Epiphany
    assert date(2026, 1, 5) in days


def test_working_intervals_keep_touching_intervals_apart_and_cross_years():
    cal = WorkingCalendar(
        timezone="UTC", week={d: [("09:00", "13:00"), ("13:00", "24:00")] for d in range(7)}
    )
    found = cal.working_intervals(utc(2026, 12, 31, 12, 0), utc(2027, 1, 1, 10, 0))
    assert [(b.astimezone(UTC), e.astimezone(UTC)) for b, e in found] == [
        (utc(2026, 12, 31, 9, 0), utc(2026, 12, 31, 13, 0)),
        (utc(2026, 12, 31, 13, 0), utc(2027, 1, 1, 0, 0)),
        (utc(2027, 1, 1, 9, 0), utc(2027, 1, 1, 13, 0)),
    ]
    # a range of three years with a working week of one hour
    weekly = WorkingCalendar(timezone="UTC", week={0: [("09:00", "10:00")]})
    found = weekly.working_intervals(utc(2026, 1, 1), utc(2029, 1, 1))
    assert len(found) == 156  # the Mondays of 2026, 2027 and 2028
    assert (found[0][0], found[-1][1]) == (utc(2026, 1, 5, 9, 0), utc(2028, 12, 25, 10, 0))
    nothing = WorkingCalendar(timezone="UTC", week={})
    assert nothing.working_intervals(utc(2026, 1, 1), utc(2029, 1, 1)) == []


def test_working_intervals_across_clock_changes():
    cal = WorkingCalendar(
        timezone="Europe/Rome", week={6: [("01:00", "05:00")], 5: [("02:00", "03:00")]}
    )
    # Saturday 28 March 2026 is normal; on Sunday 29 the clocks jump 02:00 -> 03:00, and the
    # night shift is an hour shorter in physical time
    found = cal.working_intervals(utc(2026, 3, 28), utc(2026, 3, 30))
    assert [(b.astimezone(UTC), e.astimezone(UTC)) for b, e in found] == [
        (utc(2026, 3, 28, 1, 0), utc(2026, 3, 28, 2, 0)),
        (utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 3, 0)),
    ]
    # an interval wholly inside the gap is empty: it overlaps nothing
    gap = WorkingCalendar(timezone="Europe/Rome", week={6: [("02:00", "03:00")]})
    assert gap.working_intervals(rome(2026, 3, 29), rome(2026, 3, 30)) == []
    # autumn: an hour longer
    found = cal.working_intervals(rome(2026, 10, 25), rome(2026, 10, 26))
    assert [e.astimezone(UTC) - b.astimezone(UTC) for b, e in found] == [timedelta(hours=5)]


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: cal.working_intervals(NAIVE, utc(2026, 3, 3)),
        lambda cal: cal.working_intervals(utc(2026, 3, 3), NAIVE),
    ],
)
def test_working_intervals_refuse_naive_datetimes(split, call):
    with pytest.raises(ValueError):
        call(split)


# ------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"timezone": ""}, "time zone"),
        ({"week": {0: [("9:00", "17:00")]}}, "HH:MM"),
        ({"week": {0: [("09:00", "24:01")]}}, "HH:MM"),
        ({"week": {0: [("09:60", "17:00")]}}, "HH:MM"),
        ({"week": {0: [("25:00", "26:00")]}}, "HH:MM"),
        ({"week": {0: [("noon", "17:00")]}}, "HH:MM"),
        ({"week": {0: [("17:00", "09:00")]}}, "end after"),
        ({"week": {0: [("09:00", "09:00")]}}, "end after"),
        ({"week": {0: [("09:00", "13:00"), ("12:00", "18:00")]}}, "overlap"),
        ({"week": {0: [("14:00", "18:00"), ("09:00", "13:00")]}}, "sorted"),
        ({"week": {7: [("09:00", "17:00")]}}, "weekday"),
        ({"week": {-1: [("09:00", "17:00")]}}, "weekday"),
        ({"week": {"monday": [("09:00", "17:00")]}}, "weekday"),
        ({"week": {0: [("09:00",)]}}, "pair"),
        ({"week": [("09:00", "17:00")]}, "mapping"),
        ({"holidays": [datetime(2026, 1, 1, tzinfo=UTC)]}, "date"),
        ({"holiday_country": "XX"}, "holiday"),
        ({"holiday_country": "IT", "holiday_subdivision": "ZZ"}, "holiday"),
        ({"holiday_subdivision": "RM"}, "country"),
    ],
)
def test_invalid_calendars_raise_value_error(kwargs, message):
    arguments = {"timezone": "Europe/Rome", "week": SPLIT_MON_FRI} | kwargs
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**arguments)


def test_touching_intervals_and_time_objects_are_accepted():
    cal = WorkingCalendar(timezone="UTC", week={"0": [("09:00", "13:00"), (time(13), "24:00")]})
    assert cal.week == {0: [("09:00", "13:00"), ("13:00", "24:00")]}
    assert cal.working_time_between(utc(2026, 3, 2), utc(2026, 3, 3)) == timedelta(hours=15)


NAIVE = datetime(2026, 3, 2, 10, 0)  # naive on purpose


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: cal.is_working(NAIVE),
        lambda cal: cal.working_time_between(NAIVE, utc(2026, 3, 3)),
        lambda cal: cal.working_time_between(utc(2026, 3, 3), NAIVE),
        lambda cal: cal.add_working_time(NAIVE, timedelta(hours=1)),
        lambda cal: cal.add_working_time(NAIVE, timedelta(0)),
        lambda cal: cal.add_working_days(NAIVE, 1),
        lambda cal: cal.add_working_days(NAIVE, 0),
        lambda cal: cal.is_working(date(2026, 3, 2)),
        lambda cal: cal.add_working_time(utc(2026, 3, 2), timedelta(hours=-1)),
        lambda cal: cal.add_working_time(utc(2026, 3, 2), 3600),
        lambda cal: cal.add_working_days(utc(2026, 3, 2), -1),
        lambda cal: cal.add_working_days(utc(2026, 3, 2), 1.5),
        lambda cal: cal.add_working_days(utc(2026, 3, 2), 1.0),
        lambda cal: cal.add_working_days(utc(2026, 3, 2), True),
        lambda cal: cal.add_working_days(utc(2026, 3, 2), "1"),
    ],
)
def test_invalid_arguments_raise_value_error(split, call):
    with pytest.raises(ValueError):
        call(split)


def test_calendar_without_working_time_refuses_positive_amounts():
    cal = WorkingCalendar(timezone="Europe/Rome", week={0: [], 6: []})
    start = utc(2026, 3, 2)
    with pytest.raises(ValueError, match="no working time"):
        cal.add_working_time(start, timedelta(minutes=1))
    with pytest.raises(ValueError, match="no working time"):
        cal.add_working_days(start, 1)
    assert cal.add_working_time(start, timedelta(0)) == start
    assert cal.add_working_days(start, 0) == start
    assert cal.working_time_between(start, utc(2030, 1, 1)) == timedelta(0)
    assert not cal.is_working(start)


def test_result_beyond_the_supported_range_raises_value_error():
    cal = WorkingCalendar(timezone="UTC", week={0: [("09:00", "10:00")]})
    with pytest.raises(ValueError, match="range"):
        cal.add_working_time(utc(9999, 12, 1), timedelta(hours=100))


# ----------------------------------------------------------------------------- speed


def test_no_walking_over_long_spans(split):
    """A guard against regressions to day-by-day loops (the benchmark measures for real)."""
    split.add_working_time(rome(2026, 1, 5, 9, 0), timedelta(hours=1000))  # warm the cache
    begin = wall_clock.perf_counter()
    for i in range(5000):
        start = rome(2026, 1, 5, 9, 0) + timedelta(hours=i)
        split.add_working_time(start, timedelta(hours=1000))
        split.working_time_between(start, start + timedelta(days=200))
    assert wall_clock.perf_counter() - begin < 5.0


def test_far_past_and_far_future(split):
    # 1965-03-01 and 2300-03-05 are Mondays; results outside 1970-2200 take the slow path
    assert split.add_working_time(rome(1965, 3, 1, 9, 0), timedelta(hours=4)) == (
        rome(1965, 3, 1, 13, 0)
    )
    start = rome(2300, 3, 5, 9, 0)
    due = split.add_working_time(start, timedelta(hours=5, microseconds=7))
    assert due == rome(2300, 3, 5, 15, 0, 0, 7)
    assert split.working_time_between(start, due) == timedelta(hours=5, microseconds=7)
