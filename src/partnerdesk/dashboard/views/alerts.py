"""The Alerts tab: the number of upcoming renewal decisions and every partner-program alert
still true, each linking to what needs action; a user puts an alert away until its condition
changes."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.core.forms import submit

from .. import renewals, selectors, services
from ..forms import DismissForm
from ..models import RenewalSettings
from .common import dashboard_required


@dashboard_required
@require_GET
def alerts(request):
    day = renewals.today()
    settings = RenewalSettings.load()
    decisions, exact = selectors.renewal_decisions_count(on=day, settings=settings)
    every = selectors.program_alerts(day)
    shown = selectors.visible_alerts(request.user, every)
    return render(
        request,
        "dashboard/partner/alerts.html",
        {
            "tab": "alerts",
            "decisions": decisions,
            "decisions_exact": exact,
            "window_days": settings.window_days,
            "alerts": shown,
            "dismissed": len(every) - len(shown),
        },
    )


@dashboard_required
@require_POST
def alert_dismiss(request):
    form = DismissForm(request.POST)
    outcome = submit(
        form,
        lambda data: services.alert_dismiss(
            by=request.user, key=data["key"], fingerprint=data["fingerprint"]
        ),
    )
    if outcome.ok:
        messages.success(request, _("Alert put away: it comes back if its condition changes."))
    else:
        messages.error(request, _("That alert could not be put away."))
    return redirect("dashboard:alerts")
