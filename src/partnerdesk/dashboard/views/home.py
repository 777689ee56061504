"""The staff home: per role, the user's own work or the team's, then the trends and the
agency's figures (dashboard.selectors.staff_home)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.core import clock
from partnerdesk.core.access import staff_required

from .. import selectors


@staff_required
@require_GET
def staff_home(request):
    """The page shows at once and its trends follow: the placeholder of #trends asks for
    ``?trends=1`` with htmx and gets that section alone. Without JavaScript, its link opens
    the whole page with the trends in place."""
    now = clock.now()
    trends = request.GET.get("trends") == "1"
    if trends and request.htmx and request.htmx.target == "trends":
        charts = selectors.home_trends(now=now)
        return render(request, "dashboard/_home_trends.html", {"charts": charts})
    context = selectors.staff_home(request.user, now=now, trends=trends)
    return render(request, "dashboard/staff_home.html", context)
