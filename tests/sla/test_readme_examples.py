"""The Bug Investigation table in README.md, computed (a wrong README fails here)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from partnerdesk.sla.calendar import WorkingCalendar

CAIRO = ZoneInfo("Africa/Cairo")
WEEK = {day: [("09:00", "17:00")] for day in (6, 0, 1, 2, 3)}  # Sunday–Thursday


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in the week of Sunday 15 November 2026 (day 15) and the next."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=CAIRO)


@pytest.mark.parametrize(
    ("opened", "first_due", "answered", "resolution_due", "holidays"),
    [
        (at(15, 10), at(16, 17), at(16, 11), at(19, 17), []),  # Sunday 10:00
        (at(15, 8), at(15, 17), at(15, 8, 30), at(17, 17), []),  # Sunday 08:00
        (at(13, 15), at(15, 17), at(15, 12), at(18, 17), []),  # Friday 15:00
        (at(18, 16), at(22, 17), at(22, 10), at(25, 17), [dt.date(2026, 11, 19)]),  # Thursday off
    ],
)
def test_bug_investigation_examples(opened, first_due, answered, resolution_due, holidays):
    cal = WorkingCalendar(timezone="Africa/Cairo", week=WEEK, holidays=holidays)
    assert cal.add_working_days(opened, 1) == first_due
    assert cal.add_working_days(answered, 3) == resolution_due
