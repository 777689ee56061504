"""Figures of many small capped samples in one statement: for each part, its first cap + 1
rows (a ``LIMIT``, so an index range scan that stops early) with their number and sums over
them (flags such as "breached" or amounts), optionally per value of a column; and the same
as columns of an outer query, one capped sample per outer row (``CappedCount``,
``CappedSum``: planned once, however many rows).

What ``tickets.selectors.capped_counts`` does for plain counts, for pages that need more than
a count of the same rows: the SLA states of an owner's open tickets, the open tickets and the
breached ones of every owner, the value of each pipeline's open deals. Each part costs at
most cap + 1 rows read through its index whatever the size of the table; a part past the cap
is not exact, and neither are its sums (the sums of the rows read, shown as "at least").
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    Expression,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)


def flag(condition: Q) -> Case:
    """1 for a row meeting ``condition``, else 0: summed, the number of such rows."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


class CappedCount(Subquery):
    """A column of the outer query: the rows of ``queryset`` (correlated through an
    ``OuterRef``) counted up to cap + 1, so each outer row reads at most that many."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet, *, cap: int):
        super().__init__(queryset.order_by().values("pk")[: cap + 1])


class CappedSum(Subquery):
    """... and how many of those first cap + 1 rows meet ``condition``."""

    template = "(SELECT COALESCE(SUM(capped.met), 0) FROM (%(subquery)s) capped)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet, condition: Q, *, cap: int):
        super().__init__(queryset.order_by().annotate(met=flag(condition)).values("met")[: cap + 1])


@dataclass
class Figures:
    count: int = 0
    exact: bool = True
    sums: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.sums[name]


def capped_figures[K: Hashable](
    parts: Mapping[K, QuerySet],
    *,
    cap: int,
    sums: Mapping[str, Expression | str] | None = None,
    group: str | None = None,
) -> dict[K, dict[Any, Figures]]:
    """{part key: {group value (None without ``group``): Figures}} in one SQL statement.

    ``sums``: name -> an expression (or a field name) of the part's rows, summed over the
    rows read. A part's ``count`` and ``exact`` are those of all its rows (every group
    together): past ``cap`` rows, it reads cap + 1 and says ``exact`` False for every group.
    A part without rows has no group (an empty dict)."""
    sums = dict(sums or {})
    if not parts:
        return {}
    keys = list(parts)
    alias = next(iter(parts.values())).db
    quote = connections[alias].ops.quote_name
    names = [f"s{i}" for i in range(len(sums))]
    selects, params = [], []
    result: dict[K, dict[Any, Figures]] = {key: {} for key in keys}
    for index, key in enumerate(keys):
        qs = parts[key]
        inner = (qs if qs.query.order_by else qs.order_by()).annotate(
            **{name: _expression(expr) for name, expr in zip(names, sums.values(), strict=True)}
        )
        inner = inner.values(*names, *([group] if group else []))[: cap + 1]
        try:
            sql, inner_params = inner.query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:  # a part that cannot have rows (``none()``, ``__in=[]``)
            if group is None:
                result[key][None] = Figures(0, True, dict.fromkeys(sums, 0))
            continue
        columns = [
            f"{index:d}",
            f"p.{quote(group)}" if group else "NULL",
            "COUNT(*)",
            *(f"COALESCE(SUM(p.{quote(name)}), 0)" for name in names),
        ]
        # The ORM's SQL of each part, its values passed as parameters (hence the noqa).
        select = f"SELECT {', '.join(columns)} FROM ({sql}) p"  # noqa: S608
        if group:
            select += f" GROUP BY p.{quote(group)}"
        selects.append(select)
        params.extend(inner_params)
    rows = []
    if selects:
        with connections[alias].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            rows = cursor.fetchall()
    for index, value, count, *totals in rows:
        result[keys[index]][value] = Figures(
            count, True, {name: _number(t) for name, t in zip(sums, totals, strict=True)}
        )
    for groups in result.values():
        total = sum(f.count for f in groups.values())
        if total > cap:
            # cap + 1 rows were read: say cap, like the capped counts, and "not exact"
            for figures in groups.values():
                figures.exact = False
            if group is None:
                groups[None].count = cap
    return result


def _expression(expr: Expression | str) -> Any:
    return F(expr) if isinstance(expr, str) else expr


def _number(value: Any) -> Any:
    """Sums as the database returns them: integers stay integers, amounts become Decimal
    (SQLite returns a float for a sum of decimals)."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value
