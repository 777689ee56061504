"""Search, filters, sorting and pagination for list pages (constant queries: count + page)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Q

from .converters import parse_id
from .pagination import CappedPaginator


@dataclass
class Listing:
    search_fields: tuple[str, ...]
    filters: dict[str, str] = field(default_factory=dict)  # query param -> ORM lookup
    sorts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> order_by
    default_sort: str = ""
    page_size: int = 25

    def apply(self, request, queryset) -> dict:
        params = request.GET
        q = params.get("q", "").strip()[:200]
        if q:
            condition = Q()
            for name in self.search_fields:
                condition |= Q(**{f"{name}__icontains": q})
            queryset = queryset.filter(condition)
        active = {}
        for param, lookup in self.filters.items():
            value = params.get(param, "").strip()
            if not value:
                continue
            if lookup.endswith("_id") and parse_id(value) is None:
                continue
            active[param] = value
            queryset = queryset.filter(**{lookup: value})
        sort = params.get("sort", self.default_sort)
        if sort not in self.sorts:
            sort = self.default_sort
        queryset = queryset.order_by(*self.sorts[sort]) if sort else queryset
        paginator = CappedPaginator(queryset, self.page_size)
        try:
            page = paginator.page(params.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            page = paginator.page(
                1 if not params.get("page", "").isdigit() else paginator.num_pages
            )
        query = params.copy()
        query.pop("page", None)
        return {
            "page": page,
            "objects": page.object_list,
            "q": q,
            "sort": sort,
            "filters": active,
            "querystring": query.urlencode(),
        }
