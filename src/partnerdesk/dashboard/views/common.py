"""What the partner dashboard's tabs share: who may open them (managers and admins; for agents
and client users every tab, export and panel is the same 404 as a missing page), paging with
the capped paginator, the side panel, and streamed CSV."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404
from django.shortcuts import render

from partnerdesk.core.access import staff_required
from partnerdesk.core.pagination import CappedPaginator, capped_count

PAGE_SIZE = 25


def dashboard_required(view):
    """Managers and admins. Agents get the 404 of a missing page, like client users (who never
    see the staff app): the dashboard does not exist for them."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_manager_or_admin:
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    guarded = staff_required(wrapper)
    guarded.access = "manager"
    return guarded


def paginate(request, rows, *, count_from=None, size: int = PAGE_SIZE):
    """One page of ``rows`` (counted on ``count_from`` when given: the plain filtered rows,
    so the count computes no annotation) and the query string of the other parameters."""
    counted = None if count_from is None else capped_count(count_from)
    paginator = CappedPaginator(rows, size, counted=counted)
    raw = request.GET.get("page", 1)
    try:
        page = paginator.page(raw)
    except (PageNotAnInteger, EmptyPage):
        page = paginator.page(1 if not str(raw).isdigit() else paginator.num_pages)
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def render_tab(request, template: str, context: dict[str, Any], status: int = 200):
    """The whole tab, or only its ``results`` partial for an htmx request aimed at it."""
    if request.htmx and request.htmx.target == "results" and request.method == "GET":
        return render(request, f"{template}#results", context)
    return render(request, template, context, status=status)


def render_panel(request, template: str, context: dict[str, Any], status: int = 200):
    """A side panel: its fragment when htmx loads it into ``#panel``, else a page of its own
    (a plain link, bookmarkable, works without JavaScript)."""
    if request.htmx and request.htmx.target == "panel":
        return render(request, f"{template}#panel", context, status=status)
    return render(request, template, context, status=status)
