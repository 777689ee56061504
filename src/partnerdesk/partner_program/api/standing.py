"""API: the tier standing (credited tier, live standing, forecast for the next review and what
is missing) and the points over time. Managers and admins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from partnerdesk.accounts.api_auth import MANAGER

from .. import points, standing
from .common import today

router = Router(tags=["partner program: standing"])


class PartnerFigures(Schema):
    day: dt.date
    sourced: Decimal
    assisted: Decimal
    managed: Decimal
    sold: Decimal = Field(description="Sourced and assisted")
    total: Decimal
    activities: int = Field(description="Qualifying activities in the activity period")
    certified_employees: int


class PartnerTierRef(Schema):
    id: int
    name: str
    order: int


class PartnerMissing(Schema):
    tier: PartnerTierRef = Field(description="The tier the gaps are measured against")
    sold_points: int
    sourced_usd: int | None = Field(description="e.g. this much sourced MRR would close it")
    points: int
    managed_usd: int | None = Field(description="e.g. this much managed MRR would close it")
    activities: int
    certified_employees: int
    sentence: str = Field(description="The same, in words")


class PartnerForecastOut(Schema):
    review_on: dt.date
    figures: PartnerFigures = Field(description="Projected to the review at the run rate")
    tier: PartnerTierRef | None
    missing: PartnerMissing | None = Field(description="For the tier above (null at the top)")


class PartnerStandingOut(Schema):
    day: dt.date
    figures: PartnerFigures
    tier: PartnerTierRef | None = Field(description="The tier today's figures reach")
    credited_tier: PartnerTierRef | None = Field(description="From the last review")
    credited_on: dt.date | None = Field(description="The day of the last review")
    missing: PartnerMissing | None = Field(description="For the tier above today's")
    forecast: PartnerForecastOut
    at_risk: bool = Field(description="The forecast is below the credited tier")


class PartnerStandingQuery(Schema):
    on: dt.date | None = Field(None, description="The day (default today)")


class PartnerPointsTotals(Schema):
    day: dt.date
    sourced: Decimal
    assisted: Decimal
    managed: Decimal
    sold: Decimal
    total: Decimal


class PartnerPointsSeriesOut(Schema):
    series: list[PartnerPointsTotals] = Field(description="Each month's end, oldest first")


class PartnerPointsSeriesQuery(Schema):
    months: int = Field(12, ge=2, le=36)
    until: dt.date | None = Field(None, description="The last day (default today)")


def _tier(tier) -> dict[str, Any] | None:
    return None if tier is None else {"id": tier.pk, "name": tier.name, "order": tier.order}


def _figures(figures: standing.Figures) -> dict[str, Any]:
    return {
        "day": figures.day,
        "sourced": figures.sourced,
        "assisted": figures.assisted,
        "managed": figures.managed,
        "sold": figures.sold,
        "total": figures.total,
        "activities": figures.activities,
        "certified_employees": figures.certified_employees,
    }


def _missing(missing: standing.Missing | None) -> dict[str, Any] | None:
    if missing is None:
        return None
    return {
        "tier": _tier(missing.tier),
        "sold_points": missing.sold_points,
        "sourced_usd": missing.sourced_usd,
        "points": missing.points,
        "managed_usd": missing.managed_usd,
        "activities": missing.activities,
        "certified_employees": missing.certified_employees,
        "sentence": missing.sentence,
    }


@router.get(
    "/partner/standing",
    auth=MANAGER,
    response=PartnerStandingOut,
    summary="The credited tier, the live standing and the forecast for the next review",
    description=(
        "Reviews are on 1 January and 1 June: the credited tier changes only then. The "
        "forecast grows each point figure at its average daily change over the last 90 days."
    ),
)
def get_standing(request, query: Query[PartnerStandingQuery]):
    result = standing.standing(query.on or today())
    forecast = result.forecast
    return {
        "day": result.day,
        "figures": _figures(result.figures),
        "tier": _tier(result.tier),
        "credited_tier": _tier(result.credited_tier),
        "credited_on": result.credited.reviewed_on if result.credited else None,
        "missing": _missing(result.missing),
        "forecast": {
            "review_on": forecast.review_on,
            "figures": _figures(forecast.figures),
            "tier": _tier(forecast.tier),
            "missing": _missing(forecast.missing),
        },
        "at_risk": result.at_risk,
    }


@router.get(
    "/partner/points",
    auth=MANAGER,
    response=PartnerPointsSeriesOut,
    summary="Points over time: the totals at each month's end (the last: the day given)",
)
def points_series(request, query: Query[PartnerPointsSeriesQuery]):
    series = points.series(query.until or today(), months=query.months)
    return {
        "series": [
            {
                "day": t.day,
                "sourced": t.sourced,
                "assisted": t.assisted,
                "managed": t.managed,
                "sold": t.sold,
                "total": t.total,
            }
            for t in series
        ]
    }
