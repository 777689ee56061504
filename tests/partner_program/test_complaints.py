"""Complaints and marks on record (seed 001): Complaint → Mediation → Partner Ops Escalation →
Review Board, a serious infringement straight to the board, resolved at any step without a
mark, only a board finding of fault places one; illegal moves are refused; a complaint waiting
on the agency too long alerts once."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.notifications.models import Notification
from partnerdesk.partner_program import accreditation_jobs, services
from partnerdesk.partner_program.models import (
    Complaint,
    ComplaintSource,
    ComplaintStatus,
    ComplaintStep,
    ComplaintStepKind,
    MarkOnRecord,
    StepOutcome,
    WaitingOn,
)
from partnerdesk.sla.clock import agency_calendar

from .conftest import TODAY

pytestmark = pytest.mark.django_db

Step = ComplaintStepKind


@pytest.fixture
def complaint(manager, company, set_today):
    return services.complaint_open(
        by=manager,
        summary="Website launch missed the agreed date",
        source=ComplaintSource.HUBSPOT_CS,
        company=company,
        owner=manager,
    )


def steps(complaint) -> list[tuple[str, str]]:
    return list(
        ComplaintStep.objects.filter(complaint=complaint)
        .order_by("started_on", "id")
        .values_list("step", "outcome")
    )


def refused(code: str, action, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        action(**kwargs)
    assert error.value.code == code, error.value.message
    return error.value


def test_a_complaint_moves_one_step_at_a_time_to_the_review_board(complaint, manager, agent):
    assert (complaint.step, complaint.status, complaint.waiting_on) == (
        Step.COMPLAINT,
        ComplaintStatus.OPEN,
        WaitingOn.AGENCY,
    )
    services.complaint_advance(by=manager, complaint=complaint, reason="CS could not resolve it")
    services.complaint_advance(by=manager, complaint=complaint, to_step=Step.PARTNER_OPS_ESCALATION)
    services.complaint_advance(by=manager, complaint=complaint, owner=agent)
    complaint.refresh_from_db()
    assert complaint.step == Step.REVIEW_BOARD
    assert steps(complaint) == [
        (Step.COMPLAINT, StepOutcome.ESCALATED),
        (Step.MEDIATION, StepOutcome.ESCALATED),
        (Step.PARTNER_OPS_ESCALATION, StepOutcome.ESCALATED),
        (Step.REVIEW_BOARD, ""),
    ]
    assert ComplaintStep.objects.get(complaint=complaint, ended_on__isnull=True).owner == agent
    services.complaint_finding(
        by=manager,
        complaint=complaint,
        fault=True,
        decision_date=TODAY,
        director_approved=True,
        notes="Rubric: delivery failure on the partner's side.",
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finished_on, complaint.waiting_on) == (
        ComplaintStatus.CLOSED,
        TODAY,
        "",
    )
    mark = MarkOnRecord.objects.get()
    assert (mark.step.step, mark.decided_on, mark.director_approved) == (
        Step.REVIEW_BOARD,
        TODAY,
        True,
    )
    sentences = [describe(e) for e in timeline(complaint)]
    assert "Complaint recorded: Website launch missed the agreed date" in sentences
    assert "Complaint escalated from Complaint to Mediation: CS could not resolve it" in sentences
    assert (
        "Complaint escalated from Partner Ops Escalation to Review Board, owner Agent" in sentences
    )
    assert (
        f"Review board finding of {TODAY}: the agency was at fault (director-level approval): "
        "Rubric: delivery failure on the partner's side."
    ) in sentences
    assert "Mark on record placed (1 in all)" in sentences
    assert all(e.actor == manager for e in timeline(complaint))


def test_a_serious_infringement_goes_straight_to_the_review_board(manager, company, set_today):
    complaint = services.complaint_open(
        by=manager,
        summary="Customer data shared without consent",
        source=ComplaintSource.CUSTOMER,
        company=company,
        serious_infringement=True,
    )
    assert complaint.step == Step.REVIEW_BOARD
    assert steps(complaint) == [(Step.REVIEW_BOARD, "")]
    services.complaint_finding(by=manager, complaint=complaint, fault=True, decision_date=TODAY)
    assert MarkOnRecord.objects.count() == 1
    assert (
        "Complaint recorded as a serious infringement, straight to the review board: "
        "Customer data shared without consent"
    ) in [describe(e) for e in timeline(complaint)]


def test_marking_an_open_complaint_serious_takes_it_to_the_board_at_once(complaint, manager):
    services.complaint_advance(by=manager, complaint=complaint)
    services.complaint_update(
        by=manager, complaint=complaint, serious_infringement=True, reason="Data breach found"
    )
    complaint.refresh_from_db()
    assert complaint.step == Step.REVIEW_BOARD
    assert steps(complaint)[-2:] == [
        (Step.MEDIATION, StepOutcome.ESCALATED),
        (Step.REVIEW_BOARD, ""),
    ]
    sentences = [describe(e) for e in timeline(complaint)]
    assert (
        "Complaint escalated from Mediation to Review Board (serious infringement): "
        "Data breach found"
    ) in sentences


def test_a_resolved_mediation_adds_no_mark(complaint, manager):
    services.complaint_advance(by=manager, complaint=complaint)
    services.complaint_resolve(
        by=manager, complaint=complaint, notes="Partner made the customer whole."
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.step) == (ComplaintStatus.RESOLVED, Step.MEDIATION)
    assert steps(complaint) == [
        (Step.COMPLAINT, StepOutcome.ESCALATED),
        (Step.MEDIATION, StepOutcome.RESOLVED),
    ]
    assert (
        ComplaintStep.objects.get(step=Step.MEDIATION).notes == "Partner made the customer whole."
    )
    assert MarkOnRecord.objects.count() == 0
    assert not Notification.objects.exists()


def test_a_finding_of_no_fault_adds_no_mark(manager, set_today):
    complaint = services.complaint_open(
        by=manager, summary="Invoice dispute", source="other", serious_infringement=True
    )
    services.complaint_finding(by=manager, complaint=complaint, fault=False, decision_date=TODAY)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert steps(complaint) == [(Step.REVIEW_BOARD, StepOutcome.FINDING_NO_FAULT)]
    assert MarkOnRecord.objects.count() == 0


# ---------------------------------------------------------------- illegal moves


def test_a_step_cannot_be_skipped_without_the_serious_flag(complaint, manager):
    error = refused(
        "step_skipped",
        services.complaint_advance,
        by=manager,
        complaint=complaint,
        to_step=Step.REVIEW_BOARD,
    )
    assert error.field == "to_step"
    assert "its next step is Mediation" in error.message
    refused(
        "step_skipped",
        services.complaint_advance,
        by=manager,
        complaint=complaint,
        to_step=Step.PARTNER_OPS_ESCALATION,
    )
    services.complaint_advance(by=manager, complaint=complaint)
    refused(
        "step_backwards",
        services.complaint_advance,
        by=manager,
        complaint=complaint,
        to_step=Step.COMPLAINT,
    )
    refused(
        "invalid_step", services.complaint_advance, by=manager, complaint=complaint, to_step="x"
    )
    complaint.refresh_from_db()
    assert complaint.step == Step.MEDIATION
    assert len(steps(complaint)) == 2  # nothing half-written


def test_a_serious_complaint_may_jump_to_the_board_when_escalated(complaint, manager):
    Complaint.objects.filter(pk=complaint.pk).update(serious_infringement=True)
    services.complaint_advance(by=manager, complaint=complaint, to_step=Step.REVIEW_BOARD)
    complaint.refresh_from_db()
    assert complaint.step == Step.REVIEW_BOARD


def test_a_finding_needs_the_review_board_and_a_decision_date(complaint, manager):
    refused(
        "not_at_review_board",
        services.complaint_finding,
        by=manager,
        complaint=complaint,
        fault=True,
        decision_date=TODAY,
    )
    for _n in range(3):
        services.complaint_advance(by=manager, complaint=complaint)
    error = refused(
        "decision_date_required",
        services.complaint_finding,
        by=manager,
        complaint=complaint,
        fault=True,
        decision_date=None,
    )
    assert error.field == "decision_date"
    refused(
        "date_in_future",
        services.complaint_finding,
        by=manager,
        complaint=complaint,
        fault=True,
        decision_date=TODAY + dt.timedelta(days=1),
    )
    refused("at_review_board", services.complaint_advance, by=manager, complaint=complaint)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN
    assert MarkOnRecord.objects.count() == 0


def test_a_closed_complaint_is_never_reopened_or_moved(complaint, manager):
    for _n in range(3):
        services.complaint_advance(by=manager, complaint=complaint)
    services.complaint_finding(by=manager, complaint=complaint, fault=False, decision_date=TODAY)
    refused(
        "complaint_closed",
        services.complaint_reopen,
        by=manager,
        complaint=complaint,
        reason="Customer came back",
    )
    refused("complaint_closed", services.complaint_advance, by=manager, complaint=complaint)
    refused("complaint_closed", services.complaint_resolve, by=manager, complaint=complaint)
    refused(
        "complaint_closed",
        services.complaint_finding,
        by=manager,
        complaint=complaint,
        fault=True,
        decision_date=TODAY,
    )
    refused(
        "complaint_closed",
        services.complaint_update,
        by=manager,
        complaint=complaint,
        summary="Changed",
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert MarkOnRecord.objects.count() == 0


def test_a_resolved_complaint_can_be_reopened_at_its_step(complaint, manager):
    services.complaint_advance(by=manager, complaint=complaint)
    services.complaint_resolve(by=manager, complaint=complaint)
    refused("complaint_resolved", services.complaint_advance, by=manager, complaint=complaint)
    refused("required", services.complaint_reopen, by=manager, complaint=complaint, reason=" ")
    services.complaint_reopen(by=manager, complaint=complaint, reason="The fix did not hold")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.step, complaint.finished_on) == (
        ComplaintStatus.OPEN,
        Step.MEDIATION,
        None,
    )
    assert steps(complaint)[-2:] == [(Step.MEDIATION, StepOutcome.RESOLVED), (Step.MEDIATION, "")]
    refused(
        "complaint_open",
        services.complaint_reopen,
        by=manager,
        complaint=complaint,
        reason="Again",
    )


def test_only_managers_and_admins_handle_complaints(agent, manager, complaint):
    refused(
        "forbidden",
        services.complaint_open,
        by=agent,
        summary="x",
        source=ComplaintSource.CUSTOMER,
    )
    refused("forbidden", services.complaint_advance, by=agent, complaint=complaint)
    refused(
        "invalid_source",
        services.complaint_open,
        by=manager,
        summary="x",
        source="twitter",
    )
    refused("required", services.complaint_open, by=manager, summary=" ", source="customer")


def test_each_step_keeps_its_notes_and_owner(complaint, manager, agent):
    step = ComplaintStep.objects.get(complaint=complaint)
    services.complaint_step_update(by=manager, step=step, owner=agent, notes="Called the client.")
    step.refresh_from_db()
    assert (step.owner, step.notes) == (agent, "Called the client.")
    assert "Complaint step changed: owner: Manager → Agent; notes: — → Called the client." in [
        describe(e) for e in timeline(complaint)
    ]


# ---------------------------------------------------------------- waiting on the agency

MONDAY_NOON = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)  # 14:00 in Cairo


def test_a_complaint_waiting_on_the_agency_too_long_alerts_once(
    complaint, admin, manager, agent, set_today
):
    services.accreditation_settings_update(by=admin, complaint_waiting_days=2)
    services.complaint_step_update(
        by=manager, step=ComplaintStep.objects.get(complaint=complaint), owner=agent
    )
    Complaint.objects.filter(pk=complaint.pk).update(waiting_since=MONDAY_NOON)
    # The agency works Sunday–Thursday 09:00–17:00 in Cairo: two working days after Monday
    # afternoon are Tuesday and Wednesday, so it waits too long from Wednesday 17:00 (15:00 UTC).
    limit = dt.datetime(2025, 3, 12, 15, tzinfo=dt.UTC)
    assert agency_calendar().add_working_days(MONDAY_NOON, 2) == limit
    assert accreditation_jobs.complaints_waiting(now=limit) == 0
    after = limit + dt.timedelta(minutes=1)
    assert accreditation_jobs.complaints_waiting(now=after) == 3  # admin, manager, owner
    assert accreditation_jobs.complaints_waiting(now=after + dt.timedelta(hours=5)) == 0
    note = Notification.objects.get(user=agent)
    assert note.title == "Complaint waiting on the agency for more than 2 working days"
    assert note.body == (
        "Website launch missed the agreed date — at the Complaint step, waiting since 2025-03-10."
    )
    # Waiting on HubSpot: no alert; waiting on the agency again is a new wait.
    services.complaint_set_waiting(by=manager, complaint=complaint, waiting_on=WaitingOn.HUBSPOT)
    assert accreditation_jobs.complaints_waiting(now=after + dt.timedelta(days=30)) == 0
    services.complaint_set_waiting(by=manager, complaint=complaint, waiting_on=WaitingOn.AGENCY)
    complaint.refresh_from_db()
    later = agency_calendar().add_working_days(complaint.waiting_since, 2)
    assert accreditation_jobs.complaints_waiting(now=later + dt.timedelta(minutes=1)) == 3
    assert "The complaint now waits on HubSpot" in [describe(e) for e in timeline(complaint)]


def test_a_resolved_complaint_waits_on_nobody(complaint, manager):
    services.complaint_resolve(by=manager, complaint=complaint)
    Complaint.objects.filter(pk=complaint.pk).update(waiting_since=MONDAY_NOON)
    assert accreditation_jobs.complaints_waiting(now=MONDAY_NOON + dt.timedelta(days=60)) == 0
