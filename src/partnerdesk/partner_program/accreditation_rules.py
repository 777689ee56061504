"""An accreditation's prerequisites on a day and its evaluation days (seed 001). Reads only.

**Universal standards**, checked for a type on a day:

- **Tier**: the credited tier (the last January/June review on or before the day,
  ``standing.credited_review``) is the type's minimum tier or above (Platinum by default). A
  type without a minimum tier has no tier prerequisite.
- **Certifications**: each required certification (matched by name, case-insensitively) is
  held by at least the required number of *current employees*: active agency users whose
  certification was issued on or before the day and has not expired (valid through its
  expiry date, as for *Partner Certified*).
- **Marks on record**: the marks decided on or before the day; more than ``MAX_MARKS`` (three)
  send the renewal to the review board instead of renewing it.

**Evaluation days** are every six months from the issue date: issued 15 March, evaluated 15
September, 15 March, … A day the month lacks falls on its last day (issued 31 August: 28 or 29
February, then 31 August), always counted from the issue date so the series never drifts.

**Grace period**: when a review credits a tier below the minimum, the grace period runs from
that review day for ``ProgramSettings.grace_period_days`` days; ``grace_period_ends_on`` is its
last day. A review crediting the minimum again on or before that day clears it; otherwise the
accreditation is not eligible at its next evaluation (lapsed).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import Lower

from partnerdesk.accounts.models import AGENCY_ROLES

from . import standing
from .models import MAX_MARKS, AccreditationType, Certification, MarkOnRecord, Tier

EVALUATION_MONTHS = 6


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, on the month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def evaluation_day(issued_on: dt.date, n: int) -> dt.date:
    """The ``n``-th evaluation day (``n`` ≥ 1) of an accreditation issued on ``issued_on``."""
    return add_months(issued_on, EVALUATION_MONTHS * n)


def next_evaluation_on(issued_on: dt.date, day: dt.date, *, inclusive: bool = True) -> dt.date:
    """The first evaluation day on (``inclusive``) or after ``day``."""
    months = (day.year - issued_on.year) * 12 + day.month - issued_on.month
    n = max(1, months // EVALUATION_MONTHS)
    while True:
        due = evaluation_day(issued_on, n)
        if due > day or (inclusive and due == day):
            return due
        n += 1


def marks_count(on: dt.date | None = None) -> int:
    """The marks on the agency's record (decided on or before ``on``)."""
    marks = MarkOnRecord.objects.all()
    if on is not None:
        marks = marks.filter(decided_on__lte=on)
    return marks.count()


def grace_end(review_on: dt.date, days: int) -> dt.date:
    """The last day of a grace period starting with the review of ``review_on``."""
    return review_on + dt.timedelta(days=days)


@dataclass(frozen=True)
class CertificationCheck:
    name: str
    required: int
    held: int
    employees: tuple[str, ...]  # the holders' names

    @property
    def met(self) -> bool:
        return self.held >= self.required

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "required": self.required,
            "held": self.held,
            "employees": list(self.employees),
        }


@dataclass(frozen=True)
class Check:
    """A type's universal standards on ``day``, with the figures behind each."""

    day: dt.date
    credited_review_on: dt.date | None
    credited_tier: Tier | None
    minimum_tier: Tier | None
    certifications: tuple[CertificationCheck, ...]
    marks: int

    @property
    def tier_met(self) -> bool:
        if self.minimum_tier is None:
            return True
        return self.credited_tier is not None and standing.rank(self.credited_tier) >= (
            standing.rank(self.minimum_tier)
        )

    @property
    def certifications_met(self) -> bool:
        return all(c.met for c in self.certifications)

    @property
    def marks_over(self) -> bool:
        return self.marks > MAX_MARKS

    def figures(self) -> dict[str, Any]:
        """JSON-ready (an evaluation keeps the figures it used)."""
        return {
            "day": self.day.isoformat(),
            "credited_tier": self.credited_tier.name if self.credited_tier else None,
            "credited_review_on": (
                self.credited_review_on.isoformat() if self.credited_review_on else None
            ),
            "minimum_tier": self.minimum_tier.name if self.minimum_tier else None,
            "tier_met": self.tier_met,
            "certifications": [c.as_dict() for c in self.certifications],
            "certifications_met": self.certifications_met,
            "marks": self.marks,
            "max_marks": MAX_MARKS,
        }


def required_certifications(accreditation_type: AccreditationType) -> list[tuple[str, int]]:
    """(name, employees) of each certification the type requires."""
    rows = accreditation_type.required_certifications or []
    return [(str(r["name"]), int(r.get("employees", 1))) for r in rows if r.get("name")]


def holders(names: list[str], day: dt.date) -> dict[str, list[str]]:
    """Lower-cased certification name -> the current employees holding it on ``day`` (one
    query whatever the number of names)."""
    wanted = {n.strip().lower() for n in names}
    found: dict[str, dict[int, str]] = {n: {} for n in wanted}
    if not wanted:
        return {}
    rows = (
        Certification.objects.annotate(lname=Lower("name"))
        .filter(
            lname__in=wanted,
            employee__is_active=True,
            employee__role__in=AGENCY_ROLES,
            issued_on__lte=day,
        )
        .exclude(expires_on__lt=day)
        .values_list("lname", "employee_id", "employee__full_name", "employee__email")
        .order_by("employee__full_name", "employee_id")
    )
    for lname, employee_id, full_name, email in rows:
        found[lname][employee_id] = full_name or email
    return {name: list(people.values()) for name, people in found.items()}


def check(accreditation_type: AccreditationType, day: dt.date) -> Check:
    """The universal standards of ``accreditation_type`` on ``day``."""
    required = required_certifications(accreditation_type)
    held = holders([name for name, _n in required], day)
    review = standing.credited_review(day)
    minimum = (
        Tier.objects.filter(pk=accreditation_type.minimum_tier_id).first()
        if accreditation_type.minimum_tier_id
        else None
    )
    return Check(
        day=day,
        credited_review_on=review.reviewed_on if review else None,
        credited_tier=review.tier if review else None,
        minimum_tier=minimum,
        certifications=tuple(
            CertificationCheck(
                name=name,
                required=count,
                held=len(held.get(name.strip().lower(), [])),
                employees=tuple(held.get(name.strip().lower(), [])),
            )
            for name, count in required
        ),
        marks=marks_count(day),
    )


def reasons(result: Check, grace_period_ends_on: dt.date | None) -> list[dict[str, Any]]:
    """Every reason an accreditation is at risk under ``result`` (empty: none)."""
    found: list[dict[str, Any]] = []
    if not result.tier_met:
        found.append(
            {
                "code": "tier",
                "credited_tier": result.credited_tier.name if result.credited_tier else None,
                "minimum_tier": result.minimum_tier.name if result.minimum_tier else None,
                "review_on": (
                    result.credited_review_on.isoformat() if result.credited_review_on else None
                ),
                "grace_period_ends_on": (
                    grace_period_ends_on.isoformat() if grace_period_ends_on else None
                ),
            }
        )
    missing = [c.as_dict() for c in result.certifications if not c.met]
    if missing:
        found.append({"code": "certifications", "missing": missing})
    if result.marks_over:
        found.append({"code": "marks", "count": result.marks, "max": MAX_MARKS})
    return found
