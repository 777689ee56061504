"""The reports: each one a function from filters and scope to a :class:`Result` (columns, rows
and a chart), registered once and served by the page, the CSV and the API alike.

A report's module under ``reports/selectors/`` builds its figures with database aggregates and
calls :func:`register`; ``reports/selectors/__init__.py`` imports every such module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from partnerdesk.core.charts import Chart

from .filters import ReportFilters, Scope

# How a column's values read: a count, a share (0..1), a duration in seconds, a score, text,
# an instant (an aware datetime: local time on the page, ISO 8601 in the CSV and the API).
Kind = Literal["text", "count", "share", "seconds", "number", "datetime"]


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # str or a lazy translation
    kind: Kind = "count"
    bar: bool = False  # a share the page also draws as a bar (a <meter>)


@dataclass
class Table:
    """A further table of a report (per team, the low scores), under the main one: the page
    shows it, the API returns it under ``tables``, the CSV exports it with ``?table=<key>``."""

    key: str  # a slug, unique in the report
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]


@dataclass
class Result:
    columns: list[Column]
    # Values by column key: raw numbers (seconds, shares 0..1). A row's "<key>_url" (when set)
    # links that column's text to the record on the page; the API returns it as it is.
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    notes: list[Any] = field(default_factory=list)  # sentences shown under the table
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    slug: str
    title: Any
    description: Any
    build: Callable[[ReportFilters, Scope], Result]
    filters: tuple[str, ...] = ()  # of filters.FILTER_FIELDS, the ones this report offers
    order: int = 0
    # Offered to client users (through the API), their company's figures only.
    for_clients: bool = False
    # Ways to group the main table, (key, label), the first by default (the ``group`` filter).
    groups: tuple[tuple[str, Any], ...] = ()


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.slug in REPORTS:
        raise ValueError(f"report {report.slug!r} is registered twice")
    REPORTS[report.slug] = report
    return report


def all_reports() -> list[Report]:
    return sorted(REPORTS.values(), key=lambda r: (r.order, r.slug))
