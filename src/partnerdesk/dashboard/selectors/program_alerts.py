"""The partner program's alerts as the dashboard shows them (PRODUCT.md part 5): managed
relationships about to lapse, certifications expiring, the tier at risk before a review,
accreditation evaluations due, accreditations at risk, marks on record past the limit.

Each alert is computed from the condition that makes it true *now* (the daily job notifies
about the same conditions once; this page shows what is still true), with a stable ``key``
and a ``fingerprint`` of the figures that make it true, so a user can put it away
(``services.alert_dismiss``) until the condition changes. A fixed number of queries, each
capped at ``LIMIT`` rows per kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _

from partnerdesk.partner_program import standing as standing_module
from partnerdesk.partner_program.models import (
    HELD_STATES,
    MAX_MARKS,
    Accreditation,
    AccreditationState,
    Certification,
    MarkOnRecord,
    ProgramSettings,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
)

from .alerts import fingerprint

LIMIT = 50


@dataclass(frozen=True)
class ProgramAlert:
    key: str
    fingerprint: str
    kind: str  # lapsing, certification, tier, accreditation, marks
    title: str
    detail: str
    url: str
    action: str  # the link's text: what to do


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _url(name: str, *args, fallback: str = "partner_program:standing") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page another part of the program has not added yet
        return reverse(fallback)


def lapsing(day: dt.date, settings: ProgramSettings) -> list[ProgramAlert]:
    threshold = day - dt.timedelta(days=settings.lapse_alert_days)
    last = (
        QualifyingActivity.objects.filter(account=OuterRef("account_id"), occurred_on__lte=day)
        .order_by()
        .values("account")
        .annotate(last=Max("occurred_on"))
        .values("last")[:1]
    )
    periods = (
        Relationship.objects.filter(
            kind=RelationshipKind.MANAGED, started_on__lte=day, ended_on__isnull=True
        )
        .annotate(anchor=Greatest("started_on", Coalesce(Subquery(last), "started_on")))
        .filter(anchor__lte=threshold)
        .select_related("account")
        .order_by("anchor", "pk")[:LIMIT]
    )
    alerts = []
    for period in periods:
        ends = period.anchor + dt.timedelta(days=settings.relationship_end_days + 1)
        alerts.append(
            ProgramAlert(
                key=f"lapsing:{period.pk}",
                fingerprint=fingerprint(period.anchor),
                kind="lapsing",
                title=_("No qualifying activity for %(n)s days: %(account)s")
                % {"n": (day - period.anchor).days, "account": period.account.name},
                detail=_(
                    "Record a qualifying activity, or the managed relationship ends on "
                    "%(date)s and its managed points stop."
                )
                % {"date": _date(ends)},
                url=_url("partner_program:account_detail", period.account_id),
                action=_("Open the account"),
            )
        )
    return alerts


def certifications(day: dt.date, settings: ProgramSettings) -> list[ProgramAlert]:
    until = day + dt.timedelta(days=settings.certification_alert_days)
    rows = (
        Certification.objects.filter(
            expires_on__gte=day, expires_on__lte=until, employee__is_active=True
        )
        .select_related("employee")
        .order_by("expires_on", "pk")[:LIMIT]
    )
    return [
        ProgramAlert(
            key=f"certification:{c.pk}",
            fingerprint=fingerprint(c.expires_on),
            kind="certification",
            title=_("Certification expiring on %(date)s: %(name)s (%(employee)s)")
            % {"date": _date(c.expires_on), "name": c.name, "employee": c.employee},
            detail=_("Renew it in HubSpot Academy to keep the Partner Certified status."),
            url=_url("partner_program:certification_edit", c.pk),
            action=_("Open the certification"),
        )
        for c in rows
        if c.expires_on is not None
    ]


def tier_at_risk(day: dt.date, settings: ProgramSettings) -> list[ProgramAlert]:
    """Within the lead days of a review, the forecast below the credited tier (a standing
    computation, only then)."""
    review = standing_module.next_review_day(day)
    if (review - day).days > settings.tier_risk_lead_days:
        return []
    current = standing_module.standing(day)
    if not current.at_risk or current.credited_tier is None:
        return []
    expected = current.forecast.tier
    keep = standing_module.missing_for(
        current.credited_tier,
        current.forecast.figures,
        standing_module.points.rates_on(review),
    )
    return [
        ProgramAlert(
            key=f"tier-at-risk:{review.isoformat()}",
            fingerprint=fingerprint(current.credited_tier.pk, expected.pk if expected else ""),
            kind="tier",
            title=_("Tier at risk: %(tier)s at the review of %(date)s")
            % {"tier": current.credited_tier.name, "date": _date(review)},
            detail=_("To keep %(tier)s: %(missing)s.")
            % {"tier": current.credited_tier.name, "missing": keep.sentence},
            url=_url("dashboard:tier"),
            action=_("See the partner tier"),
        )
    ]


def accreditations(day: dt.date, settings: ProgramSettings) -> list[ProgramAlert]:
    until = day + dt.timedelta(days=settings.evaluation_alert_days)
    held = (
        Accreditation.objects.filter(state__in=HELD_STATES)
        .select_related("accreditation_type")
        .order_by("next_evaluation_on", "pk")[:LIMIT]
    )
    alerts = []
    for a in held:
        name = a.accreditation_type.name
        url = _url("partner_program:accreditation_detail", a.pk)
        if a.next_evaluation_on is not None and day <= a.next_evaluation_on <= until:
            alerts.append(
                ProgramAlert(
                    key=f"accreditation:{a.pk}:evaluation",
                    fingerprint=fingerprint(a.next_evaluation_on, a.state),
                    kind="accreditation",
                    title=_("Accreditation evaluation on %(date)s: %(name)s")
                    % {"date": _date(a.next_evaluation_on), "name": name},
                    detail=_("Tier, certifications and marks on record are checked then."),
                    url=url,
                    action=_("Open the accreditation"),
                )
            )
        if a.state == AccreditationState.AT_RISK:
            codes = sorted(str(r.get("code")) for r in a.at_risk_reasons or [])
            detail = (
                _("Grace period ends on %(date)s.") % {"date": _date(a.grace_period_ends_on)}
                if a.grace_period_ends_on
                else _("A standard is not met: see the accreditation.")
            )
            alerts.append(
                ProgramAlert(
                    key=f"accreditation:{a.pk}:at-risk",
                    fingerprint=fingerprint(*codes, a.grace_period_ends_on),
                    kind="accreditation",
                    title=_("Accreditation at risk: %(name)s") % {"name": name},
                    detail=detail,
                    url=url,
                    action=_("Open the accreditation"),
                )
            )
    return alerts


def marks(day: dt.date) -> list[ProgramAlert]:
    count = MarkOnRecord.objects.count()
    if count <= MAX_MARKS:
        return []
    return [
        ProgramAlert(
            key="marks",
            fingerprint=fingerprint(count),
            kind="marks",
            title=_("%(n)s marks on record") % {"n": count},
            detail=_(
                "More than three marks send the renewal of an accreditation to the review board."
            ),
            url=_url("partner_program:complaint_list"),
            action=_("Open the complaints"),
        )
    ]


def program_alerts(day: dt.date) -> list[ProgramAlert]:
    """Every partner-program alert true on ``day``, most pressing kinds first."""
    settings = ProgramSettings.load()
    return [
        *tier_at_risk(day, settings),
        *lapsing(day, settings),
        *accreditations(day, settings),
        *marks(day),
        *certifications(day, settings),
    ]
