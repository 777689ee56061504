"""Figures the database computes for the reports, the same way on PostgreSQL and SQLite.

Percentiles are *nearest-rank* (PostgreSQL's ``percentile_disc``): the smallest value whose
cumulative share of the group's rows reaches the fraction. Both databases compute them with the
``CUME_DIST()`` window function over the filtered rows (SQLite has window functions since 3.25),
in one query per call, so the figures are identical on both and nothing is sorted in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet


def percentiles(
    queryset: QuerySet,
    value: str,
    *,
    group_by: Sequence[str] = (),
    fractions: Sequence[float] = (0.5, 0.9),
) -> dict[tuple, list[float | None]]:
    """For each group of ``queryset`` (the values of ``group_by``), the nearest-rank percentile
    of ``value`` at each fraction. Rows whose value is NULL are left out.

    ``queryset`` carries the filters; ``value`` and ``group_by`` are field names or annotations
    of it. Returns ``{group values tuple: [p for each fraction]}`` (``{(): [...]}`` ungrouped).
    """
    names = [f"rg{i}" for i in range(len(group_by))]
    inner = (
        queryset.filter(**{f"{value}__isnull": False})
        .annotate(
            **{name: F(field) for name, field in zip(names, group_by, strict=True)}, rv=F(value)
        )
        .values(*names, "rv")
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = [quote(name) for name in names]
    partition = f"PARTITION BY {', '.join(columns)} " if columns else ""
    picks = ", ".join(f"MIN(CASE WHEN cd >= {float(f)!r} THEN rv END)" for f in fractions)
    head = "".join(f"{column}, " for column in columns)
    # Only our own aliases, quoted names and float literals are spliced in; every value the
    # caller filters by stays a parameter of the inner query.
    ranked = " ".join(
        [
            f"SELECT {head}rv, CUME_DIST() OVER ({partition}ORDER BY rv) AS cd",
            f"FROM ({sql}) src",
        ]
    )
    grouped = f" GROUP BY {', '.join(columns)}" if columns else ""
    query = " ".join(["SELECT", head + picks, "FROM (", ranked, ") ranked", grouped])
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        result: dict[tuple, list[float | None]] = {}
        for row in cursor.fetchall():
            key = tuple(row[: len(columns)])
            result[key] = [_number(v) for v in row[len(columns) :]]
    return result


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if hasattr(value, "total_seconds"):  # an interval (PostgreSQL DurationField)
        return value.total_seconds()
    return float(value)
