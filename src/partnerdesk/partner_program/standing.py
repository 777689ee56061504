"""Tier standing: the live figures, the credited tier, the forecast for the next review and
what is missing, in plain words (PRODUCT.md part 5).

- **Figures** on a day: points (``points.totals``), qualifying activities in the activity
  period ending that day, and *Partner Certified* employees: active agency employees holding a
  certification issued on or before the day that has not expired (valid through its expiry
  date).
- **Tier** for figures: the highest tier (by order) whose every threshold is met.
- **Credited tier**: the tier of the last review on or before the day. It changes only at a
  review (1 January, 1 June; ``jobs.tier_review_run``).
- **Forecast** for the next review at the current run rate: each point figure grows from today
  to the review day by its average daily change over the last 90 days (never below zero);
  activities keep today's count; certified employees are those whose certification is still
  valid on the review day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerdesk.accounts.models import AGENCY_ROLES

from . import points
from .models import Certification, ProgramSettings, QualifyingActivity, Tier, TierReview
from .services.common import today
from .services.config import REVIEW_DAYS

RUN_RATE_DAYS = 90


@dataclass(frozen=True)
class Figures:
    day: dt.date
    sourced: Decimal
    assisted: Decimal
    managed: Decimal
    activities: int
    certified_employees: int

    @property
    def sold(self) -> Decimal:
        return self.sourced + self.assisted

    @property
    def total(self) -> Decimal:
        return self.sourced + self.assisted + self.managed

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (a review keeps the figures it used)."""
        return {
            "day": self.day.isoformat(),
            "sourced": str(self.sourced),
            "assisted": str(self.assisted),
            "managed": str(self.managed),
            "sold": str(self.sold),
            "total": str(self.total),
            "activities": self.activities,
            "certified_employees": self.certified_employees,
        }


def activities_in_period(day: dt.date, period_days: int) -> int:
    """Qualifying activities on the ``period_days`` days ending with ``day``."""
    return QualifyingActivity.objects.filter(
        occurred_on__gt=day - dt.timedelta(days=period_days), occurred_on__lte=day
    ).count()


def certified_employees(day: dt.date, *, issued_by: dt.date | None = None) -> int:
    """Active agency employees with a certification valid on ``day`` (issued on or before
    ``issued_by``, default ``day``)."""
    return (
        Certification.objects.filter(
            employee__is_active=True,
            employee__role__in=AGENCY_ROLES,
            issued_on__lte=issued_by or day,
        )
        .exclude(expires_on__lt=day)
        .values("employee")
        .distinct()
        .count()
    )


def figures_on(day: dt.date) -> Figures:
    period = ProgramSettings.load().activity_period_days
    total = points.totals(day)
    return Figures(
        day,
        total.sourced,
        total.assisted,
        total.managed,
        activities_in_period(day, period),
        certified_employees(day),
    )


def tier_table() -> list[Tier]:
    return list(Tier.objects.order_by("order", "id"))


def meets(tier: Tier, figures: Figures) -> bool:
    return (
        figures.total >= tier.min_total_points
        and figures.sold >= tier.min_sold_points
        and figures.activities >= tier.min_activities
        and figures.certified_employees >= tier.min_certified_employees
    )


def tier_for(figures: Figures, tiers: list[Tier]) -> Tier | None:
    """The highest tier whose every threshold ``figures`` meet (None below the lowest)."""
    reached = None
    for tier in tiers:
        if meets(tier, figures):
            reached = tier
    return reached


def tier_above(tier: Tier | None, tiers: list[Tier]) -> Tier | None:
    if tier is None:
        return tiers[0] if tiers else None
    higher = [t for t in tiers if (t.order, t.pk) > (tier.order, tier.pk)]
    return higher[0] if higher else None


def rank(tier: Tier | None) -> tuple[int, int]:
    """Comparable position of a tier (None lowest)."""
    return (-1, -1) if tier is None else (tier.order, tier.pk)


# ---------------------------------------------------------------- reviews


def last_review_day(day: dt.date) -> dt.date:
    """The latest review day (1 January or 1 June) on or before ``day``."""
    candidates = [
        dt.date(year, month, dom)
        for year in (day.year - 1, day.year)
        for month, dom in REVIEW_DAYS
        if dt.date(year, month, dom) <= day
    ]
    return max(candidates)


def next_review_day(day: dt.date) -> dt.date:
    """The first review day after ``day``."""
    candidates = [
        dt.date(year, month, dom)
        for year in (day.year, day.year + 1)
        for month, dom in REVIEW_DAYS
        if dt.date(year, month, dom) > day
    ]
    return min(candidates)


def credited_review(day: dt.date) -> TierReview | None:
    return (
        TierReview.objects.filter(reviewed_on__lte=day)
        .select_related("tier")
        .order_by("-reviewed_on")
        .first()
    )


# ---------------------------------------------------------------- what is missing


@dataclass(frozen=True)
class Missing:
    """What ``figures`` lack to reach ``tier``: each gap, and the sentence saying it."""

    tier: Tier
    sold_points: int = 0
    sourced_usd: int | None = None
    points: int = 0
    managed_usd: int | None = None
    activities: int = 0
    certified_employees: int = 0

    @property
    def nothing(self) -> bool:
        return not (self.sold_points or self.points or self.activities or self.certified_employees)

    @property
    def sentence(self) -> str:
        return describe_missing(self)


def _number(value: int) -> str:
    return formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def _up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING)) if value > 0 else 0


def _usd_for(points_needed: int, rate: Decimal) -> int | None:
    """The USD of MRR that earns ``points_needed`` at ``rate`` points per 100 USD."""
    if rate <= 0 or not points_needed:
        return None
    return math.ceil(Decimal(points_needed) * 100 / rate)


def missing_for(tier: Tier, figures: Figures, rates: points.Rates) -> Missing:
    """The gaps between ``figures`` and ``tier``'s thresholds. Sold points suggested (as
    sourced MRR) count towards the total too, so the point gap is what remains after them and
    is suggested as managed MRR."""
    sold_gap = _up(Decimal(tier.min_sold_points) - figures.sold)
    total_gap = _up(Decimal(tier.min_total_points) - figures.total - sold_gap)
    return Missing(
        tier=tier,
        sold_points=sold_gap,
        sourced_usd=_usd_for(sold_gap, rates.sourced),
        points=total_gap,
        managed_usd=_usd_for(total_gap, rates.managed),
        activities=max(0, tier.min_activities - figures.activities),
        certified_employees=max(0, tier.min_certified_employees - figures.certified_employees),
    )


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


def describe_missing(missing: Missing) -> str:
    """E.g. "1,240 more points, e.g. 12,400 USD of managed MRR, and 2 more certified
    employees" (translated, numbers in the active language's format)."""
    parts = []
    if missing.sold_points:
        n = missing.sold_points
        text = ngettext("%(n)s more sold point", "%(n)s more sold points", n) % {"n": _number(n)}
        if missing.sourced_usd:
            text = _("%(gap)s, e.g. %(usd)s USD of sourced MRR") % {
                "gap": text,
                "usd": _number(missing.sourced_usd),
            }
        parts.append(text)
    if missing.points:
        n = missing.points
        text = ngettext("%(n)s more point", "%(n)s more points", n) % {"n": _number(n)}
        if missing.managed_usd:
            text = _("%(gap)s, e.g. %(usd)s USD of managed MRR") % {
                "gap": text,
                "usd": _number(missing.managed_usd),
            }
        parts.append(text)
    if missing.activities:
        n = missing.activities
        parts.append(
            ngettext(
                "%(n)s more qualifying activity in the period",
                "%(n)s more qualifying activities in the period",
                n,
            )
            % {"n": _number(n)}
        )
    if missing.certified_employees:
        n = missing.certified_employees
        parts.append(
            ngettext("%(n)s more certified employee", "%(n)s more certified employees", n)
            % {"n": _number(n)}
        )
    if not parts:
        return _("Nothing: every threshold of %(tier)s is met.") % {"tier": missing.tier.name}
    return _join(parts)


# ---------------------------------------------------------------- standing and forecast


@dataclass(frozen=True)
class Forecast:
    review_on: dt.date
    figures: Figures  # projected to the review day
    tier: Tier | None
    # What the projection lacks for the next tier above the forecast (None at the top).
    missing: Missing | None


@dataclass(frozen=True)
class Standing:
    day: dt.date
    figures: Figures
    tier: Tier | None  # the tier today's figures reach (live standing)
    credited: TierReview | None
    forecast: Forecast
    # What today's figures lack for the next tier above the live one (None at the top).
    missing: Missing | None
    tiers: list[Tier] = field(default_factory=list)

    @property
    def credited_tier(self) -> Tier | None:
        return self.credited.tier if self.credited else None

    @property
    def at_risk(self) -> bool:
        """The forecast is below the credited tier."""
        return self.credited_tier is not None and rank(self.forecast.tier) < rank(
            self.credited_tier
        )


def _grow(now: Decimal, then: Decimal, days_left: int) -> Decimal:
    per_day = (now - then) / RUN_RATE_DAYS
    return max(Decimal(0), now + per_day * days_left).quantize(points.CENT)


def forecast(
    day: dt.date, *, now: Figures | None = None, tiers: list[Tier] | None = None
) -> Forecast:
    """The figures and tier expected at the next review at the current run rate."""
    tiers = tier_table() if tiers is None else tiers
    now = now or figures_on(day)
    review_on = next_review_day(day)
    then = points.totals(day - dt.timedelta(days=RUN_RATE_DAYS))
    days_left = (review_on - day).days
    projected = Figures(
        review_on,
        _grow(now.sourced, then.sourced, days_left),
        _grow(now.assisted, then.assisted, days_left),
        _grow(now.managed, then.managed, days_left),
        now.activities,
        certified_employees(review_on, issued_by=day),
    )
    tier = tier_for(projected, tiers)
    target = tier_above(tier, tiers)
    return Forecast(
        review_on,
        projected,
        tier,
        missing_for(target, projected, points.rates_on(review_on)) if target else None,
    )


def standing(day: dt.date | None = None) -> Standing:
    """The live standing, credited tier and forecast on ``day`` (default today)."""
    day = day or today()
    tiers = tier_table()
    now = figures_on(day)
    live = tier_for(now, tiers)
    target = tier_above(live, tiers)
    return Standing(
        day=day,
        figures=now,
        tier=live,
        credited=credited_review(day),
        forecast=forecast(day, now=now, tiers=tiers),
        missing=missing_for(target, now, points.rates_on(day)) if target else None,
        tiers=tiers,
    )
