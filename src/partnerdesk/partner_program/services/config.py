"""The program's tables (point rates, currency amounts, tiers), its settings, certifications
and tier reviews recorded by hand.

Rates and currency amounts are versioned by effective date. A new version takes effect today or
later; changing what was in force on a past day rewrites past points, so it must be asked for
explicitly (``correct_past=True``), and it is recorded like any other change.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.permissions import Actor, person, require_admin
from partnerdesk.core.records import UNSET, Unset, display, field_labels, given, set_fields

from ..events import PartnerEvent
from ..models import (
    Certification,
    CurrencyRate,
    PointRate,
    ProgramSettings,
    Tier,
    TierReview,
)
from .common import (
    check_date,
    check_employee,
    check_period,
    clean_text,
    record,
    require_writer,
    today,
)

CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
REVIEW_DAYS = ((1, 1), (6, 1))  # 1 January and 1 June


def is_review_day(day: dt.date) -> bool:
    return (day.month, day.day) in REVIEW_DAYS


def _number(value: Any, field: str, *, positive: bool = False, places: int = 3) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if (
        not number.is_finite()
        or number < 0
        or (positive and number == 0)
        or number.as_tuple().exponent < -places  # type: ignore[operator]
        or number >= Decimal(10) ** 9
    ):
        raise DomainError(
            code="invalid_number",
            message=_("Enter a number zero or more, with at most %(n)s decimals.") % {"n": places}
            if not positive
            else _("Enter a number above zero, with at most %(n)s decimals.") % {"n": places},
            field=field,
        )
    return number


def _check_effective(effective_from: dt.date, *, correct_past: bool) -> None:
    check_date(effective_from, "effective_from")
    if effective_from < today() and not correct_past:
        raise DomainError(
            code="past_version",
            message=_(
                "A new version takes effect today or later. Changing the rules in force on "
                "%(d)s changes past points: confirm that you are correcting the past."
            )
            % {"d": effective_from.isoformat()},
            field="effective_from",
        )


@transaction.atomic
def rates_set(
    *,
    by: Actor,
    effective_from: dt.date,
    sourced: Decimal | str,
    assisted: Decimal | str,
    managed: Decimal | str,
    growth_multiplier: Decimal | str,
    correct_past: bool = False,
) -> PointRate:
    """The points per 100 USD of MRR in force from ``effective_from`` (a version for that day
    is replaced). Points for earlier days keep the rates in force then."""
    require_admin(by)
    values = {
        "sourced": _number(sourced, "sourced"),
        "assisted": _number(assisted, "assisted"),
        "managed": _number(managed, "managed"),
        "growth_multiplier": _number(growth_multiplier, "growth_multiplier", positive=True),
    }
    _check_effective(effective_from, correct_past=correct_past)
    row, _created = PointRate.objects.update_or_create(
        effective_from=effective_from, defaults={**values, "changed_by": person(by)}
    )
    record(
        PartnerEvent.RATES_SET,
        subject=row,
        by=by,
        data={
            "effective_from": effective_from.isoformat(),
            **{name: str(value) for name, value in values.items()},
            "correct_past": correct_past,
        },
    )
    return row


@transaction.atomic
def currency_rate_set(
    *,
    by: Actor,
    currency: str,
    amount_per_100_usd: Decimal | str,
    effective_from: dt.date,
    correct_past: bool = False,
) -> CurrencyRate:
    """How much of ``currency`` is worth 100 USD from ``effective_from`` (a new currency is
    added to the table; a version for that day is replaced)."""
    require_admin(by)
    code = str(currency or "").strip().upper()
    if not CURRENCY_CODE.match(code):
        raise DomainError(
            code="invalid_currency",
            message=_("Enter a three-letter ISO currency code such as EUR."),
            field="currency",
        )
    amount = _number(amount_per_100_usd, "amount_per_100_usd", positive=True, places=4)
    _check_effective(effective_from, correct_past=correct_past)
    row, _created = CurrencyRate.objects.update_or_create(
        currency=code,
        effective_from=effective_from,
        defaults={"amount_per_100_usd": amount, "changed_by": person(by)},
    )
    record(
        PartnerEvent.CURRENCY_RATE_SET,
        subject=row,
        by=by,
        data={
            "currency": code,
            "amount": str(amount),
            "effective_from": effective_from.isoformat(),
            "correct_past": correct_past,
        },
    )
    return row


# ---------------------------------------------------------------- tiers

TIER_NUMBERS = (
    "order",
    "min_total_points",
    "min_sold_points",
    "min_activities",
    "min_certified_employees",
)


# The largest value of a (positive) small integer column on every database we support.
SMALLINT_MAX = 32767


def _clean_tier_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = clean_text(fields["name"], "name", limit=50)
    if "note" in fields:
        fields["note"] = clean_text(fields["note"], "note", limit=2000, required=False)
    for name in TIER_NUMBERS:
        if name in fields:
            value = fields[name]
            limit = SMALLINT_MAX + 1 if name == "order" else 10**9  # order is a small integer
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
                raise DomainError(
                    code="invalid_number",
                    message=_("Enter a whole number, zero or more."),
                    field=name,
                )
    return fields


def _tier_name_taken(name: str, exclude: int | None = None) -> None:
    if Tier.objects.filter(name__iexact=name).exclude(pk=exclude or 0).exists():
        raise conflict("duplicate_name", _("Another tier is called “%(n)s”.") % {"n": name}, "name")


@transaction.atomic
def tier_create(
    *,
    by: Actor,
    name: str,
    order: int,
    min_total_points: int = 0,
    min_sold_points: int = 0,
    min_activities: int = 0,
    min_certified_employees: int = 0,
    note: str = "",
) -> Tier:
    require_admin(by)
    fields = _clean_tier_fields(
        {
            "name": name,
            "order": order,
            "min_total_points": min_total_points,
            "min_sold_points": min_sold_points,
            "min_activities": min_activities,
            "min_certified_employees": min_certified_employees,
            "note": note,
        }
    )
    _tier_name_taken(fields["name"])
    tier = Tier.objects.create(**fields)
    record(
        PartnerEvent.TIER_SAVED,
        subject=tier,
        by=by,
        data={"name": tier.name, "created": True, **{n: fields[n] for n in TIER_NUMBERS}},
    )
    return tier


@transaction.atomic
def tier_update(
    *,
    by: Actor,
    tier: Tier,
    name: str | Unset = UNSET,
    order: int | Unset = UNSET,
    min_total_points: int | Unset = UNSET,
    min_sold_points: int | Unset = UNSET,
    min_activities: int | Unset = UNSET,
    min_certified_employees: int | Unset = UNSET,
    note: str | Unset = UNSET,
) -> Tier:
    """Change a tier's thresholds (the credited tier changes only at the next review)."""
    require_admin(by)
    tier = Tier.objects.select_for_update().get(pk=tier.pk)
    fields = _clean_tier_fields(
        given(
            name=name,
            order=order,
            min_total_points=min_total_points,
            min_sold_points=min_sold_points,
            min_activities=min_activities,
            min_certified_employees=min_certified_employees,
            note=note,
        )
    )
    if "name" in fields:
        _tier_name_taken(fields["name"], exclude=tier.pk)
    changes = set_fields(tier, fields, field_labels(Tier))
    if changes:
        tier.save()
        record(
            PartnerEvent.TIER_SAVED,
            subject=tier,
            by=by,
            data={"name": tier.name, "changes": changes},
        )
    return tier


@transaction.atomic
def tier_delete(*, by: Actor, tier: Tier) -> None:
    """Remove a tier no review has credited (the history of reviews keeps its tiers)."""
    require_admin(by)
    if TierReview.objects.filter(tier=tier).exists():
        raise conflict(
            "tier_in_use",
            _("A tier review credited %(n)s: change its thresholds instead.") % {"n": tier.name},
        )
    record(PartnerEvent.TIER_SAVED, subject=tier, by=by, data={"name": tier.name, "deleted": True})
    tier.delete()


@transaction.atomic
def tier_review_record(*, by: Actor, reviewed_on: dt.date, tier: Tier | None) -> TierReview:
    """Record the tier HubSpot credited at a past review (1 January or 1 June) by hand, e.g.
    when the program is first set up. A review already recorded for that day is replaced."""
    require_admin(by)
    check_date(reviewed_on, "reviewed_on")
    if not is_review_day(reviewed_on) or reviewed_on > today():
        raise DomainError(
            code="not_a_review_day",
            message=_(
                "Reviews are on 1 January and 1 June: choose one of those days, not later than today."
            ),
            field="reviewed_on",
        )
    previous = (
        TierReview.objects.filter(reviewed_on__lt=reviewed_on).order_by("-reviewed_on").first()
    )
    review, _created = TierReview.objects.update_or_create(
        reviewed_on=reviewed_on,
        defaults={"tier": tier, "figures": {"recorded_by_hand": True}},
    )
    record(
        PartnerEvent.TIER_REVIEWED,
        subject=review,
        by=by,
        data={
            "reviewed_on": reviewed_on.isoformat(),
            "tier": tier.name if tier else None,
            "previous": previous.tier.name if previous and previous.tier else None,
            "by_hand": True,
        },
    )
    return review


# ---------------------------------------------------------------- settings

SETTINGS_FIELDS = (
    "lapse_alert_days",
    "relationship_end_days",
    "tier_risk_lead_days",
    "certification_alert_days",
    "activity_period_days",
)


@transaction.atomic
def program_settings_update(
    *,
    by: Actor,
    lapse_alert_days: int | Unset = UNSET,
    relationship_end_days: int | Unset = UNSET,
    tier_risk_lead_days: int | Unset = UNSET,
    certification_alert_days: int | Unset = UNSET,
    activity_period_days: int | Unset = UNSET,
) -> ProgramSettings:
    require_admin(by)
    ProgramSettings.load()
    settings = ProgramSettings.objects.select_for_update().order_by("pk").first()
    assert settings is not None
    fields = given(
        lapse_alert_days=lapse_alert_days,
        relationship_end_days=relationship_end_days,
        tier_risk_lead_days=tier_risk_lead_days,
        certification_alert_days=certification_alert_days,
        activity_period_days=activity_period_days,
    )
    for name, value in fields.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise DomainError(
                code="invalid_days",
                message=_("Enter a number of days from 1 to 3650."),
                field=name,
            )
    changes = set_fields(settings, fields, field_labels(ProgramSettings))
    if changes:
        settings.save()
        record(PartnerEvent.SETTINGS_CHANGED, subject=settings, by=by, data={"changes": changes})
    return settings


# ---------------------------------------------------------------- certifications


def _clean_url(url: Any) -> str:
    text = clean_text(url, "academy_url", limit=500, required=False)
    if text:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise DomainError(
                code="invalid_url",
                message=_("Enter the certification's web address, starting with https://."),
                field="academy_url",
            ) from None
    return text


def _certification_data(certification: Certification) -> dict[str, Any]:
    return {
        "name": certification.name,
        "employee_id": certification.employee_id,
        "employee": str(certification.employee),
        "issued_on": display(certification.issued_on),
        "expires_on": display(certification.expires_on),
    }


@transaction.atomic
def certification_add(
    *,
    by: Actor,
    employee: Any,
    name: str,
    issued_on: dt.date,
    expires_on: dt.date | None = None,
    academy_url: str = "",
) -> Certification:
    """An employee's certification (no expiry date: it does not expire)."""
    require_writer(by)
    check_employee(employee)
    name = clean_text(name, "name", limit=150)
    check_date(issued_on, "issued_on")
    if issued_on > today():
        raise DomainError(
            code="date_in_future",
            message=_("A certification cannot be issued in the future."),
            field="issued_on",
        )
    check_date(expires_on, "expires_on", required=False)
    check_period(issued_on, expires_on, "expires_on")
    certification = Certification.objects.create(
        employee=employee,
        name=name,
        issued_on=issued_on,
        expires_on=expires_on,
        academy_url=_clean_url(academy_url),
    )
    record(
        PartnerEvent.CERTIFICATION_ADDED,
        subject=certification,
        by=by,
        data=_certification_data(certification),
    )
    return certification


@transaction.atomic
def certification_update(
    *,
    by: Actor,
    certification: Certification,
    name: str | Unset = UNSET,
    issued_on: dt.date | Unset = UNSET,
    expires_on: dt.date | Unset | None = UNSET,
    academy_url: str | Unset = UNSET,
) -> Certification:
    """Change a certification (a renewal moves its expiry date)."""
    require_writer(by)
    certification = (
        Certification.objects.select_for_update()
        .select_related("employee")
        .get(pk=certification.pk)
    )
    fields = given(name=name, issued_on=issued_on, expires_on=expires_on, academy_url=academy_url)
    if "name" in fields:
        fields["name"] = clean_text(fields["name"], "name", limit=150)
    if "issued_on" in fields:
        check_date(fields["issued_on"], "issued_on")
        if fields["issued_on"] > today():
            raise DomainError(
                code="date_in_future",
                message=_("A certification cannot be issued in the future."),
                field="issued_on",
            )
    if "expires_on" in fields:
        check_date(fields["expires_on"], "expires_on", required=False)
    if "academy_url" in fields:
        fields["academy_url"] = _clean_url(fields["academy_url"])
    check_period(
        fields.get("issued_on", certification.issued_on),
        fields.get("expires_on", certification.expires_on),
        "expires_on",
    )
    changes = set_fields(certification, fields, field_labels(Certification))
    if changes:
        certification.save()
        record(
            PartnerEvent.CERTIFICATION_UPDATED,
            subject=certification,
            by=by,
            data={**_certification_data(certification), "changes": changes},
        )
    return certification
