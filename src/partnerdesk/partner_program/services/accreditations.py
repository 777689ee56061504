"""Accreditations: the catalogue, applying, issuing, the universal standards kept up to date
(the tier rule's grace period, certifications, marks), the six-monthly evaluation, the review
board's renewal, revocation and lapse (seed 001; the rules are in ``accreditation_rules``).

States::

    applying ──issue──▶ active ◀──▶ at risk          (every reason listed; a tier below the
       │                  │  ╲        │                minimum starts the grace period)
       │                  │   ╲ evaluation: more than three marks
       │                  │    ▶ under board review ──board renews──▶ active
       ▼                  ▼               │
    revoked / lapsed ◀────┴───────────────┘  (revoked after a board review needs the
                                             director-level approval)

Every change is an event on the accreditation's timeline with who (the actor; none for the
periodic job) and why (``reason`` from a person, ``reasons`` and ``cause`` from the rules).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, FieldError, conflict
from partnerdesk.core.permissions import SYSTEM, Actor, require_admin
from partnerdesk.core.records import UNSET, Unset, field_labels, given, set_fields

from .. import accreditation_rules as rules
from ..events import PartnerEvent
from ..models import (
    HELD_STATES,
    LIVE_STATES,
    Accreditation,
    AccreditationEvaluation,
    AccreditationState,
    AccreditationType,
    EvaluationResult,
    ProgramSettings,
    Tier,
)
from .common import check_date, check_not_future, clean_text, record, require_writer, today

State = AccreditationState
MAX_EMPLOYEES = 1000

# Why the rules changed a state (event data "cause"; the timeline words each).
CAUSE_STANDARDS = "standards"  # the daily check of the universal standards
CAUSE_EVALUATION = "evaluation"
CAUSE_BOARD = "board"
CAUSE_MANUAL = "manual"


# ---------------------------------------------------------------- the catalogue


def clean_requirements(value: Any) -> list[dict[str, Any]]:
    """Required certifications as ``[{"name", "employees"}]``: each named once, each held by
    1 to 1000 employees. Accepts dicts or ``(name, employees)`` pairs."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise DomainError(
            code="invalid_requirements",
            message=_("List the required certifications, each with its number of employees."),
            field="required_certifications",
        )
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in value:
        name, employees = _requirement(row)
        name = clean_text(name, "required_certifications", limit=150)
        if (
            isinstance(employees, bool)
            or not isinstance(employees, int)
            or not 1 <= employees <= MAX_EMPLOYEES
        ):
            raise DomainError(
                code="invalid_employees",
                message=_("“%(name)s”: enter how many employees must hold it, from 1 to %(max)s.")
                % {"name": name, "max": MAX_EMPLOYEES},
                field="required_certifications",
            )
        if name.lower() in seen:
            raise DomainError(
                code="duplicate_certification",
                message=_("“%(name)s” is listed twice: list each certification once.")
                % {"name": name},
                field="required_certifications",
            )
        seen.add(name.lower())
        cleaned.append({"name": name, "employees": employees})
    return cleaned


def _requirement(row: Any) -> tuple[Any, Any]:
    """(name, employees) of one requirement: a dict, or a (name[, employees]) pair."""
    if isinstance(row, dict):
        return row.get("name"), row.get("employees", 1)
    if isinstance(row, list | tuple) and 1 <= len(row) <= 2:
        return row[0], row[1] if len(row) == 2 else 1
    return None, None


def _check_type_name(name: str, exclude: int | None = None) -> None:
    taken = AccreditationType.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise conflict(
            "name_taken",
            _("An accreditation named “%(n)s” exists already.") % {"n": name},
            "name",
        )


@transaction.atomic
def accreditation_type_create(
    *,
    by: Actor,
    name: str,
    description: str = "",
    required_certifications: list[Any] | None = None,
    minimum_tier: Tier | None = None,
    order: int = 0,
) -> AccreditationType:
    """A new accreditation of the catalogue with its prerequisites."""
    require_admin(by)
    name = clean_text(name, "name", limit=150)
    _check_type_name(name)
    accreditation_type = AccreditationType.objects.create(
        name=name,
        description=clean_text(description, "description", limit=5000, required=False),
        required_certifications=clean_requirements(required_certifications),
        minimum_tier=minimum_tier,
        order=_clean_order(order),
    )
    record(
        PartnerEvent.ACCREDITATION_TYPE_SAVED,
        subject=accreditation_type,
        by=by,
        data={"name": name, "created": True},
    )
    return accreditation_type


def _clean_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 32767:
        raise DomainError(
            code="invalid_order", message=_("Enter a position from 0 to 32767."), field="order"
        )
    return order


@transaction.atomic
def accreditation_type_update(
    *,
    by: Actor,
    accreditation_type: AccreditationType,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    required_certifications: list[Any] | Unset = UNSET,
    minimum_tier: Tier | Unset | None = UNSET,
    order: int | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> AccreditationType:
    """Change an accreditation's prerequisites (they apply from the next check)."""
    require_admin(by)
    accreditation_type = AccreditationType.objects.select_for_update().get(pk=accreditation_type.pk)
    fields = given(
        name=name,
        description=description,
        required_certifications=required_certifications,
        minimum_tier=minimum_tier,
        order=order,
        is_active=is_active,
    )
    if "name" in fields:
        fields["name"] = clean_text(fields["name"], "name", limit=150)
        _check_type_name(fields["name"], exclude=accreditation_type.pk)
    if "description" in fields:
        fields["description"] = clean_text(
            fields["description"], "description", limit=5000, required=False
        )
    if "required_certifications" in fields:
        fields["required_certifications"] = clean_requirements(fields["required_certifications"])
    if "order" in fields:
        fields["order"] = _clean_order(fields["order"])
    if "is_active" in fields:
        fields["is_active"] = bool(fields["is_active"])
    changes = set_fields(accreditation_type, fields, field_labels(AccreditationType))
    if changes:
        accreditation_type.save()
        record(
            PartnerEvent.ACCREDITATION_TYPE_SAVED,
            subject=accreditation_type,
            by=by,
            data={"name": accreditation_type.name, "changes": changes},
        )
    return accreditation_type


# ---------------------------------------------------------------- settings

SETTINGS_LIMITS = {
    "grace_period_days": (0, 3650),
    "evaluation_alert_days": (1, 365),
    "complaint_waiting_days": (1, 365),
}


@transaction.atomic
def accreditation_settings_update(
    *,
    by: Actor,
    grace_period_days: int | Unset = UNSET,
    evaluation_alert_days: int | Unset = UNSET,
    complaint_waiting_days: int | Unset = UNSET,
) -> ProgramSettings:
    """The accreditation and complaint settings: the grace period after a tier drop (0: none),
    the evaluation alert lead, and the working days a complaint may wait on the agency."""
    require_admin(by)
    ProgramSettings.load()
    settings = ProgramSettings.objects.select_for_update().order_by("pk").first()
    assert settings is not None
    fields = given(
        grace_period_days=grace_period_days,
        evaluation_alert_days=evaluation_alert_days,
        complaint_waiting_days=complaint_waiting_days,
    )
    for name, value in fields.items():
        low, high = SETTINGS_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DomainError(
                code="invalid_days",
                message=_("Enter a number of days from %(low)s to %(high)s.")
                % {"low": low, "high": high},
                field=name,
            )
    changes = set_fields(settings, fields, field_labels(ProgramSettings))
    if changes:
        settings.save()
        record(PartnerEvent.SETTINGS_CHANGED, subject=settings, by=by, data={"changes": changes})
    return settings


# ---------------------------------------------------------------- state changes


def _data(accreditation: Accreditation, **extra: Any) -> dict[str, Any]:
    return {
        "type": accreditation.accreditation_type.name,
        "type_id": accreditation.accreditation_type_id,
        **extra,
    }


def _change_state(
    accreditation: Accreditation,
    to: str,
    *,
    by: Actor,
    cause: str,
    reason: str = "",
    reasons: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> None:
    """Move to ``to`` (the caller saves) and record it with who and why."""
    previous = accreditation.state
    accreditation.state = to
    record(
        PartnerEvent.ACCREDITATION_STATE_CHANGED,
        subject=accreditation,
        by=by,
        data=_data(
            accreditation,
            **{
                "from": previous,
                "to": to,
                "cause": cause,
                "reason": reason,
                "reasons": reasons if reasons is not None else accreditation.at_risk_reasons,
                "grace_period_ends_on": (
                    accreditation.grace_period_ends_on.isoformat()
                    if accreditation.grace_period_ends_on
                    else None
                ),
                **extra,
            },
        ),
    )


def _locked(accreditation: Accreditation) -> Accreditation:
    return (
        Accreditation.objects.select_for_update()
        .select_related("accreditation_type")
        .get(pk=accreditation.pk)
    )


def _refuse_state(accreditation: Accreditation, allowed: tuple[str, ...], message: str) -> None:
    """``message`` (with ``%(state)s``, the current state) unless the state is ``allowed``."""
    if accreditation.state not in allowed:
        raise conflict(
            "invalid_state",
            message % {"state": State(accreditation.state).label},
            "state",
        )


def _action_day(value: dt.date | None, field: str) -> dt.date:
    if value is None:
        return today()
    check_date(value, field)
    check_not_future(value, field)
    return value


@transaction.atomic
def accreditation_apply(
    *, by: Actor, accreditation_type: AccreditationType, applied_on: dt.date | None = None
) -> Accreditation:
    """Apply for an accreditation: refused while the agency holds or applies for one of the
    type, and unless its prerequisites are met today (tier and certifications)."""
    require_writer(by)
    applied_on = _action_day(applied_on, "applied_on")
    if not accreditation_type.is_active:
        raise DomainError(
            code="inactive_accreditation_type",
            message=_("“%(n)s” is no longer offered.") % {"n": accreditation_type.name},
            field="accreditation_type",
        )
    if Accreditation.objects.filter(
        accreditation_type=accreditation_type, state__in=LIVE_STATES
    ).exists():
        raise conflict(
            "accreditation_exists",
            _("The agency already holds or applies for “%(n)s”.") % {"n": accreditation_type.name},
            "accreditation_type",
        )
    result = rules.check(accreditation_type, today())
    errors = []
    if not result.tier_met:
        errors.append(
            FieldError(
                "accreditation_type",
                "tier_below_minimum",
                _("Applying needs the %(minimum)s tier or above; the credited tier is %(tier)s.")
                % {
                    "minimum": result.minimum_tier.name if result.minimum_tier else "",
                    "tier": result.credited_tier.name if result.credited_tier else _("no tier"),
                },
            )
        )
    errors.extend(
        FieldError(
            "accreditation_type",
            "certifications_missing",
            _("“%(name)s” must be held by %(required)s current employees; %(held)s hold it.")
            % {"name": c.name, "required": c.required, "held": c.held},
        )
        for c in result.certifications
        if not c.met
    )
    if errors:
        raise DomainError(
            code=errors[0].code,
            message=" ".join(str(e.message) for e in errors),
            field="accreditation_type",
            errors=errors,
        )
    try:
        with transaction.atomic():
            accreditation = Accreditation.objects.create(
                accreditation_type=accreditation_type,
                state=State.APPLYING,
                applied_on=applied_on,
            )
    except IntegrityError:
        raise conflict(
            "accreditation_exists",
            _("The agency already holds or applies for “%(n)s”.") % {"n": accreditation_type.name},
            "accreditation_type",
        ) from None
    record(
        PartnerEvent.ACCREDITATION_APPLIED,
        subject=accreditation,
        by=by,
        data=_data(accreditation, applied_on=applied_on.isoformat()),
    )
    return accreditation


@transaction.atomic
def accreditation_issue(
    *, by: Actor, accreditation: Accreditation, issued_on: dt.date
) -> Accreditation:
    """HubSpot issued the accreditation applied for on ``issued_on``: it is active and is
    evaluated every six months from that day (the first evaluation day from today on, for an
    issue date entered late)."""
    require_writer(by)
    accreditation = _locked(accreditation)
    _refuse_state(
        accreditation,
        (State.APPLYING,),
        _("This accreditation is %(state)s: only an application can be issued."),
    )
    check_date(issued_on, "issued_on")
    check_not_future(issued_on, "issued_on")
    if accreditation.applied_on and issued_on < accreditation.applied_on:
        raise DomainError(
            code="issued_before_applied",
            message=_("It cannot be issued before it was applied for (%(d)s).")
            % {"d": accreditation.applied_on.isoformat()},
            field="issued_on",
        )
    accreditation.issued_on = issued_on
    accreditation.state = State.ACTIVE
    accreditation.next_evaluation_on = rules.next_evaluation_on(issued_on, today())
    accreditation.save()
    record(
        PartnerEvent.ACCREDITATION_ISSUED,
        subject=accreditation,
        by=by,
        data=_data(
            accreditation,
            issued_on=issued_on.isoformat(),
            next_evaluation_on=accreditation.next_evaluation_on.isoformat(),
        ),
    )
    return accreditation


def _require_reason(reason: str) -> str:
    return clean_text(reason, "reason", limit=2000)


@transaction.atomic
def accreditation_revoke(
    *, by: Actor, accreditation: Accreditation, reason: str, director_approved: bool = False
) -> Accreditation:
    """HubSpot revoked the accreditation (or declined the application). After a board review
    the board's decision needs the director-level approval (seed 001)."""
    require_writer(by)
    accreditation = _locked(accreditation)
    _refuse_state(
        accreditation,
        LIVE_STATES,
        _("This accreditation is %(state)s already: there is nothing left to revoke."),
    )
    reason = _require_reason(reason)
    if accreditation.state == State.UNDER_BOARD_REVIEW and not director_approved:
        raise DomainError(
            code="director_approval_required",
            message=_(
                "The review board's decision to revoke needs the director-level approval: "
                "confirm it was given."
            ),
            field="director_approved",
        )
    _change_state(
        accreditation,
        State.REVOKED,
        by=by,
        cause=CAUSE_BOARD if director_approved else CAUSE_MANUAL,
        reason=reason,
        director_approved=bool(director_approved),
    )
    accreditation.next_evaluation_on = None
    accreditation.save()
    return accreditation


@transaction.atomic
def accreditation_lapse(*, by: Actor, accreditation: Accreditation, reason: str) -> Accreditation:
    """The accreditation is no longer held (recorded by hand; evaluations lapse it on their
    own)."""
    require_writer(by)
    accreditation = _locked(accreditation)
    _refuse_state(
        accreditation,
        (*HELD_STATES, State.UNDER_BOARD_REVIEW),
        _("This accreditation is %(state)s: only a held accreditation can lapse."),
    )
    _change_state(
        accreditation, State.LAPSED, by=by, cause=CAUSE_MANUAL, reason=_require_reason(reason)
    )
    accreditation.next_evaluation_on = None
    accreditation.save()
    return accreditation


@transaction.atomic
def accreditation_board_renew(
    *,
    by: Actor,
    accreditation: Accreditation,
    decided_on: dt.date,
    director_approved: bool = False,
    notes: str = "",
) -> Accreditation:
    """The review board renews an accreditation under board review: it is held again and
    evaluated on the next day of its six-month series (still at risk if a standard is not
    met — more than three marks send its next renewal to the board again)."""
    require_writer(by)
    accreditation = _locked(accreditation)
    _refuse_state(
        accreditation,
        (State.UNDER_BOARD_REVIEW,),
        _("This accreditation is %(state)s: the board renews only one under board review."),
    )
    if decided_on is None:
        raise DomainError(
            code="decision_date_required",
            message=_("Enter the date of the board's decision."),
            field="decided_on",
        )
    check_date(decided_on, "decided_on")
    check_not_future(decided_on, "decided_on")
    notes = clean_text(notes, "notes", limit=5000, required=False)
    assert accreditation.issued_on is not None
    accreditation.next_evaluation_on = rules.next_evaluation_on(
        accreditation.issued_on, max(decided_on, today()), inclusive=False
    )
    _change_state(
        accreditation,
        State.ACTIVE,
        by=by,
        cause=CAUSE_BOARD,
        reason=notes,
        reasons=[],
        decided_on=decided_on.isoformat(),
        director_approved=bool(director_approved),
    )
    accreditation.at_risk_reasons = []
    accreditation.save()
    _refresh(accreditation, on=today(), by=by)
    return accreditation


# ---------------------------------------------------------------- the universal standards


def _grace(
    accreditation: Accreditation, result: rules.Check, settings: ProgramSettings
) -> dt.date | None:
    """The grace period's last day under ``result``: none when the tier is met, the one
    running, or one starting with the review that credited the lower tier."""
    if result.tier_met:
        return None
    if accreditation.grace_period_ends_on is not None:
        return accreditation.grace_period_ends_on
    return rules.grace_end(result.credited_review_on or result.day, settings.grace_period_days)


def _codes(reasons: list[dict[str, Any]]) -> list[str]:
    return [r.get("code", "") for r in reasons]


def _refresh(accreditation: Accreditation, *, on: dt.date, by: Actor) -> bool:
    """Bring a held accreditation's state in line with the universal standards on ``on``
    (the caller holds its lock): at risk with every reason, or active. Records a change of
    state, of the reasons or of the grace period; returns whether it recorded one."""
    if accreditation.state not in HELD_STATES:
        return False
    settings = ProgramSettings.load()
    result = rules.check(accreditation.accreditation_type, on)
    grace = _grace(accreditation, result, settings)
    reasons = rules.reasons(result, grace)
    state = State.AT_RISK if reasons else State.ACTIVE
    changed = (
        state != accreditation.state
        or _codes(reasons) != _codes(accreditation.at_risk_reasons)
        or grace != accreditation.grace_period_ends_on
    )
    if reasons == accreditation.at_risk_reasons and not changed:
        return False
    accreditation.at_risk_reasons = reasons
    accreditation.grace_period_ends_on = grace
    if changed:
        _change_state(accreditation, state, by=by, cause=CAUSE_STANDARDS, reasons=reasons)
    accreditation.save()
    return changed


@transaction.atomic
def accreditation_refresh(
    *, accreditation: Accreditation, on: dt.date | None = None, by: Actor = SYSTEM
) -> Accreditation:
    """Check a held accreditation's universal standards on ``on`` (default today): the daily
    job runs it for every one, after the January/June review."""
    require_writer(by)
    accreditation = _locked(accreditation)
    _refresh(accreditation, on=on or today(), by=by)
    return accreditation


def _result(result: rules.Check, grace: dt.date | None, due_on: dt.date) -> str:
    if not result.tier_met and (grace is None or due_on > grace):
        return EvaluationResult.LAPSED  # not back up to the minimum by the grace period's end
    if not result.certifications_met:
        return EvaluationResult.LAPSED
    if result.marks_over:
        return EvaluationResult.UNDER_BOARD_REVIEW
    if not result.tier_met:
        return EvaluationResult.AT_RISK  # in its grace period
    return EvaluationResult.RENEWED


STATE_AFTER = {
    EvaluationResult.RENEWED: State.ACTIVE,
    EvaluationResult.AT_RISK: State.AT_RISK,
    EvaluationResult.UNDER_BOARD_REVIEW: State.UNDER_BOARD_REVIEW,
    EvaluationResult.LAPSED: State.LAPSED,
}


@transaction.atomic
def accreditation_evaluate(
    *, accreditation: Accreditation, on: dt.date | None = None, by: Actor = SYSTEM
) -> AccreditationEvaluation | None:
    """Evaluate a held accreditation whose evaluation day has come by ``on`` (default today),
    with the figures of that day, exactly once per day (``None``: nothing due, or evaluated
    already).

    - tier below the minimum after the grace period ended, or a required certification not
      held by enough current employees: **lapsed** (no longer eligible);
    - more than three marks on record: **under board review** instead of renewed;
    - tier below the minimum within the grace period: **at risk**, evaluated again in six months;
    - otherwise **renewed** (active).
    """
    require_writer(by)
    on = on or today()
    accreditation = _locked(accreditation)
    due_on = accreditation.next_evaluation_on
    if accreditation.state not in HELD_STATES or due_on is None or due_on > on:
        return None
    try:
        with transaction.atomic():
            evaluation = AccreditationEvaluation.objects.create(
                accreditation=accreditation,
                due_on=due_on,
                evaluated_at=clock.now(),
                result=EvaluationResult.RENEWED,
            )
    except IntegrityError:
        return None  # another run evaluated this day
    settings = ProgramSettings.load()
    result = rules.check(accreditation.accreditation_type, due_on)
    grace = _grace(accreditation, result, settings)
    reasons = rules.reasons(result, grace)
    outcome = _result(result, grace, due_on)
    assert accreditation.issued_on is not None
    following = (
        rules.next_evaluation_on(accreditation.issued_on, due_on, inclusive=False)
        if outcome in (EvaluationResult.RENEWED, EvaluationResult.AT_RISK)
        else None
    )
    figures = {
        **result.figures(),
        "grace_period_ends_on": grace.isoformat() if grace else None,
        "reasons": reasons,
        "result": outcome,
    }
    evaluation.result = outcome
    evaluation.figures = figures
    evaluation.save(update_fields=["result", "figures"])
    record(
        PartnerEvent.ACCREDITATION_EVALUATED,
        subject=accreditation,
        by=by,
        data=_data(
            accreditation,
            due_on=due_on.isoformat(),
            result=outcome,
            figures=figures,
            next_evaluation_on=following.isoformat() if following else None,
        ),
    )
    accreditation.grace_period_ends_on = grace
    accreditation.at_risk_reasons = [] if outcome == EvaluationResult.RENEWED else reasons
    accreditation.next_evaluation_on = following
    state = STATE_AFTER[EvaluationResult(outcome)]
    if state != accreditation.state:
        _change_state(
            accreditation,
            state,
            by=by,
            cause=CAUSE_EVALUATION,
            reasons=accreditation.at_risk_reasons,
            due_on=due_on.isoformat(),
        )
    accreditation.save()
    return evaluation
