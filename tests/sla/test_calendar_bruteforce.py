"""WorkingCalendar against a brute-force reference, on random calendars and instants.

The reference below is written from the contract only and is deliberately naive: it maps each
configured wall time to an instant by round-tripping both folds through zoneinfo (and, for a
wall time that does not exist, by scanning minute by minute for the first instant whose local
clock reads that time or later), lists the working minutes of every local date, and then walks
minute by minute. All inputs here are minute-aligned, so counting minutes is exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerdesk.sla.calendar import WorkingCalendar

MINUTE = timedelta(minutes=1)
ZONES = ["Europe/Rome", "America/New_York", "Africa/Cairo", "Australia/Lord_Howe", "UTC"]
WINDOW_START = datetime(2025, 12, 20, tzinfo=UTC)
WINDOW_END = datetime(2028, 1, 10, tzinfo=UTC)


# ----------------------------------------------------------------------------- reference


def _epoch_minutes(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) // 60


def _from_epoch_minutes(minutes: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)


class RefCalendar:
    def __init__(self, tz_name, week, holidays=(), country=None, subdivision=None):
        self.tz = ZoneInfo(tz_name)
        self.week = {day: list(intervals) for day, intervals in week.items()}
        self.explicit = set(holidays)
        self.country = country
        self.subdivision = subdivision
        self._country_years: dict[int, set[date]] = {}
        self._day_cache: dict[date, list[tuple[int, int]] | None] = {}

    def wall_instant(self, day: date, hhmm: str) -> int:
        """Epoch minute of the first instant whose local wall clock reads day+hhmm or later."""
        if hhmm == "24:00":
            day, hhmm = day + timedelta(days=1), "00:00"
        hours, minutes = (int(part) for part in hhmm.split(":"))
        naive = datetime.combine(day, time(hours, minutes))
        existing = []
        for fold in (0, 1):
            candidate = naive.replace(tzinfo=self.tz, fold=fold).astimezone(UTC)
            if candidate.astimezone(self.tz).replace(tzinfo=None) == naive:
                existing.append(candidate)
        if existing:
            return _epoch_minutes(min(existing))
        # skipped by a forward jump: scan for the first instant past the gap
        probe = naive.replace(tzinfo=UTC) - timedelta(hours=15)
        while probe.astimezone(self.tz).replace(tzinfo=None) < naive:
            probe += MINUTE
        return _epoch_minutes(probe)

    def is_holiday(self, day: date) -> bool:
        if day in self.explicit:
            return True
        if self.country is None:
            return False
        if day.year not in self._country_years:
            listed = holidays_lib.country_holidays(
                self.country, subdiv=self.subdivision, years=range(day.year - 1, day.year + 2)
            )
            self._country_years[day.year] = set(listed)
        return day in self._country_years[day.year]

    def day_intervals(self, day: date) -> list[tuple[int, int]] | None:
        """Configured intervals of a working date as epoch minutes; None if not one."""
        if day not in self._day_cache:
            intervals = self.week.get(day.weekday(), [])
            if not intervals or self.is_holiday(day):
                self._day_cache[day] = None
            else:
                self._day_cache[day] = [
                    (self.wall_instant(day, s), self.wall_instant(day, e)) for s, e in intervals
                ]
        return self._day_cache[day]

    def local_date(self, minute: int) -> date:
        return _from_epoch_minutes(minute).astimezone(self.tz).date()

    def working_set(self, first: int, last: int) -> set[int]:
        """Working epoch minutes m with first <= m < last (and some beyond)."""
        found: set[int] = set()
        day = self.local_date(first) - timedelta(days=1)
        stop = self.local_date(last) + timedelta(days=1)
        while day <= stop:
            for s, e in self.day_intervals(day) or ():
                found.update(range(s, e))
            day += timedelta(days=1)
        return found

    def is_working(self, minute: int) -> bool:
        return minute in self.working_set(minute, minute)

    def between(self, a: int, b: int) -> int:
        if b < a:
            return -self.between(b, a)
        working = self.working_set(a, b)
        return sum(1 for m in range(a, b) if m in working)

    def add_time(self, start: int, duration: int) -> int:
        t = start
        done = 0
        chunk = 20 * 1440
        working = self.working_set(t, t + chunk)
        horizon = t + chunk
        while done < duration:
            if t >= horizon:
                working = self.working_set(t, t + chunk)
                horizon = t + chunk
            if t in working:
                done += 1
            t += 1
        return t

    def add_days(self, start: int, days: int) -> int:
        if days == 0:
            return start
        day = self.local_date(start)
        counted = 0
        first_day = True
        while True:
            intervals = self.day_intervals(day)
            if intervals is not None and not (first_day and start > intervals[0][0]):
                counted += 1
                if counted == days:
                    return intervals[-1][1]
            first_day = False
            day += timedelta(days=1)


# ----------------------------------------------------------------------------- strategies


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


GRID = range(0, 1441, 30)
# wall times (minutes) where the clocks of ZONES change: 00:00-01:00 Cairo, 01:00-03:00 New
# York, Rome and Lord Howe, 23:00-24:00 Cairo
NEAR_CLOCK_CHANGES = [0, 30, 60, 90, 120, 150, 180, 1380, 1410, 1440]


@st.composite
def day_intervals(draw):
    count = draw(st.integers(0, 3))
    points = sorted(
        draw(
            st.lists(
                st.one_of(st.sampled_from(NEAR_CLOCK_CHANGES), st.sampled_from(GRID)),
                min_size=2 * count,
                max_size=2 * count,
                unique=True,
            )
        )
    )
    return [(_hhmm(points[i]), _hhmm(points[i + 1])) for i in range(0, len(points), 2)]


FIXED_WEEKS = [
    # split shifts, Monday to Friday
    {d: [("09:00", "13:00"), ("14:00", "18:00")] for d in range(5)},
    # Sunday to Thursday
    {d: [("09:00", "17:00")] for d in (6, 0, 1, 2, 3)},
    # night shifts across the DST gaps and folds, touching across midnight
    {d: [("00:00", "01:00"), ("01:00", "03:00"), ("23:00", "24:00")] for d in range(7)},
    # ends inside the gaps and folds, not touching each other
    {d: [("01:30", "02:30"), ("23:30", "24:00")] for d in range(7)},
    {d: [("00:30", "01:00"), ("02:00", "02:30"), ("03:30", "04:00")] for d in range(7)},
    # whole days
    {d: [("00:00", "24:00")] for d in range(7)},
    # sparse: one late interval a week
    {4: [("20:30", "24:00")]},
]


@st.composite
def weeks(draw):
    if draw(st.booleans()):
        return draw(st.sampled_from(FIXED_WEEKS))
    week = {}
    for weekday in range(7):
        intervals = draw(day_intervals())
        if intervals or draw(st.booleans()):
            week[weekday] = intervals
    return week


def _transitions() -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = {}
    for name in ZONES:
        zone = ZoneInfo(name)
        moment = WINDOW_START
        previous = moment.astimezone(zone).utcoffset()
        found[name] = []
        while moment < WINDOW_END:
            moment += timedelta(minutes=30)
            offset = moment.astimezone(zone).utcoffset()
            if offset != previous:
                found[name].append(moment)
                previous = offset
    return found


TRANSITIONS = _transitions()
ALL_TRANSITIONS = sorted(t for moments in TRANSITIONS.values() for t in moments)
NEW_YEARS = [datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)]


def _instants(draw, zone: str) -> datetime:
    """A minute-aligned instant, often close to a DST transition of ``zone``."""
    near = TRANSITIONS[zone] or ALL_TRANSITIONS
    kind = draw(st.sampled_from(["transition"] * 3 + ["new_year", "anywhere"]))
    if kind == "anywhere":
        span = int((WINDOW_END - WINDOW_START - timedelta(days=40)).total_seconds()) // 60
        moment = WINDOW_START + timedelta(minutes=draw(st.integers(0, span)))
    else:
        anchor = draw(st.sampled_from(near if kind == "transition" else NEW_YEARS))
        moment = anchor + timedelta(minutes=draw(st.integers(-4 * 1440, 2 * 1440)))
    # given in various zones: the result must not depend on the zone of the argument
    shown_in = draw(
        st.sampled_from(
            [
                UTC,
                ZoneInfo(zone),
                ZoneInfo("Europe/Rome"),
                ZoneInfo("Asia/Tokyo"),
                timezone(timedelta(hours=-7)),
            ]
        )
    )
    return moment.astimezone(shown_in)


@st.composite
def scenarios(draw):
    """(WorkingCalendar, RefCalendar with the same configuration, start instant)."""
    zone = draw(st.sampled_from(ZONES))
    week = draw(weeks())
    explicit = draw(st.lists(st.dates(date(2025, 12, 15), date(2028, 1, 15)), max_size=4))
    if draw(st.booleans()):
        # holidays right where the interesting things happen
        explicit += [
            t.astimezone(ZoneInfo(zone)).date()
            for t in draw(st.lists(st.sampled_from(TRANSITIONS[zone] or NEW_YEARS), max_size=2))
        ]
    country, subdivision = draw(
        st.sampled_from([(None, None), (None, None), ("IT", None), ("IT", "RM"), ("EG", None)])
    )
    kwargs = dict(
        timezone=zone,
        week=week,
        holidays=explicit,
        holiday_country=country,
        holiday_subdivision=subdivision,
    )
    ref = RefCalendar(zone, week, explicit, country, subdivision)
    return WorkingCalendar(**kwargs), ref, _instants(draw, zone)


def _weekly_minutes(week) -> int:
    total = 0
    for intervals in week.values():
        for s, e in intervals:
            sh, sm = (int(x) for x in s.split(":"))
            eh, em = (int(x) for x in e.split(":"))
            total += (eh * 60 + em) - (sh * 60 + sm)
    return total


SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _minus_1us(moment: datetime) -> datetime:
    """One microsecond earlier in physical time (aware arithmetic in a zone is wall-clock)."""
    return moment.astimezone(UTC) - timedelta(microseconds=1)


def _check_result_zone(result: datetime, cal: WorkingCalendar) -> None:
    assert result.tzinfo is cal.timezone
    # the fold is right: the wall time shown maps back to the same instant
    assert result.astimezone(UTC).astimezone(cal.timezone) == result
    assert result.utcoffset() == result.astimezone(UTC).astimezone(cal.timezone).utcoffset()


# ----------------------------------------------------------------------------- properties


@SETTINGS
@given(scenarios())
def test_is_working_matches_reference(scenario):
    cal, ref, at = scenario
    assert cal.is_working(at) == ref.is_working(_epoch_minutes(at))
    # the instant just before a minute boundary belongs to the previous minute
    before = _minus_1us(at)
    assert cal.is_working(before) == ref.is_working(_epoch_minutes(at) - 1)


@SETTINGS
@given(scenarios(), st.integers(-6 * 1440, 6 * 1440))
def test_working_time_between_matches_reference(scenario, minutes):
    cal, ref, start = scenario
    end = start.astimezone(UTC) + timedelta(minutes=minutes)
    expected = ref.between(_epoch_minutes(start), _epoch_minutes(end))
    assert cal.working_time_between(start, end) == timedelta(minutes=expected)


@SETTINGS
@given(scenarios(), st.data())
def test_add_working_time_matches_reference(scenario, data):
    cal, ref, start = scenario
    weekly = _weekly_minutes(ref.week)
    if weekly == 0:
        with pytest.raises(ValueError, match="no working time"):
            cal.add_working_time(start, MINUTE)
        return
    minutes = data.draw(st.integers(0, min(4000, 2 * weekly)), label="minutes")
    result = cal.add_working_time(start, timedelta(minutes=minutes))
    expected = ref.add_time(_epoch_minutes(start), minutes)
    assert _epoch_minutes(result) == expected
    assert result.second == 0
    assert result.microsecond == 0
    _check_result_zone(result, cal)
    assert cal.working_time_between(start, result) == timedelta(minutes=minutes)
    if minutes:
        assert cal.is_working(_minus_1us(result))


@SETTINGS
@given(scenarios(), st.integers(0, 6))
def test_add_working_days_matches_reference(scenario, days):
    cal, ref, start = scenario
    if _weekly_minutes(ref.week) == 0:
        if days:
            with pytest.raises(ValueError, match="no working time"):
                cal.add_working_days(start, days)
        return
    result = cal.add_working_days(start, days)
    assert _epoch_minutes(result) == ref.add_days(_epoch_minutes(start), days)
    _check_result_zone(result, cal)


# Long spans and arbitrary precision: check against invariants rather than minute walks.

# hypothesis takes naive bounds and attaches the time zones itself
NAIVE_2024 = datetime(2024, 1, 1)
NAIVE_2025 = datetime(2025, 1, 1)
NAIVE_2029 = datetime(2029, 12, 31)
NAIVE_2030 = datetime(2030, 12, 31)

LONG_CAL = WorkingCalendar(
    timezone="Europe/Rome",
    week={d: [("09:00", "13:00"), ("14:00", "18:00")] for d in range(5)},
    holiday_country="IT",
)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        NAIVE_2025,
        NAIVE_2029,
        timezones=st.sampled_from([UTC, ZoneInfo("Europe/Rome"), ZoneInfo("America/New_York")]),
    ),
    st.timedeltas(timedelta(0), timedelta(hours=1000)),
    st.timedeltas(timedelta(0), timedelta(hours=1000)),
)
def test_add_working_time_is_additive_to_the_microsecond(start, first, second):
    one = LONG_CAL.add_working_time(start, first)
    both = LONG_CAL.add_working_time(start, first + second)
    assert LONG_CAL.working_time_between(start, one) == first
    assert LONG_CAL.working_time_between(start, both) == first + second
    assert both >= one >= start
    if second:
        assert LONG_CAL.add_working_time(one, second) == both
        assert LONG_CAL.is_working(_minus_1us(both))
    else:
        assert both == one
    # the earliest such instant: one microsecond less of working time is not enough
    if first:
        assert LONG_CAL.working_time_between(start, _minus_1us(one)) < first


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(NAIVE_2024, NAIVE_2030, timezones=st.just(UTC)),
    st.datetimes(NAIVE_2024, NAIVE_2030, timezones=st.just(UTC)),
    st.datetimes(NAIVE_2024, NAIVE_2030, timezones=st.just(UTC)),
)
def test_working_time_between_is_additive(a, b, c):
    ab = LONG_CAL.working_time_between(a, b)
    bc = LONG_CAL.working_time_between(b, c)
    assert LONG_CAL.working_time_between(a, c) == ab + bc
    assert LONG_CAL.working_time_between(b, a) == -ab


def _interval_walk_between(start: datetime, end: datetime) -> timedelta:
    """Sum of interval overlaps, one local date at a time (no minute walk, no bisect)."""
    ref = RefCalendar(
        "Europe/Rome", {d: [("09:00", "13:00"), ("14:00", "18:00")] for d in range(5)}, country="IT"
    )
    a, b = _epoch_minutes(start), _epoch_minutes(end)
    total = 0
    day = ref.local_date(a) - timedelta(days=1)
    while day <= ref.local_date(b) + timedelta(days=1):
        for s, e in ref.day_intervals(day) or ():
            total += max(0, min(e, b) - max(s, a))
        day += timedelta(days=1)
    return timedelta(minutes=total)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)),
        (datetime(2025, 12, 24, 10, 17, tzinfo=UTC), datetime(2027, 3, 28, 1, 5, tzinfo=UTC)),
        (datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC)),
    ],
)
def test_multi_year_spans_match_an_interval_walk(start, end):
    expected = _interval_walk_between(start, end)
    assert LONG_CAL.working_time_between(start, end) == expected
    assert LONG_CAL.add_working_time(start, expected) <= end
    assert LONG_CAL.working_time_between(start, LONG_CAL.add_working_time(start, expected)) == (
        expected
    )


def test_reference_maps_wall_times_per_the_contract():
    ref = RefCalendar("Europe/Rome", {})
    # 02:30 does not exist on 2026-03-29: the instant of the jump (01:00 UTC)
    jump = ref.wall_instant(date(2026, 3, 29), "02:30")
    assert _from_epoch_minutes(jump) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    # 02:30 happens twice on 2026-10-25: the first occurrence (00:30 UTC)
    first = ref.wall_instant(date(2026, 10, 25), "02:30")
    assert _from_epoch_minutes(first) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
