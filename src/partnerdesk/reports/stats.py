"""Figures the database computes for the reports, the same way on PostgreSQL and SQLite.

Percentiles are *nearest-rank* (PostgreSQL's ``percentile_disc``): the smallest value whose
cumulative share of the group's rows reaches the fraction. PostgreSQL computes them with that
ordered-set aggregate (one sort per group, about twice as fast as a window over a hundred
thousand rows); SQLite with the ``CUME_DIST()`` window function over the filtered rows (window
functions since 3.25), which gives the same figures by the same definition. One query per call
either way, and nothing is sorted in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import DurationField, ExpressionWrapper, F, FloatField, Func, QuerySet


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
    if connection.vendor == "postgresql":
        array = ", ".join(repr(float(f)) for f in fractions)
        picks = f"percentile_disc(ARRAY[{array}]::float8[]) WITHIN GROUP (ORDER BY rv)"
        query = " ".join(["SELECT", head + picks, f"FROM ({sql}) src", grouped])
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        result: dict[tuple, list[float | None]] = {}
        for row in cursor.fetchall():
            key = tuple(row[: len(columns)])
            values = row[len(columns) :]
            if connection.vendor == "postgresql":  # one array of the fractions' values
                values = values[0] or [None] * len(fractions)
            result[key] = [_number(v) for v in values]
    return result


class Seconds(Func):
    """The seconds from ``start`` to ``end`` (datetime fields or expressions), as a float on
    both databases: PostgreSQL's ``EXTRACT(EPOCH FROM end - start)``, SQLite's exact microsecond
    difference (Django's ``django_timestamp_diff``) over a million. Averages, sums and
    :func:`percentiles` of it are seconds everywhere.

    ``Seconds("accepted_at", "started_at")``; ``Seconds(Greatest(...), Least(...))``.
    """

    output_field = FloatField()

    def __init__(self, start, end, **extra):
        start = F(start) if isinstance(start, str) else start
        end = F(end) if isinstance(end, str) else end
        super().__init__(ExpressionWrapper(end - start, output_field=DurationField()), **extra)

    def as_sql(self, compiler, connection, **extra):
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s / 1000000.0)", **extra
        )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if hasattr(value, "total_seconds"):  # an interval (PostgreSQL DurationField)
        return value.total_seconds()
    return float(value)
