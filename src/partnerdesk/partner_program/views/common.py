"""What the partner program's pages share: who may open them, paging, today's date."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.access import staff_required
from partnerdesk.core.pagination import CappedPaginator

PAGE_SIZE = 25


def today() -> dt.date:
    """The agency's current day (``core.clock``, which tests move)."""
    return timezone.localdate(clock.now())


def manager_required(view):
    """Managers and admins (the program's standing and accounts); agents 403, clients 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_manager_or_admin:
            raise PermissionDenied(_("Only an admin or a manager can see this."))
        return view(request, *args, **kwargs)

    guarded = staff_required(wrapper)
    guarded.access = "manager"
    return guarded


def require_admin_post(request) -> None:
    """Configuration pages: managers read them, only admins change them."""
    if request.method == "POST" and not request.user.is_admin:
        raise PermissionDenied(_("Only an admin can change the configuration."))


def paginate(request, queryset, size: int = PAGE_SIZE, param: str = "page"):
    """One page of ``queryset`` (a capped count: no scan of a whole table) and the query
    string of the other parameters, for includes/pagination.html."""
    paginator = CappedPaginator(queryset, size)
    raw = request.GET.get(param, 1)
    try:
        page = paginator.page(raw)
    except (PageNotAnInteger, EmptyPage):
        page = paginator.page(1 if not str(raw).isdigit() else paginator.num_pages)
    query = request.GET.copy()
    query.pop(param, None)
    return page, query.urlencode()


def render_list(request, template: str, context: dict, status: int = 200):
    """The whole page, or only its ``results`` partial for an htmx request aimed at it."""
    if request.htmx and request.htmx.target == "results" and request.method == "GET":
        return render(request, f"{template}#results", context)
    return render(request, template, context, status=status)
