"""Benchmark of the SLA working calendar against an existing business-time library.

Run from the repository root::

    python benchmarks/bench_calendar.py [--calls 200000] [--library-calls 300] [--seed 7]

Both libraries get the same calendar -- Europe/Rome, Monday to Friday 09:00-13:00 and
14:00-18:00, Italian public holidays -- and the very same inputs: random instants in 2026-2027
and random durations of up to 1,000 working hours. ``businesstimedelta`` walks period by period,
so it is timed on the first ``--library-calls`` inputs only; the rate of WorkingCalendar on that
same subset is printed too. Both are warmed up first (WorkingCalendar builds its per-year tables,
the holidays object loads its years). The figures are calls per second on one core.

A cross-check at the end compares results of the two libraries on inputs where their semantics
coincide (no clock change in between: businesstimedelta does wall-clock arithmetic on pytz
datetimes, so it drifts by an hour across DST changes).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from partnerdesk.sla.calendar import WorkingCalendar

ROME = ZoneInfo("Europe/Rome")
FIRST = datetime(2026, 1, 1, tzinfo=ROME)
LAST = datetime(2028, 1, 1, tzinfo=ROME)
MAX_HOURS = 1000


def make_inputs(count: int, seed: int) -> list[tuple[datetime, timedelta]]:
    rng = random.Random(seed)
    first, span = int(FIRST.timestamp()), int((LAST - FIRST).total_seconds())
    return [
        (
            datetime.fromtimestamp(first + rng.randrange(span), ROME),
            timedelta(minutes=rng.randrange(MAX_HOURS * 60 + 1)),
        )
        for _ in range(count)
    ]


def ours() -> WorkingCalendar:
    return WorkingCalendar(
        timezone="Europe/Rome",
        week={d: [("09:00", "13:00"), ("14:00", "18:00")] for d in range(5)},
        holiday_country="IT",
    )


def theirs():
    import businesstimedelta as btd
    import holidays
    import pytz

    tz = pytz.timezone("Europe/Rome")
    days = [0, 1, 2, 3, 4]
    rules = btd.Rules(
        [
            btd.WorkDayRule(
                start_time=time(9),
                end_time=time(18),
                working_days=days,
                tz=tz,
            ),
            btd.LunchTimeRule(
                start_time=time(13),
                end_time=time(14),
                working_days=days,
                tz=tz,
            ),
            btd.HolidayRule(holidays.country_holidays("IT"), tz=tz),
        ]
    )
    return rules, btd.BusinessTimeDelta


def rate(function, inputs, repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in calls per second."""
    best = float("inf")
    for _ in range(repeat):
        begin = perf_counter()
        for a, b in inputs:
            function(a, b)
        best = min(best, perf_counter() - begin)
    return len(inputs) / best


def show(label: str, value: float, note: str = "") -> None:
    print(f"  {label:<34} {value:>14,.0f} calls/s  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--library-calls", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    cal = ours()
    inputs = make_inputs(args.calls, args.seed)
    subset = inputs[: args.library_calls]
    pairs = [(start, start + 3 * duration) for start, duration in inputs]
    pair_subset = pairs[: args.library_calls]
    try:
        rules, business_delta = theirs()
    except ImportError as exc:
        rules = business_delta = None
        print(f"businesstimedelta is not installed ({exc}); measuring WorkingCalendar only")

    # warm-up: per-year tables for ours, holiday years for theirs
    for start, duration in inputs[:2000]:
        cal.add_working_time(start, duration)
    if rules is not None:
        for start, duration in subset[:20]:
            start + business_delta(rules, timedelta=duration)

    print(
        f"add_working_time: Europe/Rome Mon-Fri 09-13,14-18, IT holidays; random starts "
        f"{FIRST:%Y}-{LAST.year - 1}, durations 0-{MAX_HOURS} working hours"
    )
    ours_all = rate(cal.add_working_time, inputs)
    show("partnerdesk WorkingCalendar", ours_all, f"({len(inputs):,} calls)")
    ours_subset = rate(cal.add_working_time, subset, repeat=20)
    show("partnerdesk WorkingCalendar", ours_subset, f"(the {len(subset):,} inputs below)")
    if rules is not None:
        theirs_subset = rate(lambda s, d: s + business_delta(rules, timedelta=d), subset, 1)
        show("businesstimedelta", theirs_subset, f"(same {len(subset):,} inputs)")
        print(f"  {'ratio (same inputs)':<34} {ours_subset / theirs_subset:>14,.0f} x")

    print("working_time_between: same starts, ends 0-125 calendar days later")
    wtb_all = rate(cal.working_time_between, pairs)
    show("partnerdesk WorkingCalendar", wtb_all, f"({len(pairs):,} calls)")
    wtb_subset = rate(cal.working_time_between, pair_subset, repeat=20)
    show("partnerdesk WorkingCalendar", wtb_subset, f"(the {len(pair_subset):,} inputs below)")
    if rules is not None:
        theirs_wtb = rate(rules.difference, pair_subset, 1)
        show("businesstimedelta", theirs_wtb, f"(same {len(pair_subset):,} inputs)")
        print(f"  {'ratio (same inputs)':<34} {wtb_subset / theirs_wtb:>14,.0f} x")

    if rules is not None:
        cross_check(cal, rules, business_delta, args.seed)


def cross_check(cal, rules, business_delta, seed: int) -> None:
    """Compare results where both semantics coincide: winter weeks, no clock change."""
    rng = random.Random(seed + 1)
    first = datetime(2026, 1, 2, tzinfo=ROME)
    same = 0
    checked = 0
    for _ in range(100):
        start = first + timedelta(minutes=rng.randrange(40 * 24 * 60))
        duration = timedelta(minutes=rng.randrange(1, 60 * 60))
        mine = cal.add_working_time(start, duration)
        other = start + business_delta(rules, timedelta=duration)
        if mine.astimezone(UTC) >= datetime(2026, 3, 29, tzinfo=UTC):
            continue  # past the spring change
        checked += 1
        back = rules.difference(start, mine).timedelta
        same += mine == other and back == cal.working_time_between(start, mine)
    print(f"cross-check add_working_time + difference, Jan-Mar 2026: {same}/{checked} identical")


if __name__ == "__main__":
    main()
