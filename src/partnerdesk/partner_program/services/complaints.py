"""Complaints about the agency and marks on record (seed 001, "Escalation and Marks on Record
Process").

A complaint moves **Complaint → Mediation → Partner Ops Escalation → Review Board**, one step at
a time; a complaint marked *serious infringement* goes straight to the review board (when it
is opened, or at once when it is marked later). It can be resolved at any step (the expected
case, no mark). At the review board only a **finding** ends it: with its decision date
(required) and the director-level approval flag; a finding of fault places a **mark on
record**. A finding is final: the complaint is closed and never reopened (a resolved one can
be). When a finding makes the marks more than three, the admins are alerted at once, once.

Each step is a ``ComplaintStep`` row (owner, dates, notes, outcome); ``waiting_on`` says whose
move it is (every new step waits on the agency), which the periodic job watches. Every change
is an event on the complaint's timeline with who and why. The events carry no company id:
client users never read them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.permissions import Actor, person
from partnerdesk.core.records import (
    UNSET,
    Unset,
    check_owner,
    display,
    field_labels,
    given,
    set_fields,
)
from partnerdesk.crm.models import Company
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify

from ..events import PartnerEvent
from ..models import (
    MAX_MARKS,
    STEP_ORDER,
    Complaint,
    ComplaintSource,
    ComplaintStatus,
    ComplaintStep,
    ComplaintStepKind,
    MarkOnRecord,
    StepOutcome,
    WaitingOn,
)
from ..notices import admins, translated
from .common import check_date, check_not_future, clean_text, record, require_writer, today

Step = ComplaintStepKind

# The dedupe key of the alert when the marks first become more than three (once, ever).
MARKS_ALERT_KEY = "partner:marks:more-than-three"


def _data(complaint: Complaint, **extra: Any) -> dict[str, Any]:
    return {"complaint_id": complaint.pk, **extra}


def _moment(day: dt.date) -> dt.datetime:
    """When something that happened on ``day`` started to wait: now for today, the start of
    the day for a day entered late."""
    if day >= today():
        return clock.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _day(value: dt.date | None, field: str, *, not_before: dt.date | None = None) -> dt.date:
    day = today() if value is None else value
    check_date(day, field)
    check_not_future(day, field)
    if not_before is not None and day < not_before:
        raise DomainError(
            code="before_step_started",
            message=_("The date %(d)s is before the current step started (%(start)s).")
            % {"d": day.isoformat(), "start": not_before.isoformat()},
            field=field,
        )
    return day


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _open_step(complaint: Complaint) -> ComplaintStep:
    return ComplaintStep.objects.select_for_update().get(complaint=complaint, ended_on__isnull=True)


def _require_open(complaint: Complaint) -> None:
    if complaint.status == ComplaintStatus.CLOSED:
        raise conflict(
            "complaint_closed",
            _(
                "This complaint is closed: the review board's finding is final. Open a new "
                "complaint if there is a new problem."
            ),
            "status",
        )
    if complaint.status == ComplaintStatus.RESOLVED:
        raise conflict(
            "complaint_resolved",
            _("This complaint is resolved: reopen it first."),
            "status",
        )


def _clean_source(source: Any) -> str:
    if source not in ComplaintSource.values:
        raise DomainError(
            code="invalid_source",
            message=_("Choose where the complaint came from: customer, HubSpot CS or other."),
            field="source",
        )
    return str(source)


def _clean_company(company: Any) -> Company | None:
    if company is not None and not isinstance(company, Company):
        raise DomainError(
            code="invalid_company", message=_("Choose a client company."), field="company"
        )
    return company


def _append(notes: str, more: str) -> str:
    return f"{notes}\n\n{more}".strip() if more else notes


def _start_step(
    complaint: Complaint, step: str, *, day: dt.date, owner: Any = None
) -> ComplaintStep:
    complaint.step = step
    complaint.waiting_on = WaitingOn.AGENCY
    complaint.waiting_since = _moment(day)
    return ComplaintStep.objects.create(complaint=complaint, step=step, owner=owner, started_on=day)


def _escalate(
    complaint: Complaint, to: str, *, by: Actor, day: dt.date, owner: Any, reason: str
) -> ComplaintStep:
    current = _open_step(complaint)
    if day < current.started_on:
        raise DomainError(
            code="before_step_started",
            message=_("The date %(d)s is before the current step started (%(start)s).")
            % {"d": day.isoformat(), "start": current.started_on.isoformat()},
            field="on",
        )
    current.ended_on = day
    current.outcome = StepOutcome.ESCALATED
    current.save()
    previous = complaint.step
    step = _start_step(complaint, to, day=day, owner=owner)
    complaint.save()
    record(
        PartnerEvent.COMPLAINT_ESCALATED,
        subject=complaint,
        by=by,
        data=_data(
            complaint,
            **{
                "from": previous,
                "to": to,
                "on": day.isoformat(),
                "owner": display(owner),
                "reason": reason,
                "serious": complaint.serious_infringement,
            },
        ),
    )
    return step


@transaction.atomic
def complaint_open(
    *,
    by: Actor,
    summary: str,
    source: str,
    company: Company | None = None,
    serious_infringement: bool = False,
    owner: Any = None,
    opened_on: dt.date | None = None,
    notes: str = "",
) -> Complaint:
    """Record a complaint about the agency: it starts at the Complaint step, or straight at the
    Review Board for a serious infringement, waiting on the agency."""
    require_writer(by)
    summary = clean_text(summary, "summary", limit=5000)
    source = _clean_source(source)
    company = _clean_company(company)
    check_owner(owner)
    day = _day(opened_on, "opened_on")
    notes = clean_text(notes, "notes", limit=10000, required=False)
    serious = bool(serious_infringement)
    first = Step.REVIEW_BOARD if serious else Step.COMPLAINT
    complaint = Complaint.objects.create(
        company=company,
        source=source,
        summary=summary,
        serious_infringement=serious,
        step=first,
        opened_on=day,
        opened_by=person(by),
        waiting_on=WaitingOn.AGENCY,
        waiting_since=_moment(day),
    )
    ComplaintStep.objects.create(
        complaint=complaint, step=first, owner=owner, started_on=day, notes=notes
    )
    record(
        PartnerEvent.COMPLAINT_OPENED,
        subject=complaint,
        by=by,
        data=_data(
            complaint,
            summary=summary[:200],
            source=source,
            serious=serious,
            step=first,
            company=str(company) if company else None,
            opened_on=day.isoformat(),
            owner=display(owner),
        ),
    )
    return complaint


@transaction.atomic
def complaint_update(
    *,
    by: Actor,
    complaint: Complaint,
    summary: str | Unset = UNSET,
    source: str | Unset = UNSET,
    company: Company | Unset | None = UNSET,
    serious_infringement: bool | Unset = UNSET,
    reason: str = "",
) -> Complaint:
    """Change a complaint's details. Marking an open complaint a serious infringement takes it
    straight to the review board; a serious one cannot be unmarked once it is there."""
    require_writer(by)
    complaint = _locked(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        _require_open(complaint)
    fields = given(
        summary=summary, source=source, company=company, serious_infringement=serious_infringement
    )
    if "summary" in fields:
        fields["summary"] = clean_text(fields["summary"], "summary", limit=5000)
    if "source" in fields:
        fields["source"] = _clean_source(fields["source"])
    if "company" in fields:
        fields["company"] = _clean_company(fields["company"])
    if "serious_infringement" in fields:
        fields["serious_infringement"] = bool(fields["serious_infringement"])
    reason = clean_text(reason, "reason", limit=2000, required=False)
    changes = set_fields(complaint, fields, field_labels(Complaint))
    if not changes:
        return complaint
    complaint.save()
    record(
        PartnerEvent.COMPLAINT_UPDATED,
        subject=complaint,
        by=by,
        data=_data(complaint, changes=changes, reason=reason),
    )
    if (
        complaint.serious_infringement
        and complaint.status == ComplaintStatus.OPEN
        and complaint.step != Step.REVIEW_BOARD
    ):
        _escalate(
            complaint,
            Step.REVIEW_BOARD,
            by=by,
            day=today(),
            owner=None,
            reason=reason,
        )
    return complaint


@transaction.atomic
def complaint_advance(
    *,
    by: Actor,
    complaint: Complaint,
    to_step: str | None = None,
    owner: Any = None,
    reason: str = "",
    on: dt.date | None = None,
) -> ComplaintStep:
    """Escalate an open complaint to its next step (``to_step``, if given, must be it; only a
    serious infringement may go straight to the review board). Returns the new step."""
    require_writer(by)
    complaint = _locked(complaint)
    _require_open(complaint)
    check_owner(owner)
    reason = clean_text(reason, "reason", limit=2000, required=False)
    index = STEP_ORDER.index(Step(complaint.step))
    if complaint.step == Step.REVIEW_BOARD:
        raise conflict(
            "at_review_board",
            _(
                "The complaint is at the review board, the last step: record the board's "
                "finding, or resolve it."
            ),
            "to_step",
        )
    following = STEP_ORDER[index + 1]
    target = following if to_step is None else to_step
    if target not in Step.values:
        raise DomainError(
            code="invalid_step", message=_("Choose a step of the complaint."), field="to_step"
        )
    if STEP_ORDER.index(Step(target)) <= index:
        raise DomainError(
            code="step_backwards",
            message=_("A complaint never moves back: its next step is %(next)s.")
            % {"next": following.label},
            field="to_step",
        )
    if target != following and not (target == Step.REVIEW_BOARD and complaint.serious_infringement):
        raise DomainError(
            code="step_skipped",
            message=_(
                "A complaint moves Complaint → Mediation → Partner Ops Escalation → Review "
                "Board without skipping a step: its next step is %(next)s. Only a serious "
                "infringement goes straight to the review board."
            )
            % {"next": following.label},
            field="to_step",
        )
    day = _day(on, "on")
    return _escalate(complaint, target, by=by, day=day, owner=owner, reason=reason)


@transaction.atomic
def complaint_resolve(
    *, by: Actor, complaint: Complaint, notes: str = "", on: dt.date | None = None
) -> Complaint:
    """The complaint is resolved at its current step (no mark on record)."""
    require_writer(by)
    complaint = _locked(complaint)
    _require_open(complaint)
    notes = clean_text(notes, "notes", limit=10000, required=False)
    step = _open_step(complaint)
    day = _day(on, "on", not_before=step.started_on)
    step.ended_on = day
    step.outcome = StepOutcome.RESOLVED
    step.notes = _append(step.notes, notes)
    step.save()
    complaint.status = ComplaintStatus.RESOLVED
    complaint.finished_on = day
    complaint.waiting_on = ""
    complaint.waiting_since = None
    complaint.save()
    record(
        PartnerEvent.COMPLAINT_RESOLVED,
        subject=complaint,
        by=by,
        data=_data(complaint, step=step.step, resolved_on=day.isoformat(), notes=notes[:500]),
    )
    return complaint


@transaction.atomic
def complaint_reopen(*, by: Actor, complaint: Complaint, reason: str) -> Complaint:
    """A resolved complaint comes back: it starts again at the step it was resolved at. A
    closed complaint (the board's finding) is never reopened."""
    require_writer(by)
    complaint = _locked(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        _require_open(complaint)
    if complaint.status == ComplaintStatus.OPEN:
        raise conflict("complaint_open", _("This complaint is open already."), "status")
    reason = clean_text(reason, "reason", limit=2000)
    day = today()
    complaint.status = ComplaintStatus.OPEN
    complaint.finished_on = None
    _start_step(complaint, complaint.step, day=day)
    complaint.save()
    record(
        PartnerEvent.COMPLAINT_REOPENED,
        subject=complaint,
        by=by,
        data=_data(complaint, step=complaint.step, reason=reason),
    )
    return complaint


@transaction.atomic
def complaint_step_update(
    *,
    by: Actor,
    step: ComplaintStep,
    owner: Any | Unset = UNSET,
    notes: str | Unset = UNSET,
) -> ComplaintStep:
    """Change a step's owner or notes (not once the complaint is closed)."""
    require_writer(by)
    complaint = _locked(step.complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        _require_open(complaint)
    step = ComplaintStep.objects.select_for_update().get(pk=step.pk)
    fields = given(owner=owner, notes=notes)
    if "owner" in fields:
        check_owner(fields["owner"])
    if "notes" in fields:
        fields["notes"] = clean_text(fields["notes"], "notes", limit=10000, required=False)
    changes = set_fields(step, fields, field_labels(ComplaintStep))
    if changes:
        step.save()
        record(
            PartnerEvent.COMPLAINT_STEP_UPDATED,
            subject=complaint,
            by=by,
            data=_data(complaint, step=step.step, step_id=step.pk, changes=changes),
        )
    return step


@transaction.atomic
def complaint_set_waiting(
    *, by: Actor, complaint: Complaint, waiting_on: str, reason: str = ""
) -> Complaint:
    """Whose move it is on an open complaint: the agency, HubSpot, the customer or nobody
    (``""``). Waiting on the agency for too long raises an alert."""
    require_writer(by)
    complaint = _locked(complaint)
    _require_open(complaint)
    if waiting_on not in ("", *WaitingOn.values):
        raise DomainError(
            code="invalid_waiting_on",
            message=_("Choose who the complaint waits on: the agency, HubSpot or the customer."),
            field="waiting_on",
        )
    reason = clean_text(reason, "reason", limit=2000, required=False)
    if waiting_on == complaint.waiting_on:
        return complaint
    previous = complaint.waiting_on
    complaint.waiting_on = waiting_on
    complaint.waiting_since = clock.now() if waiting_on else None
    complaint.save()
    record(
        PartnerEvent.COMPLAINT_WAITING,
        subject=complaint,
        by=by,
        data=_data(complaint, waiting_on=waiting_on, previous=previous, reason=reason),
    )
    return complaint


def _alert_marks(count: int, step: ComplaintStep) -> None:
    """More than three marks: every accreditation renewal now goes to the review board. The
    admins hear it at once, once."""
    notify(
        users=admins(),
        kind=Kind.PARTNER,
        title=translated(
            gettext_noop("%(n)s marks on the agency's record: renewals go to the review board"),
            n=count,
        ),
        body=translated(
            gettext_noop(
                "The review board found the agency at fault on %(date)s (%(summary)s). With more "
                "than %(max)s marks on record, every accreditation renewal goes to the "
                "accreditation review board instead of renewing."
            ),
            date=step.decision_date.isoformat() if step.decision_date else "",
            summary=step.complaint.summary[:120],
            max=MAX_MARKS,
        ),
        dedupe_key=MARKS_ALERT_KEY,
    )


@transaction.atomic
def complaint_finding(
    *,
    by: Actor,
    complaint: Complaint,
    fault: bool,
    decision_date: dt.date | None,
    director_approved: bool = False,
    notes: str = "",
) -> Complaint:
    """The review board's finding, which closes the complaint. ``fault``: the partner was found
    responsible, and a mark is placed on its record (with the decision date and whether a
    director approved it). Refused before the review board and without a decision date."""
    require_writer(by)
    complaint = _locked(complaint)
    _require_open(complaint)
    if complaint.step != Step.REVIEW_BOARD:
        raise DomainError(
            code="not_at_review_board",
            message=_(
                "Only the review board makes a finding; the complaint is at %(step)s: "
                "escalate it or resolve it."
            )
            % {"step": Step(complaint.step).label},
            field="fault",
        )
    if decision_date is None:
        raise DomainError(
            code="decision_date_required",
            message=_("Enter the date of the review board's decision."),
            field="decision_date",
        )
    step = _open_step(complaint)
    day = _day(decision_date, "decision_date", not_before=step.started_on)
    notes = clean_text(notes, "notes", limit=10000, required=False)
    fault = bool(fault)
    step.outcome = StepOutcome.FINDING_FAULT if fault else StepOutcome.FINDING_NO_FAULT
    step.decision_date = day
    step.director_approved = bool(director_approved)
    step.ended_on = day
    step.notes = _append(step.notes, notes)
    step.save()
    complaint.status = ComplaintStatus.CLOSED
    complaint.finished_on = day
    complaint.waiting_on = ""
    complaint.waiting_since = None
    complaint.save()
    record(
        PartnerEvent.COMPLAINT_FINDING,
        subject=complaint,
        by=by,
        data=_data(
            complaint,
            fault=fault,
            decision_date=day.isoformat(),
            director_approved=step.director_approved,
            notes=notes[:500],
        ),
    )
    if fault:
        MarkOnRecord.objects.create(
            step=step, decided_on=day, director_approved=step.director_approved
        )
        count = MarkOnRecord.objects.count()
        record(
            PartnerEvent.MARK_PLACED,
            subject=complaint,
            by=by,
            data=_data(
                complaint,
                count=count,
                decided_on=day.isoformat(),
                director_approved=step.director_approved,
            ),
        )
        if count > MAX_MARKS:
            _alert_marks(count, step)
    return complaint
