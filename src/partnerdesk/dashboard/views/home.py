"""The staff home: what needs attention (tickets, client tasks), then the deals."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.core import clock
from partnerdesk.core.access import staff_required

from .. import selectors


@staff_required
@require_GET
def staff_home(request):
    context = selectors.staff_home(request.user, now=clock.now())
    return render(request, "dashboard/staff_home.html", context)
