"""The Partner tier tab: the credited tier, the live standing and the forecast for the next
review against the thresholds with what is missing, the points over time (a chart loaded after
the tab, from the partner program's own fragment), the median product usage across clients and
the *Partner Certified* status."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.partner_program import standing

from .. import renewals, selectors
from .common import dashboard_required


@dashboard_required
@require_GET
def tier(request):
    result = standing.standing(renewals.today())
    figures = result.figures
    rows = [
        {
            "tier": t,
            "met": standing.meets(t, figures),
            "live": result.tier is not None and t.pk == result.tier.pk,
            "credited": result.credited_tier is not None and t.pk == result.credited_tier.pk,
            "forecast": result.forecast.tier is not None and t.pk == result.forecast.tier.pk,
        }
        for t in result.tiers
    ]
    return render(
        request,
        "dashboard/partner/tier.html",
        {
            "tab": "tier",
            "standing": result,
            "figures": figures,
            "forecast": result.forecast,
            "tier_rows": rows,
            "usage": selectors.median_usage(),
            "certified": figures.certified_employees > 0,
        },
    )
