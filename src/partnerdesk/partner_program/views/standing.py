"""The program's home for managers and admins: the credited tier, the live standing, the
forecast for the next review with what is missing, the tier table against today's figures,
and the points over time chart (loaded after the page: it is a query per month)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partnerdesk.core.charts import Chart, Series

from .. import accreditation_rules, accreditation_selectors, points, selectors, standing
from ..models import MAX_MARKS
from .common import manager_required, today

CHART_MONTHS = 12


def _tier_rows(result: standing.Standing) -> list[dict]:
    figures = result.figures
    return [
        {
            "tier": tier,
            "met": standing.meets(tier, figures),
            "live": result.tier is not None and tier.pk == result.tier.pk,
            "credited": result.credited_tier is not None and tier.pk == result.credited_tier.pk,
            "forecast": result.forecast.tier is not None and tier.pk == result.forecast.tier.pk,
        }
        for tier in result.tiers
    ]


@manager_required
@require_GET
def standing_page(request):
    result = standing.standing(today())
    return render(
        request,
        "partner_program/standing.html",
        {
            "standing": result,
            "figures": result.figures,
            "forecast": result.forecast,
            "tier_rows": _tier_rows(result),
            "reviews": list(selectors.tier_reviews()[:6]),
            # Accreditations: the marks on record and any grace period after a tier drop.
            "marks": accreditation_rules.marks_count(),
            "max_marks": MAX_MARKS,
            "in_grace": list(accreditation_selectors.in_grace_period()[:10]),
        },
    )


def points_chart(figures: list[points.Totals]) -> Chart:
    """The month ends' combined, sourced and managed points, for the shared chart include."""
    return Chart(
        id="points-over-time",
        title=_("Points at the end of each month: combined, sourced and managed"),
        labels=[formats.date_format(t.day, "M Y") for t in figures],
        series=[
            Series(_("Combined"), [t.total for t in figures], "#213343"),
            Series(_("Sourced"), [t.sourced for t in figures], "#d9431f"),
            Series(_("Managed"), [t.managed for t in figures], "#1f7a3d"),
        ],
    )


@manager_required
@require_GET
def points_history(request):
    """Points over time (combined, sourced, managed) at each month's end, as a chart and a
    table of the figures. The standing page loads it as a fragment after the page (a query
    per month); without JavaScript it is a page of its own."""
    months = request.GET.get("months", "")
    count = int(months) if months.isdigit() and 2 <= int(months) <= 36 else CHART_MONTHS
    chart = points_chart(points.series(today(), months=count))
    template = "partner_program/points_history.html"
    if request.htmx:
        template += "#chart"
    return render(request, template, {"chart": chart, "months": count})
