"""The partner program's daily job (``core.periodic``: once a day however many schedulers run).

Each step is safe to repeat on the same day: relationships end once (only open ones are
looked at), alerts are notifications with a key per cause (``notify`` creates each once per
user), and a review is one row per review day (unique).

1. **Lifecycle**: end managed relationships 60 days after their last qualifying activity.
2. **Alerts** to admins and managers: a managed relationship without qualifying activity for
   45 days, a relationship that ended, a certification expiring within 30 days (also to its
   holder), the tier at risk (forecast below the credited tier within 60 days of a review).
3. **Review** on 1 January and 1 June: record the credited tier with the figures it used. A
   review missed because no scheduler ran is caught up within ``REVIEW_CATCH_UP`` days.
4. **Accreditations** (``accreditation_jobs.run``), after the review: the universal standards
   (the tier rule's grace period), the six-monthly evaluations due, and their alerts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from partnerdesk.accounts.models import User
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify

from . import accreditation_jobs
from . import standing as standing_module
from .events import PartnerEvent
from .models import (
    Certification,
    EndReason,
    ProgramSettings,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    TierReview,
)
from .notices import alert_recipients, per_recipient, translated
from .services.common import record, today
from .services.relationships import lapse_relationships

REVIEW_CATCH_UP = dt.timedelta(days=30)


def _open_managed_with_last_activity(day: dt.date):
    last = (
        QualifyingActivity.objects.filter(account=OuterRef("account_id"), occurred_on__lte=day)
        .order_by()
        .values("account")
        .annotate(last=Max("occurred_on"))
        .values("last")
    )
    return (
        Relationship.objects.filter(kind=RelationshipKind.MANAGED, started_on__lte=day)
        .filter(ended_on__isnull=True)
        .annotate(last_activity_on=Subquery(last))
        .select_related("account")
    )


def alert_lapsing(day: dt.date, settings: ProgramSettings, users: list[User]) -> int:
    """Managed relationships with no qualifying activity for ``lapse_alert_days`` days."""
    threshold = day - dt.timedelta(days=settings.lapse_alert_days)
    sent = 0
    for period in _open_managed_with_last_activity(day).order_by("pk"):
        anchor = max(period.started_on, period.last_activity_on or period.started_on)
        if anchor > threshold:
            continue
        ends = anchor + dt.timedelta(days=settings.relationship_end_days + 1)
        sent += len(
            notify(
                users=users,
                kind=Kind.PARTNER,
                title=translated(
                    gettext_noop("No qualifying activity for %(n)s days: %(account)s"),
                    n=(day - anchor).days,
                    account=period.account.name,
                ),
                body=translated(
                    gettext_noop(
                        "Record a qualifying activity, or the managed relationship ends on "
                        "%(date)s and its managed points stop."
                    ),
                    date=ends.isoformat(),
                ),
                dedupe_key=f"partner:lapsing:{period.pk}:{anchor.isoformat()}",
            )
        )
    return sent


def alert_ended(periods: list[Relationship], users: list[User]) -> int:
    sent = 0
    end_days = ProgramSettings.load().relationship_end_days
    for period in periods:
        ended_on = period.ended_on.isoformat() if period.ended_on else ""
        body = (
            translated(
                gettext_noop(
                    "No qualifying activity for %(n)s days; no managed points from %(date)s."
                ),
                n=end_days,
                date=ended_on,
            )
            if period.end_reason == EndReason.LAPSED
            else translated(gettext_noop("No managed points from %(date)s."), date=ended_on)
        )
        sent += len(
            notify(
                users=users,
                kind=Kind.PARTNER,
                title=translated(
                    gettext_noop("Managed relationship ended: %(account)s"),
                    account=period.account.name,
                ),
                body=body,
                dedupe_key=f"partner:ended:{period.pk}",
            )
        )
    return sent


def alert_certifications(day: dt.date, settings: ProgramSettings, users: list[User]) -> int:
    """Certifications expiring within ``certification_alert_days`` days (to managers, admins
    and the holder)."""
    until = day + dt.timedelta(days=settings.certification_alert_days)
    expiring = Certification.objects.filter(
        expires_on__gte=day, expires_on__lte=until, employee__is_active=True
    ).select_related("employee")
    sent = 0
    for certification in expiring.order_by("expires_on", "pk"):
        sent += len(
            notify(
                users=[*users, certification.employee],
                kind=Kind.PARTNER,
                title=translated(
                    gettext_noop("Certification expiring on %(date)s: %(name)s (%(employee)s)"),
                    date=str(certification.expires_on),
                    name=certification.name,
                    employee=str(certification.employee),
                ),
                body=translated(
                    gettext_noop(
                        "Renew it in HubSpot Academy to keep the Partner Certified status."
                    )
                ),
                url=certification.academy_url,
                dedupe_key=f"partner:certification:{certification.pk}:{certification.expires_on}",
            )
        )
    return sent


def alert_tier_at_risk(
    day: dt.date, settings: ProgramSettings, users: list[User]
) -> standing_module.Standing | None:
    """Within ``tier_risk_lead_days`` of a review, the forecast below the credited tier."""
    review = standing_module.next_review_day(day)
    if (review - day).days > settings.tier_risk_lead_days:
        return None
    current = standing_module.standing(day)
    if not current.at_risk:
        return current
    credited = current.credited_tier
    expected = current.forecast.tier
    missing = current.forecast.missing

    def body() -> str:
        text = _("At the current run rate the review of %(date)s credits %(tier)s.") % {
            "date": review.isoformat(),
            "tier": expected.name if expected else _("no tier"),
        }
        if credited is not None:
            keep = standing_module.missing_for(
                credited, current.forecast.figures, standing_module.points.rates_on(review)
            )
            text += " " + _("To keep %(tier)s: %(missing)s.") % {
                "tier": credited.name,
                "missing": keep.sentence,
            }
        elif missing is not None:
            text += " " + missing.sentence
        return text

    notify(
        users=users,
        kind=Kind.PARTNER,
        title=per_recipient(
            lambda: (
                _("Tier at risk: %(tier)s at the review of %(date)s")
                % {"tier": credited.name if credited else "", "date": review.isoformat()}
            )
        ),
        body=per_recipient(body),
        dedupe_key=f"partner:tier-at-risk:{review.isoformat()}",
    )
    return current


def tier_review_run(day: dt.date) -> TierReview | None:
    """Record the review of the latest review day on or before ``day`` if it is missing (and
    not older than ``REVIEW_CATCH_UP``): the tier the figures of that day reach becomes the
    credited tier."""
    review_on = standing_module.last_review_day(day)
    if (
        day - review_on > REVIEW_CATCH_UP
        or TierReview.objects.filter(reviewed_on=review_on).exists()
    ):
        return None
    tiers = standing_module.tier_table()
    figures = standing_module.figures_on(review_on)
    tier = standing_module.tier_for(figures, tiers)
    previous = standing_module.credited_review(review_on - dt.timedelta(days=1))
    previous_tier = previous.tier if previous else None
    try:
        with transaction.atomic():
            review = TierReview.objects.create(
                reviewed_on=review_on,
                tier=tier,
                figures={
                    **figures.as_dict(),
                    "tier": tier.name if tier else None,
                    "thresholds": [
                        {
                            "tier": t.name,
                            "min_total_points": t.min_total_points,
                            "min_sold_points": t.min_sold_points,
                            "min_activities": t.min_activities,
                            "min_certified_employees": t.min_certified_employees,
                        }
                        for t in tiers
                    ],
                },
            )
            record(
                PartnerEvent.TIER_REVIEWED,
                subject=review,
                by=SYSTEM,
                data={
                    "reviewed_on": review_on.isoformat(),
                    "tier": tier.name if tier else None,
                    "previous": previous_tier.name if previous_tier else None,
                    "figures": figures.as_dict(),
                },
            )
    except IntegrityError:
        return None  # another run recorded it meanwhile
    notify(
        users=alert_recipients(),
        kind=Kind.PARTNER,
        title=per_recipient(
            lambda: (
                _("Tier review of %(date)s: %(tier)s")
                % {"date": review_on.isoformat(), "tier": tier.name if tier else _("no tier")}
            )
        ),
        body=per_recipient(
            lambda: (
                _(
                    "%(total)s points (%(sold)s sold), %(activities)s qualifying activities, "
                    "%(certified)s certified employees."
                )
                % {
                    "total": figures.total,
                    "sold": figures.sold,
                    "activities": figures.activities,
                    "certified": figures.certified_employees,
                }
            )
        ),
        dedupe_key=f"partner:review:{review_on.isoformat()}",
    )
    return review


def daily(*, on: dt.date | None = None) -> dict[str, Any]:
    """The daily job: lifecycle, alerts, review, accreditations. Returns what it did."""
    day = on or today()
    settings = ProgramSettings.load()
    users = alert_recipients()
    ended = lapse_relationships(on=day)
    review = tier_review_run(day)
    return {
        "ended": [p.pk for p in ended],
        "ended_alerts": alert_ended(ended, users),
        "lapsing_alerts": alert_lapsing(day, settings, users),
        "certification_alerts": alert_certifications(day, settings, users),
        "at_risk": bool((s := alert_tier_at_risk(day, settings, users)) and s.at_risk),
        "review": review.reviewed_on.isoformat() if review else None,
        "accreditations": accreditation_jobs.run(on=day),
    }
