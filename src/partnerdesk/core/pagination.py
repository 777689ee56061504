"""Pagination that stays fast on big tables.

Counting every matching row costs a scan of all of them: at a million tickets that is the
slowest query of a list page. The lists count at most ``COUNT_CAP`` rows (``SELECT COUNT(*)
FROM (… LIMIT cap + 1)``), say "more than 10,000" past it, and page on with Next.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

COUNT_CAP = 10_000


def within_cap(n: int, cap: int | None = None) -> tuple[int, bool]:
    """A number as the lists show it: itself up to ``cap`` (COUNT_CAP), past it the cap and
    not exact ("10,000+"), whether counted up to the cap or read whole from a running total
    (``core.totals``), so a list pages the same either way."""
    cap = COUNT_CAP if cap is None else cap
    return (cap, False) if n > cap else (n, True)


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """The number of rows, counted up to ``cap`` (COUNT_CAP); and whether it is exact."""
    cap = COUNT_CAP if cap is None else cap
    # Without the ordering: any cap + 1 rows count the same, and an ORDER BY in the subquery
    # would sort every matching row first (a list sorted by name at a million tickets).
    return within_cap(queryset.order_by()[: cap + 1].count(), cap)


def capped_counts(parts: dict, cap: int | None = None) -> dict[object, tuple[int, bool]]:
    """For each key, the number of rows of its querysets together (parts that share no row),
    counted up to ``cap`` (COUNT_CAP), and whether that is exact; all in one SQL statement.

    Each part is read up to cap + 1 rows (``LIMIT``), so each is one index range scan that
    stops early; ordered by its index (an explicit ``order_by`` is kept), it stays one even
    where the planner would think the table cheaper to read (in another order every match
    would be sorted first). If one part passes the cap, so does the sum; parts that shared
    rows would count them twice, hence disjoint parts (``tickets.selectors._open_in``)."""
    cap = COUNT_CAP if cap is None else cap
    if not parts:
        return {}
    alias = next(iter(next(iter(parts.values())))).db
    # The ORM's SQL of each part, its values passed as parameters (hence the noqa).
    columns, params = [], []
    for i, querysets in enumerate(parts.values()):
        counts, values = [], []
        for j, qs in enumerate(querysets):
            limited = (qs if qs.query.order_by else qs.order_by()).values("pk")[: cap + 1]
            sql, part_values = limited.query.get_compiler(using=alias).as_sql()
            counts.append(f"(SELECT COUNT(*) FROM ({sql}) part_{i}_{j})")  # noqa: S608
            values.append(part_values)
        total = " + ".join(counts)
        if len(counts) == 1:
            columns.append(total)
            params.extend(values[0])
            continue
        # Past the cap with the first part, the others are not read (the database evaluates
        # a subquery when it needs its value).
        columns.append(f"CASE WHEN {counts[0]} > {cap:d} THEN {cap + 1:d} ELSE {total} END")
        params.extend([*values[0], *(p for part in values for p in part)])
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        row = cursor.fetchone()
    return {key: (cap, False) if n > cap else (n, True) for key, n in zip(parts, row, strict=True)}


class CappedPaginator(Paginator):
    """``counted``: the (number, exact) of the rows when the caller has it from elsewhere
    (a running total, a plainer queryset); else they are counted up to the cap."""

    cap: int | None = None  # COUNT_CAP

    def __init__(
        self, object_list, per_page, *args, counted: tuple[int, bool] | None = None, **kwargs
    ):
        super().__init__(object_list, per_page, *args, **kwargs)
        if counted is not None:
            self.__dict__["_capped_count"] = counted

    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return self._capped_count[0]

    @property
    def count_is_exact(self) -> bool:
        return self._capped_count[1]
