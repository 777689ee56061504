"""Working-time arithmetic: the contract of ``SLA-CALENDAR.md``.

``WorkingCalendar`` answers four questions -- is an instant working time, how much working
time lies between two instants, when does an amount of working time (or a number of working
days) starting at an instant run out -- for a weekly pattern of local working intervals in an
IANA time zone, minus holidays. It also lists the working intervals of a range (for grids of
appointments laid on working time, such as consultation slots).

Mapping wall-clock times to instants
------------------------------------
A configured interval ``(s, e)`` on local date ``D`` is the half-open set of instants
``[instant(D s), instant(D e))`` where ``instant(w)`` is *the first instant at which the local
clock reads ``w`` or later*:

* an ordinary wall time maps to its only instant;
* an ambiguous wall time (clocks going back) maps to its first occurrence (``fold=0``);
* a wall time skipped by a forward jump maps to the instant of the jump, i.e. the first
  instant after the gap (02:30 on a spring-forward night in Rome is 01:00 UTC = 03:00 CEST).

``"24:00"`` is ``00:00`` of ``D + 1`` with the same rule. The mapping never decreases as the
wall time grows, so all intervals of all dates form one sorted sequence of disjoint (possibly
touching or empty) ranges of instants; durations are physical, computed on UTC instants.

Working dates (a reading of the contract)
-----------------------------------------
A *working date* is a date that is not a holiday and whose weekday has at least one configured
interval. An interval that collapses to an empty set of instants because both of its ends fall
in the same DST gap (e.g. ``02:00-03:00`` on a spring-forward Sunday in Rome) still *is* that
date's working interval: it starts and ends at the instant of the jump. It contributes no
working time, but it keeps the date a working date for ``add_working_days`` and is taken into
account as "the first working interval" / "the last working interval" there.

Inputs and results
-----------------
* ``week``: weekday ``0`` (Monday) .. ``6`` (Sunday) -- ints, or digit strings as they come
  back from JSON -- to a list of ``(start, end)`` pairs, each ``"HH:MM"`` with two-digit hours
  (or a whole-minute ``datetime.time``); ``end`` may be ``"24:00"``. Pairs must be given sorted,
  must not overlap (touching, e.g. 09:00-13:00 and 13:00-18:00, is fine) and must have
  ``end > start``; anything else raises ``ValueError`` when the calendar is built.
* ``holidays``: ``datetime.date`` objects or ISO ``"YYYY-MM-DD"`` strings (local dates).
  ``holiday_country``/``holiday_subdivision`` are codes of the ``holidays`` library, loaded one
  year at a time as the computations reach it.
* Every datetime argument must be aware (naive ones raise ``ValueError``); arguments in any zone
  are fine. Results are in the calendar's zone; ``add_working_time(start, 0)`` and
  ``add_working_days(start, 0)`` return the same instant as ``start`` in that zone. The
  arithmetic is exact to the microsecond. Results beyond the years 1..9999 raise ``ValueError``.

Speed
-----
Nothing walks minute by minute or day by day at query time. For each local calendar year that
is touched, the calendar builds once (lazily) the sorted interval starts and ends as integer
microseconds since the Unix epoch, their cumulative working time, and the working dates with
the instants of their first start and last end. Queries are a couple of ``bisect`` calls in
those arrays; spans longer than one year step over whole years using the per-year totals.
Built years are shared between calendars with the same configuration (the web layer may build
a new ``WorkingCalendar`` per request at no cost).
"""

from __future__ import annotations

import operator
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["WorkingCalendar"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_SEC_US = 1_000_000
_MIN_US = 60 * _SEC_US
_DAY_US = 86_400 * _SEC_US
_AVG_YEAR_US = 31_556_952 * _SEC_US  # 365.2425 days: only a first guess of the year
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_ORDINAL = date.max.toordinal()
_FULL_DAY = 24 * 60
# instants (years 1970..2200) that datetime.fromtimestamp converts on every platform
_FAST_MIN = 0
_FAST_MAX = 7_258_118_400 * _SEC_US
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


class _Year:
    """Precomputed working time of one local calendar year (all instants in epoch µs).

    ``lo``/``hi``: instants of local Jan 1 00:00 of this year and of the next one; the years
    tile the time line. ``starts``/``ends``: non-empty working intervals, sorted, disjoint.
    ``cum[i]``: working time before interval ``i`` (``cum[0] == 0``); ``cum_end[i] ==
    cum[i + 1]``. ``wd_ords``/``wd_first``/``wd_last``: working dates (ordinals) with the
    instants of the start of their first and the end of their last configured interval.
    """

    __slots__ = (
        "cum",
        "cum_end",
        "ends",
        "hi",
        "lo",
        "starts",
        "total",
        "wd_first",
        "wd_last",
        "wd_ords",
        "year",
    )

    def __init__(self, year, lo, hi, starts, ends, wd_ords, wd_first, wd_last):
        self.year = year
        self.lo = lo
        self.hi = hi
        self.starts = starts
        self.ends = ends
        cum = [0]
        total = 0
        for s, e in zip(starts, ends, strict=True):
            total += e - s
            cum.append(total)
        self.cum = cum
        self.cum_end = cum[1:]
        self.total = total
        self.wd_ords = wd_ords
        self.wd_first = wd_first
        self.wd_last = wd_last


# Years already built, shared by calendars with an identical configuration, and the dates
# listed by the holidays library per (country, subdivision) and year.
_SHARED_LOCK = threading.Lock()
_SHARED_YEARS: dict[tuple, tuple[dict[int, _Year], threading.Lock]] = {}
_SHARED_MAX = 128
_COUNTRY_DATES: dict[tuple[str, str | None, int], frozenset[date]] = {}


def _shared_years(key: tuple) -> tuple[dict[int, _Year], threading.Lock]:
    with _SHARED_LOCK:
        entry = _SHARED_YEARS.pop(key, None)
        if entry is None:
            entry = ({}, threading.Lock())
            while len(_SHARED_YEARS) >= _SHARED_MAX:
                del _SHARED_YEARS[next(iter(_SHARED_YEARS))]
        _SHARED_YEARS[key] = entry  # most recently used last
        return entry


def _listed_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Dates the holidays library lists when it is asked for ``year`` alone."""
    key = (country, subdivision, year)
    found = _COUNTRY_DATES.get(key)
    if found is None:
        import holidays as holidays_lib

        try:
            listed = holidays_lib.country_holidays(country, subdiv=subdivision, years=[year])
        except (NotImplementedError, KeyError, ValueError) as exc:
            raise ValueError(
                f"unknown holiday country/subdivision {country!r}/{subdivision!r}: {exc}"
            ) from None
        found = frozenset(listed.keys())
        _COUNTRY_DATES[key] = found
    return found


def _parse_time(value, what: str) -> int:
    """``"HH:MM"`` (or ``"24:00"``, or a ``datetime.time`` on a whole minute) -> minutes."""
    if isinstance(value, time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(f"{what}: {value!r} must be a whole minute without time zone")
        return value.hour * 60 + value.minute
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ValueError(f"{what}: {value!r} is not a time 'HH:MM' between 00:00 and 24:00")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _parse_weekday(key) -> int:
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key)
    if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 6:
        raise ValueError(f"weekday {key!r} is not an integer 0 (Monday) .. 6 (Sunday)")
    return key


def _parse_week(week) -> tuple[tuple[tuple[int, int], ...], ...]:
    if not isinstance(week, Mapping):
        raise ValueError("week must be a mapping weekday (0=Monday .. 6=Sunday) -> intervals")
    days: list[tuple[tuple[int, int], ...]] = [()] * 7
    for key, intervals in week.items():
        weekday = _parse_weekday(key)
        if days[weekday]:
            raise ValueError(f"weekday {weekday} is given twice")
        if intervals is None:
            continue
        if isinstance(intervals, (str, bytes)) or not isinstance(intervals, Iterable):
            raise ValueError(f"weekday {weekday}: intervals must be a list of (start, end)")
        parsed: list[tuple[int, int]] = []
        for interval in intervals:
            if isinstance(interval, (str, bytes)) or not isinstance(interval, Iterable):
                raise ValueError(f"weekday {weekday}: {interval!r} is not a (start, end) pair")
            pair = tuple(interval)
            if len(pair) != 2:
                raise ValueError(f"weekday {weekday}: {interval!r} is not a (start, end) pair")
            start = _parse_time(pair[0], f"weekday {weekday} interval start")
            end = _parse_time(pair[1], f"weekday {weekday} interval end")
            if end <= start:
                raise ValueError(
                    f"weekday {weekday}: interval {pair[0]}-{pair[1]} must end after it starts"
                )
            if parsed:
                prev_start, prev_end = parsed[-1]
                if start < prev_start:
                    raise ValueError(f"weekday {weekday}: intervals must be sorted by start time")
                if start < prev_end:
                    raise ValueError(f"weekday {weekday}: intervals overlap")
            parsed.append((start, end))
        days[weekday] = tuple(parsed)
    return tuple(days)


def _parse_holidays(values) -> frozenset[date]:
    if values is None:
        return frozenset()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError("holidays must be a list of dates")
    result = set()
    for value in values:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"holiday {value!r} is not an ISO date") from None
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValueError(f"holiday {value!r} must be a date")
        result.add(value)
    return frozenset(result)


def _to_us(value: datetime, what: str) -> int:
    """Aware datetime -> integer microseconds since the Unix epoch (exact)."""
    try:
        return (value - _EPOCH) // _ONE_US
    except TypeError:  # naive datetime (or not a datetime at all)
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}") from None


class WorkingCalendar:
    """Working time of one organisation: a time zone, a week of intervals, holidays.

    See the module docstring and ``SLA-CALENDAR.md`` for the exact semantics.
    """

    def __init__(
        self,
        timezone: str,
        week: Mapping,
        holidays: Iterable | None = None,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> None:
        if isinstance(timezone, ZoneInfo):
            timezone = timezone.key
        if not isinstance(timezone, str) or not timezone:
            raise ValueError(f"timezone {timezone!r} must be an IANA time zone name")
        try:
            self._tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
        self._week = _parse_week(week)
        self._explicit = _parse_holidays(holidays)
        self._country = self._subdivision = None
        if holiday_subdivision is not None and not holiday_country:
            raise ValueError("holiday_subdivision needs a holiday_country")
        if holiday_country:
            if not isinstance(holiday_country, str):
                raise ValueError(f"holiday_country {holiday_country!r} must be a country code")
            if holiday_subdivision is not None and not isinstance(holiday_subdivision, str):
                raise ValueError(f"holiday_subdivision {holiday_subdivision!r} must be a code")
            self._country = holiday_country.strip().upper()
            self._subdivision = holiday_subdivision or None
            # validates the country and the subdivision now
            _listed_holidays(self._country, self._subdivision, 2000)
        self._empty = not any(self._week)
        self._years, self._lock = _shared_years(
            (timezone, self._week, self._explicit, self._country, self._subdivision)
        )

    # ----------------------------------------------------------------- description

    @property
    def timezone(self) -> ZoneInfo:
        return self._tz

    @property
    def week(self) -> dict[int, list[tuple[str, str]]]:
        """The weekly pattern, normalised: weekday -> list of ``("HH:MM", "HH:MM")``."""

        def fmt(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return {
            weekday: [(fmt(s), fmt(e)) for s, e in intervals]
            for weekday, intervals in enumerate(self._week)
            if intervals
        }

    @property
    def holidays(self) -> frozenset[date]:
        """The explicit holiday dates (country holidays come from the holidays library)."""
        return self._explicit

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(timezone={self._tz.key!r}, week={self.week!r}, "
            f"holidays={sorted(self._explicit)!r}, holiday_country={self._country!r}, "
            f"holiday_subdivision={self._subdivision!r})"
        )

    def is_holiday(self, day: date) -> bool:
        """``day`` (a local date) is an explicit or a country holiday."""
        return day in self._explicit or day in self._country_dates(day.year)

    # ----------------------------------------------------------------- public API

    def is_working(self, at: datetime) -> bool:
        """``at`` lies in a working interval (starts inclusive, ends exclusive)."""
        x = _to_us(at, "at")
        block = self._block_at(x)
        ends = block.ends
        i = bisect_right(ends, x)
        return i < len(ends) and block.starts[i] <= x

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Physical duration of working time in ``[start, end)``; negative if ``end < start``."""
        try:
            a = (start - _EPOCH) // _ONE_US
            b = (end - _EPOCH) // _ONE_US
        except TypeError:
            a = _to_us(start, "start")  # one of these raises the ValueError
            b = _to_us(end, "end")
        if b >= a:
            return timedelta(microseconds=self._between(a, b))
        return timedelta(microseconds=-self._between(b, a))

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """Earliest instant ``t >= start`` with ``working_time_between(start, t) >= duration``."""
        # the hot path of the SLA engine: kept flat on purpose
        try:
            s = (start - _EPOCH) // _ONE_US
        except TypeError:
            s = _to_us(start, "start")  # raises the ValueError
        try:
            need = duration // _ONE_US
        except TypeError:
            raise ValueError(f"duration must be a timedelta, not {duration!r}") from None
        if need <= 0:
            if need == 0:
                return start.astimezone(self._tz)
            raise ValueError(f"duration must not be negative, got {duration!r}")
        if self._empty:
            raise ValueError("the calendar has no working time at all")
        # --- hot path: locate start, then the interval where the target position falls
        block = self._years.get(1970 + s // _AVG_YEAR_US)
        if block is None or not block.lo <= s < block.hi:
            block = self._block_at(s)
        ends = block.ends
        i = bisect_right(ends, s)
        if i < len(ends):
            first = block.starts[i]
            target = block.cum[i] + need + (s - first if s > first else 0)
        else:
            target = block.total + need
        while target > block.total:
            target -= block.total
            block = self._block(block.year + 1)
        j = bisect_left(block.cum_end, target)
        result = block.starts[j] + target - block.cum[j]
        if result % _SEC_US or not _FAST_MIN <= result < _FAST_MAX:
            return self._to_datetime(result)
        return datetime.fromtimestamp(result // _SEC_US, self._tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End of the last working interval of the ``days``-th counted working date.

        The local date of ``start`` is counted first only if it is a working date and ``start``
        is at or before the start of its first working interval; otherwise counting starts
        with the next working date.
        """
        s = _to_us(start, "start")
        if isinstance(days, bool):
            raise ValueError(f"days must be a non-negative integer, got {days!r}")
        try:
            days = operator.index(days)
        except TypeError:
            raise ValueError(f"days must be a non-negative integer, got {days!r}") from None
        if days <= 0:
            if days == 0:
                return start.astimezone(self._tz)
            raise ValueError(f"days must not be negative, got {days}")
        if self._empty:
            raise ValueError("the calendar has no working time at all")
        local_day = start.astimezone(self._tz).date()
        block = self._block(local_day.year)
        ordinal = local_day.toordinal()
        ords = block.wd_ords
        k = bisect_left(ords, ordinal)
        if not (k < len(ords) and ords[k] == ordinal and s <= block.wd_first[k]):
            k = bisect_right(ords, ordinal)
        index = k + days - 1
        while index >= len(block.wd_ords):
            index -= len(block.wd_ords)
            block = self._block(block.year + 1)
        return self._to_datetime(block.wd_last[index])

    def working_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The working intervals that overlap ``[start, end)``, in order, each whole (not cut
        to the range) as ``(begin, end)`` in the calendar's zone.

        One pair per configured interval of a working date, so touching intervals (09:00-13:00
        and 13:00-18:00) stay two; an interval emptied by a DST gap overlaps nothing and is
        left out. Empty when ``end <= start``. For a grid of appointments that must each lie
        wholly inside one interval (``begin + k * length`` while it fits).
        """
        a = _to_us(start, "start")
        b = _to_us(end, "end")
        found: list[tuple[datetime, datetime]] = []
        if b <= a or self._empty:
            return found
        block = self._block_at(a)
        i = bisect_right(block.ends, a)  # the first interval that ends after `a`
        while True:
            starts, ends = block.starts, block.ends
            while i < len(starts) and starts[i] < b:
                found.append((self._to_datetime(starts[i]), self._to_datetime(ends[i])))
                i += 1
            # The next year's intervals start at or after this year's end.
            if i < len(starts) or block.hi >= b:
                return found
            block = self._block(block.year + 1)
            i = 0

    # ----------------------------------------------------------------- internals

    def _between(self, a: int, b: int) -> int:
        """Working µs in ``[a, b)`` for ``a <= b``."""
        block_a = self._block_at(a)
        pos_a = self._position(block_a, a)
        if b < block_a.hi:
            return self._position(block_a, b) - pos_a
        block_b = self._block_at(b)
        total = block_a.total - pos_a + self._position(block_b, b)
        for year in range(block_a.year + 1, block_b.year):
            total += self._block(year).total
        return total

    @staticmethod
    def _position(block: _Year, x: int) -> int:
        """Working µs of ``block`` before instant ``x`` (``block.lo <= x <= block.hi``)."""
        ends = block.ends
        i = bisect_right(ends, x)
        if i < len(ends):
            first = block.starts[i]
            return block.cum[i] + (x - first if x > first else 0)
        return block.total

    def _to_datetime(self, x: int) -> datetime:
        seconds, micro = divmod(x, _SEC_US)
        try:
            result = datetime.fromtimestamp(seconds, self._tz)
        except (OverflowError, OSError, ValueError):
            try:
                return (_EPOCH + timedelta(microseconds=x)).astimezone(self._tz)
            except OverflowError:
                raise ValueError("the result is outside the supported date range") from None
        return result.replace(microsecond=micro) if micro else result

    def _block_at(self, x: int) -> _Year:
        """The year whose ``[lo, hi)`` holds instant ``x``."""
        block = self._years.get(1970 + x // _AVG_YEAR_US)
        if block is None:
            block = self._block(max(1, min(9999, 1970 + x // _AVG_YEAR_US)))
        while x < block.lo:
            block = self._block(block.year - 1)
        while x >= block.hi:
            block = self._block(block.year + 1)
        return block

    def _block(self, year: int) -> _Year:
        block = self._years.get(year)
        if block is None:
            if not 1 <= year <= 9999:
                raise ValueError("the computation leaves the supported date range (years 1-9999)")
            with self._lock:
                block = self._years.get(year)
                if block is None:
                    block = self._build(year)
                    self._years[year] = block
        return block

    def _build(self, year: int) -> _Year:
        holidays = self._country_dates(year) | {d for d in self._explicit if d.year == year}
        week = self._week
        instant = self._instant
        starts: list[int] = []
        ends: list[int] = []
        wd_ords: list[int] = []
        wd_first: list[int] = []
        wd_last: list[int] = []
        for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
            day = date.fromordinal(ordinal)
            intervals = week[day.weekday()]
            if not intervals or day in holidays:
                continue
            first = None
            end = 0
            for s_min, e_min in intervals:
                begin = instant(ordinal, s_min)
                end = instant(ordinal, e_min)
                if first is None:
                    first = begin
                if end > begin:
                    starts.append(begin)
                    ends.append(end)
            wd_ords.append(ordinal)
            wd_first.append(first)
            wd_last.append(end)
        lo = instant(date(year, 1, 1).toordinal(), 0)
        hi = instant(date(year, 12, 31).toordinal(), _FULL_DAY)
        return _Year(year, lo, hi, starts, ends, wd_ords, wd_first, wd_last)

    def _instant(self, ordinal: int, minutes: int) -> int:
        """Epoch µs of local wall time ``minutes`` after 00:00 of the date ``ordinal``.

        The first instant at which the local clock reads that wall time or later.
        """
        if minutes >= _FULL_DAY:
            ordinal, minutes = ordinal + 1, minutes - _FULL_DAY
        wall = (ordinal - _EPOCH_ORDINAL) * _DAY_US + minutes * _MIN_US
        if ordinal > _MAX_ORDINAL:  # 10000-01-01: use the offset of the last minute before
            ordinal, minutes = _MAX_ORDINAL, _FULL_DAY - 1
        day = date.fromordinal(ordinal)
        hour, minute = divmod(minutes, 60)
        naive = (day.year, day.month, day.day, hour, minute)
        off0 = datetime(*naive, tzinfo=self._tz).utcoffset() // _ONE_US
        off1 = datetime(*naive, tzinfo=self._tz, fold=1).utcoffset() // _ONE_US
        if off0 >= off1:  # unique, or ambiguous: fold=0 is the first occurrence
            return wall - off0
        # In a gap: the jump is the first instant whose local time is past `wall`; it lies in
        # (wall - off1, wall - off0] and zoneinfo transitions fall on whole seconds.
        low = (wall - off1) // _SEC_US  # local time at `low` is before `wall`
        high = -(-(wall - off0) // _SEC_US)  # local time at `high` is at or after `wall`
        while high - low > 1:
            mid = (low + high) // 2
            if self._local_us(mid) >= wall:
                high = mid
            else:
                low = mid
        return high * _SEC_US

    def _local_us(self, seconds: int) -> int:
        """Local wall time (as epoch-based µs) of the instant ``seconds`` since the epoch."""
        offset = datetime.fromtimestamp(seconds, self._tz).utcoffset() // _ONE_US
        return seconds * _SEC_US + offset

    def _country_dates(self, year: int) -> frozenset[date]:
        if self._country is None:
            return frozenset()
        return frozenset(
            d
            for y in (year - 1, year, year + 1)
            for d in _listed_holidays(self._country, self._subdivision, y)
            if d.year == year
        )
