"""The reports' periods (weeks, months cut to the range), the figures per period in one query,
and durations in seconds computed alike by PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Avg, Max
from django.db.models.functions import Length
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.crm.models import Company
from partnerdesk.reports.filters import ReportFilters
from partnerdesk.reports.periods import Period, per_period, periods
from partnerdesk.reports.stats import Seconds, percentiles

pytestmark = pytest.mark.django_db


def _filters(start, end, grain="week"):
    return ReportFilters(start=start, end=end, preset="custom", grain=grain)


def test_weeks_start_on_monday_and_are_cut_to_the_range():
    # Wednesday 2026-01-07 to Tuesday 2026-01-20.
    got = periods(_filters(dt.date(2026, 1, 7), dt.date(2026, 1, 20)))
    assert got == [
        Period(dt.date(2026, 1, 7), dt.date(2026, 1, 12)),
        Period(dt.date(2026, 1, 12), dt.date(2026, 1, 19)),
        Period(dt.date(2026, 1, 19), dt.date(2026, 1, 21)),
    ]


def test_months_are_cut_to_the_range_and_a_long_range_stays_bounded():
    got = periods(_filters(dt.date(2026, 1, 15), dt.date(2026, 3, 1), "month"))
    assert got == [
        Period(dt.date(2026, 1, 15), dt.date(2026, 2, 1)),
        Period(dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        Period(dt.date(2026, 3, 1), dt.date(2026, 3, 2)),
    ]
    longest = periods(_filters(dt.date(2024, 1, 3), dt.date(2026, 1, 2)))
    assert len(longest) <= 106
    assert longest[0].start == dt.date(2024, 1, 3) and longest[-1].end == dt.date(2026, 1, 3)


def test_figures_per_period_in_one_query(admin):
    def at(day, hour=12):
        return timezone.make_aware(dt.datetime(2026, 1, day, hour))

    for day in (7, 8, 12, 18, 20, 21):  # the 21st is outside the range
        company = Company.objects.create(name=f"C{day}", domain="x" * day)
        Company.objects.filter(pk=company.pk).update(created_at=at(day))
    filters = _filters(dt.date(2026, 1, 7), dt.date(2026, 1, 20))
    with CaptureQueriesContext(connection) as queries:
        counts = per_period(Company.objects.all(), "created_at", filters)
    assert counts == [2, 2, 1]
    assert len(queries) == 1
    longest = per_period(
        Company.objects.annotate(size=Length("domain")),
        "created_at",
        filters,
        lambda q: Max("size", filter=q),
    )
    assert longest == [8, 18, 20]


def test_seconds_between_two_instants_are_exact_on_both_databases(admin):
    base = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0))
    durations = [dt.timedelta(hours=2), dt.timedelta(days=1, minutes=30, microseconds=500)]
    for n, duration in enumerate(durations):
        company = Company.objects.create(name=f"D{n}")
        Company.objects.filter(pk=company.pk).update(created_at=base, updated_at=base + duration)
    qs = Company.objects.annotate(took=Seconds("created_at", "updated_at"))
    assert sorted(qs.values_list("took", flat=True)) == [7200.0, 88200.0005]
    assert qs.aggregate(avg=Avg("took"))["avg"] == pytest.approx((7200 + 88200.0005) / 2)
    assert percentiles(qs, "took") == {(): [7200.0, 88200.0005]}
