"""A report's range cut into periods (weeks or months, the filters' ``grain``) for its figures
over time, and the aggregates that fill them: one query per figure, a conditional aggregate per
period (``COUNT(*) FILTER (WHERE ...)`` on PostgreSQL, ``CASE`` on SQLite), never a query per
period. A range covers at most ``filters.MAX_DAYS`` days, so at most 106 weeks or 25 months.

The first and the last period are cut to the range: a range from a Wednesday starts with that
Wednesday's partial week, so every figure counts each instant of the range exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Aggregate, Count, Q, QuerySet
from django.utils import formats, timezone

from .filters import ReportFilters


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # excluded

    @property
    def since(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def until(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.end, dt.time.min))


def periods(filters: ReportFilters) -> list[Period]:
    """The weeks (from Monday) or months of the range, the first and the last cut to it."""
    last = filters.end + dt.timedelta(days=1)
    cuts = [filters.start]
    day = filters.start
    while True:
        if filters.grain == "month":
            day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        else:
            day = day + dt.timedelta(days=7 - day.weekday())
        if day >= last:
            break
        cuts.append(day)
    return [Period(a, b) for a, b in zip(cuts, [*cuts[1:], last], strict=True)]


def label(period: Period, grain: str) -> str:
    """How a period reads under a chart: its month, or its first day."""
    if grain == "month":
        return formats.date_format(period.start, "YEAR_MONTH_FORMAT")
    return formats.date_format(period.start, "SHORT_DATE_FORMAT")


def labels(filters: ReportFilters) -> list[str]:
    return [label(p, filters.grain) for p in periods(filters)]


def per_period(
    queryset: QuerySet,
    field: str,
    filters: ReportFilters,
    aggregate: Callable[[Q], Aggregate] = lambda q: Count("pk", filter=q),
) -> list:
    """One figure per period of the rows whose ``field`` (a datetime) falls in it, in one
    query: ``aggregate(condition)`` builds the figure of a period from the condition that
    selects its rows (a count by default; ``lambda q: Avg("score", filter=q)`` for an average).
    """
    spans = periods(filters)
    in_range = queryset.filter(
        **{f"{field}__gte": filters.since, f"{field}__lt": filters.until}
    ).order_by()
    figures = in_range.aggregate(
        **{
            f"p{i}": aggregate(Q(**{f"{field}__gte": p.since, f"{field}__lt": p.until}))
            for i, p in enumerate(spans)
        }
    )
    return [figures[f"p{i}"] for i in range(len(spans))]
