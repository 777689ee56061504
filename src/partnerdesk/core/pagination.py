"""Pagination that stays fast on big tables.

Counting every matching row costs a scan of all of them: at a million tickets that is the
slowest query of a list page. The lists count at most ``COUNT_CAP`` rows (``SELECT COUNT(*)
FROM (… LIMIT cap + 1)``), say "more than 10,000" past it, and page on with Next.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """The number of rows, counted up to ``cap`` (COUNT_CAP); and whether it is exact."""
    cap = COUNT_CAP if cap is None else cap
    # Without the ordering: any cap + 1 rows count the same, and an ORDER BY in the subquery
    # would sort every matching row first (a list sorted by name at a million tickets).
    n = queryset.order_by()[: cap + 1].count()
    return (cap, False) if n > cap else (n, True)


class CappedPaginator(Paginator):
    cap: int | None = None  # COUNT_CAP

    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return self._capped_count[0]

    @property
    def count_is_exact(self) -> bool:
        return self._capped_count[1]
