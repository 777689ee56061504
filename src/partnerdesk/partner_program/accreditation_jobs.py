"""The periodic part of accreditations and complaints (``core.periodic``).

**Daily** (run by ``jobs.daily`` after the January/June review):

1. **Standards**: every held accreditation is checked against the universal standards of the
   day (``services.accreditation_refresh``): a review crediting a tier below the minimum starts
   the grace period (at risk, its end stored), a review crediting the minimum again before its
   end clears it; missing certifications and more than three marks are listed as reasons too.
2. **Evaluations**: every held accreditation whose evaluation day has come is evaluated
   (``services.accreditation_evaluate``: one row per due day, so a second run or a second
   scheduler evaluates nothing again; days a stopped scheduler missed are caught up in order).
3. **Alerts** to admins and managers, each once (a dedupe key per cause): an evaluation due
   within ``evaluation_alert_days`` (30), an accreditation at risk (again when its reasons
   change), its grace period ending within the same lead, an evaluation that did not renew.

**Hourly**: a complaint waiting on the agency for more than ``complaint_waiting_days`` working
days (the agency's working calendar, ``sla.clock.agency_calendar``: the days are counted from
the first working day that starts after it began to wait) alerts admins, managers and the
step's owner, once per wait.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify
from partnerdesk.sla.clock import agency_calendar

from .models import (
    HELD_STATES,
    Accreditation,
    AccreditationEvaluation,
    AccreditationState,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    ComplaintStepKind,
    EvaluationResult,
    ProgramSettings,
    WaitingOn,
)
from .notices import alert_recipients, per_recipient, translated
from .services.accreditations import accreditation_evaluate, accreditation_refresh
from .services.common import today
from .timeline import describe_reasons

# At most this many missed evaluation days are caught up per accreditation and run.
CATCH_UP = 4


def _held():
    return Accreditation.objects.filter(state__in=HELD_STATES).select_related("accreditation_type")


def refresh_all(day: dt.date) -> int:
    """Check every held accreditation's standards on ``day``; returns how many changed."""
    changed = 0
    for accreditation in _held().order_by("pk"):
        before = (accreditation.state, accreditation.grace_period_ends_on)
        after = accreditation_refresh(accreditation=accreditation, on=day)
        changed += (after.state, after.grace_period_ends_on) != before
    return changed


def evaluate_due(day: dt.date) -> list[AccreditationEvaluation]:
    """Evaluate every held accreditation whose evaluation day is ``day`` or earlier."""
    done = []
    due = _held().filter(next_evaluation_on__lte=day).order_by("next_evaluation_on", "pk")
    for accreditation in due:
        for _n in range(CATCH_UP):
            evaluation = accreditation_evaluate(accreditation=accreditation, on=day)
            if evaluation is None:
                break
            done.append(evaluation)
    return done


def _reasons_text(reasons: list[dict[str, Any]]) -> str:
    return per_recipient(partial(describe_reasons, reasons))


def _evaluation_body(reasons: list[dict[str, Any]]) -> str:
    if reasons:
        return _("At risk: %(reasons)s.") % {"reasons": describe_reasons(reasons)}
    return _("Tier, certifications and marks on record are checked; every standard is met today.")


def alert_evaluations_due(day: dt.date, settings: ProgramSettings, users: list[User]) -> int:
    until = day + dt.timedelta(days=settings.evaluation_alert_days)
    sent = 0
    for accreditation in _held().filter(next_evaluation_on__gte=day, next_evaluation_on__lte=until):
        due_on = accreditation.next_evaluation_on
        assert due_on is not None
        reasons = list(accreditation.at_risk_reasons)
        sent += len(
            notify(
                users=users,
                kind=Kind.PARTNER,
                title=translated(
                    gettext_noop("Accreditation evaluation on %(date)s: %(name)s"),
                    date=due_on.isoformat(),
                    name=accreditation.accreditation_type.name,
                ),
                body=per_recipient(partial(_evaluation_body, reasons)),
                dedupe_key=f"partner:accreditation:{accreditation.pk}:evaluation:{due_on}",
            )
        )
    return sent


def alert_at_risk(day: dt.date, settings: ProgramSettings, users: list[User]) -> int:
    """At risk (once per set of reasons), and its grace period ending within the lead."""
    until = day + dt.timedelta(days=settings.evaluation_alert_days)
    sent = 0
    for accreditation in _held().filter(state=AccreditationState.AT_RISK).order_by("pk"):
        name = accreditation.accreditation_type.name
        reasons = list(accreditation.at_risk_reasons)
        grace = accreditation.grace_period_ends_on
        codes = "-".join(sorted(str(r.get("code")) for r in reasons))
        sent += len(
            notify(
                users=users,
                kind=Kind.PARTNER,
                title=translated(gettext_noop("Accreditation at risk: %(name)s"), name=name),
                body=_reasons_text(reasons),
                dedupe_key=f"partner:accreditation:{accreditation.pk}:at-risk:{codes}:{grace or ''}",
            )
        )
        if grace is not None and day <= grace <= until:
            tier: dict[str, Any] = next((r for r in reasons if r.get("code") == "tier"), {})
            sent += len(
                notify(
                    users=users,
                    kind=Kind.PARTNER,
                    title=translated(
                        gettext_noop("Grace period ends on %(date)s: %(name)s"),
                        date=grace.isoformat(),
                        name=name,
                    ),
                    body=translated(
                        gettext_noop(
                            "Tier back up to %(tier)s at a review by then, or the accreditation "
                            "is no longer eligible at its next evaluation."
                        ),
                        tier=tier.get("minimum_tier") or "",
                    ),
                    dedupe_key=f"partner:accreditation:{accreditation.pk}:grace-end:{grace}",
                )
            )
    return sent


def alert_results(evaluations: list[AccreditationEvaluation], users: list[User]) -> int:
    """An evaluation that did not renew: lapsed, at risk, or sent to the review board."""
    sent = 0
    for evaluation in evaluations:
        if evaluation.result == EvaluationResult.RENEWED:
            continue
        result = EvaluationResult(evaluation.result)
        reasons = list(evaluation.figures.get("reasons", []))
        sent += len(
            notify(
                users=users,
                kind=Kind.PARTNER,
                title=translated(
                    gettext_noop("Accreditation evaluation of %(date)s: %(name)s, %(result)s"),
                    date=evaluation.due_on.isoformat(),
                    name=evaluation.accreditation.accreditation_type.name,
                    result=result.label,
                ),
                body=_reasons_text(reasons),
                dedupe_key=(
                    f"partner:accreditation:{evaluation.accreditation_id}:evaluated:"
                    f"{evaluation.due_on}"
                ),
            )
        )
    return sent


def run(*, on: dt.date | None = None) -> dict[str, Any]:
    """The daily part: standards, evaluations, alerts. Returns what it did."""
    day = on or today()
    settings = ProgramSettings.load()
    users = alert_recipients()
    changed = refresh_all(day)
    evaluations = evaluate_due(day)
    return {
        "accreditations_changed": changed,
        "evaluated": [(e.accreditation_id, e.due_on.isoformat(), e.result) for e in evaluations],
        "result_alerts": alert_results(evaluations, users),
        "evaluation_alerts": alert_evaluations_due(day, settings, users),
        "at_risk_alerts": alert_at_risk(day, settings, users),
    }


# ---------------------------------------------------------------- complaints (hourly)


def complaints_waiting(*, now: dt.datetime | None = None) -> int:
    """Alert once per wait about each open complaint waiting on the agency for more than
    ``complaint_waiting_days`` working days. Returns the notifications created."""
    now = now or clock.now()
    days = ProgramSettings.load().complaint_waiting_days
    calendar = agency_calendar()
    waiting = Complaint.objects.filter(
        status=ComplaintStatus.OPEN, waiting_on=WaitingOn.AGENCY, waiting_since__isnull=False
    ).order_by("waiting_since", "pk")
    users: list[User] | None = None
    sent = 0
    for complaint in waiting:
        assert complaint.waiting_since is not None
        if calendar.add_working_days(complaint.waiting_since, days) >= now:
            break  # the later ones began waiting later still
        users = alert_recipients() if users is None else users
        step = (
            ComplaintStep.objects.filter(complaint=complaint, ended_on__isnull=True)
            .select_related("owner")
            .first()
        )
        since = complaint.waiting_since.astimezone(calendar.timezone).date()
        sent += len(
            notify(
                users=[*users, step.owner if step else None],
                kind=Kind.PARTNER,
                title=translated(
                    gettext_noop(
                        "Complaint waiting on the agency for more than %(n)s working days"
                    ),
                    n=days,
                ),
                body=translated(
                    gettext_noop("%(summary)s — at the %(step)s step, waiting since %(date)s."),
                    summary=complaint.summary[:200],
                    step=ComplaintStepKind(complaint.step).label,
                    date=since.isoformat(),
                ),
                dedupe_key=(
                    f"partner:complaint:{complaint.pk}:waiting:{complaint.waiting_since.isoformat()}"
                ),
            )
        )
    return sent
