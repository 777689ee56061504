"""API: complaints about the agency and their steps (Complaint → Mediation → Partner Ops
Escalation → Review Board), through the same selectors and services as the pages: record one,
change its details or mark it a serious infringement (straight to the review board), escalate,
resolve, reopen, say whose move it is, change a step's owner and notes, and the review board's
finding (a finding of fault places a mark on record).

Managers and admins (agents 403, clients 404: the gate refuses them before the body is read).
An illegal move is a problem with the service's code and sentence — a skipped step (422
``step_skipped`` on ``to_step``), a finding without a decision date (422 on
``decision_date``), a closed complaint (409 ``complaint_closed``) — and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import MANAGER
from partnerdesk.core.api import (
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    lookup,
    page_counts,
    staff_user,
)
from partnerdesk.crm.models import Company

from .. import accreditation_selectors as selectors
from .. import services
from ..models import (
    ComplaintSource,
    ComplaintStatus,
    ComplaintStepKind,
    StepOutcome,
    WaitingOn,
)
from .common import ERRORS
from .schemas import RefId

router = Router(tags=["partner program: complaints"])

SourceName = Annotated[str, OneOf(ComplaintSource)]
StatusName = Annotated[str, OneOf(ComplaintStatus)]
StepName = Annotated[str, OneOf(ComplaintStepKind)]
OutcomeName = Annotated[str, OneOf(StepOutcome)]
WaitingName = Annotated[str, OneOf(WaitingOn)]


# ---------------------------------------------------------------- schemas


class ComplaintStepOut(Schema):
    id: int
    step: StepName
    owner_id: int | None
    owner: str | None
    started_on: dt.date
    ended_on: dt.date | None = Field(description="null: the current step")
    notes: str
    outcome: OutcomeName | None = Field(description="null while the step is open")
    decision_date: dt.date | None = Field(description="A review-board finding's decision date")
    director_approved: bool
    mark_id: int | None = Field(description="The mark on record this finding placed")


class ComplaintOut(Schema):
    id: int
    summary: str
    source: SourceName
    company_id: int | None
    company: str | None
    serious_infringement: bool
    step: StepName = Field(description="The current step (or the last one)")
    status: StatusName
    opened_on: dt.date
    finished_on: dt.date | None = Field(description="Resolved or closed on")
    waiting_on: WaitingName | None = Field(description="Whose move it is (null: nobody)")
    waiting_since: dt.datetime | None
    opened_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ComplaintDetailOut(ComplaintOut):
    steps: list[ComplaintStepOut] = Field(description="The steps it went through, in order")


class ComplaintPage(Page):
    items: list[ComplaintOut]


class ComplaintFilters(Schema):
    status: StatusName | None = None
    step: StepName | None = None
    source: SourceName | None = None
    company_id: RefId | None = None
    serious: bool | None = None
    waiting_on: WaitingName | None = None
    q: str | None = Field(None, max_length=200, description="Part of the summary")


class ComplaintIn(Strict):
    summary: str = Field(..., min_length=1, max_length=5000)
    source: SourceName
    company_id: RefId | None = None
    serious_infringement: bool = Field(False, description="true: straight to the review board")
    owner_id: RefId | None = Field(None, description="The first step's owner")
    opened_on: dt.date | None = Field(None, description="Today or earlier (default today)")
    notes: str = Field("", max_length=10000)


class ComplaintPatch(Strict):
    summary: str | None = Field(None, min_length=1, max_length=5000)
    source: SourceName | None = None
    company_id: RefId | None = Field(None, description="null: no client company")
    serious_infringement: bool | None = Field(
        None, description="true takes an open complaint straight to the review board"
    )
    reason: str = Field("", max_length=2000)


class ComplaintAdvanceIn(Strict):
    to_step: StepName | None = Field(
        None,
        description="Omitted: the next step. Only a serious infringement may skip to the "
        "review board",
    )
    owner_id: RefId | None = Field(None, description="The new step's owner")
    reason: str = Field("", max_length=2000)
    on: dt.date | None = Field(None, description="Today or earlier (default today)")


class ComplaintResolveIn(Strict):
    notes: str = Field("", max_length=10000)
    on: dt.date | None = Field(None, description="Today or earlier (default today)")


class ComplaintReopenIn(Strict):
    reason: str = Field(..., min_length=1, max_length=2000)


class ComplaintWaitingIn(Strict):
    waiting_on: WaitingName | None = Field(description="null: nobody")
    reason: str = Field("", max_length=2000)


class ComplaintFindingIn(Strict):
    fault: bool = Field(description="true: the agency was at fault, a mark on record")
    decision_date: dt.date | None = Field(None, description="Required: the board's decision")
    director_approved: bool = False
    notes: str = Field("", max_length=10000)


class ComplaintStepPatch(Strict):
    owner_id: RefId | None = Field(None, description="null: no owner")
    notes: str | None = Field(None, max_length=10000)


# ---------------------------------------------------------------- serializers


def complaint_out(complaint, user=None) -> dict[str, Any]:
    return {
        "id": complaint.pk,
        "summary": complaint.summary,
        "source": complaint.source,
        "company_id": complaint.company_id,
        "company": complaint.company.name if complaint.company else None,
        "serious_infringement": complaint.serious_infringement,
        "step": complaint.step,
        "status": complaint.status,
        "opened_on": complaint.opened_on,
        "finished_on": complaint.finished_on,
        "waiting_on": complaint.waiting_on or None,
        "waiting_since": complaint.waiting_since,
        "opened_by_id": complaint.opened_by_id,
        "created_at": complaint.created_at,
        "updated_at": complaint.updated_at,
    }


def step_out(step) -> dict[str, Any]:
    mark = getattr(step, "mark", None)
    return {
        "id": step.pk,
        "step": step.step,
        "owner_id": step.owner_id,
        "owner": step.owner.display_name if step.owner else None,
        "started_on": step.started_on,
        "ended_on": step.ended_on,
        "notes": step.notes,
        "outcome": step.outcome or None,
        "decision_date": step.decision_date,
        "director_approved": step.director_approved,
        "mark_id": mark.pk if mark else None,
    }


def _detail(request, pk: int) -> dict[str, Any]:
    complaint = selectors.complaint_for(request.auth, pk)
    return {
        **complaint_out(complaint),
        "steps": [step_out(s) for s in selectors.steps_of(complaint)],
    }


def _owner(pk: int | None):
    return staff_user(pk, "owner_id")


def _company(pk: int | None):
    return lookup(Company, pk, "company")


# ---------------------------------------------------------------- complaints


@router.get(
    "/partner/complaints",
    auth=MANAGER,
    response=ComplaintPage,
    summary="Complaints about the agency, newest first",
)
def list_complaints(request, filters: Query[ComplaintFilters], page: Query[PageParams]):
    params = {
        "status": filters.status,
        "step": filters.step,
        "source": filters.source,
        "company": filters.company_id,
        "waiting_on": filters.waiting_on,
        "q": filters.q,
        "serious": None if filters.serious is None else str(filters.serious).lower(),
    }
    qs, _active = selectors.filter_complaints(selectors.complaints_for(request.auth), params)
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [complaint_out(c) for c in items],
    }


@router.post(
    "/partner/complaints",
    auth=MANAGER,
    response={201: ComplaintDetailOut, **ERRORS},
    summary="Record a complaint about the agency",
    description=(
        "It starts at the Complaint step waiting on the agency, or straight at the Review "
        "Board for a serious infringement."
    ),
)
def create_complaint(request, payload: ComplaintIn):
    complaint = services.complaint_open(
        by=request.auth,
        summary=payload.summary,
        source=payload.source,
        company=_company(payload.company_id),
        serious_infringement=payload.serious_infringement,
        owner=_owner(payload.owner_id),
        opened_on=payload.opened_on,
        notes=payload.notes,
    )
    return Status(201, _detail(request, complaint.pk))


@router.get(
    "/partner/complaints/{complaint_id}",
    auth=MANAGER,
    response={200: ComplaintDetailOut, 404: Problem},
    summary="A complaint with its steps",
)
def get_complaint(request, complaint_id: int = Id):
    return _detail(request, complaint_id)


@router.patch(
    "/partner/complaints/{complaint_id}",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="Change a complaint's details, or mark it a serious infringement",
    description=(
        "Marking an open complaint a serious infringement takes it straight to the review "
        "board. A closed complaint does not change (409)."
    ),
)
def update_complaint(request, payload: ComplaintPatch, complaint_id: int = Id):
    complaint = selectors.complaint_for(request.auth, complaint_id)
    sent = payload.model_dump(exclude_unset=True)
    fields: dict[str, Any] = {
        k: v for k, v in sent.items() if v is not None and k not in ("company_id", "reason")
    }
    if "company_id" in sent:
        fields["company"] = _company(payload.company_id)
    services.complaint_update(by=request.auth, complaint=complaint, reason=payload.reason, **fields)
    return _detail(request, complaint.pk)


def _move(request, complaint_id: int, action, **kwargs) -> dict[str, Any]:
    complaint = selectors.complaint_for(request.auth, complaint_id)
    action(by=request.auth, complaint=complaint, **kwargs)
    return _detail(request, complaint.pk)


@router.post(
    "/partner/complaints/{complaint_id}/advance",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="Escalate an open complaint to its next step",
)
def advance_complaint(request, payload: ComplaintAdvanceIn, complaint_id: int = Id):
    return _move(
        request,
        complaint_id,
        services.complaint_advance,
        to_step=payload.to_step,
        owner=_owner(payload.owner_id),
        reason=payload.reason,
        on=payload.on,
    )


@router.post(
    "/partner/complaints/{complaint_id}/resolve",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="Resolve the complaint at its current step (no mark on record)",
)
def resolve_complaint(request, payload: ComplaintResolveIn, complaint_id: int = Id):
    return _move(request, complaint_id, services.complaint_resolve, **payload.model_dump())


@router.post(
    "/partner/complaints/{complaint_id}/reopen",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="Reopen a resolved complaint at the step it was resolved at",
    description="A closed complaint (the review board's finding) is never reopened: 409.",
)
def reopen_complaint(request, payload: ComplaintReopenIn, complaint_id: int = Id):
    return _move(request, complaint_id, services.complaint_reopen, reason=payload.reason)


@router.post(
    "/partner/complaints/{complaint_id}/waiting",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="Whose move it is on an open complaint",
    description="Waiting on the agency for too many working days raises an alert.",
)
def set_complaint_waiting(request, payload: ComplaintWaitingIn, complaint_id: int = Id):
    return _move(
        request,
        complaint_id,
        services.complaint_set_waiting,
        waiting_on=payload.waiting_on or "",
        reason=payload.reason,
    )


@router.post(
    "/partner/complaints/{complaint_id}/finding",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="The review board's finding, which closes the complaint",
    description=(
        "Only at the review board, with its decision date; a finding of fault places a mark "
        "on the agency's record (the fourth alerts the admins)."
    ),
)
def record_complaint_finding(request, payload: ComplaintFindingIn, complaint_id: int = Id):
    return _move(request, complaint_id, services.complaint_finding, **payload.model_dump())


@router.patch(
    "/partner/complaints/{complaint_id}/steps/{step_id}",
    auth=MANAGER,
    response={200: ComplaintDetailOut, **ERRORS},
    summary="Change a step's owner or notes (only the fields sent)",
)
def update_complaint_step(
    request, payload: ComplaintStepPatch, complaint_id: int = Id, step_id: int = Id
):
    complaint = selectors.complaint_for(request.auth, complaint_id)
    step = selectors.step_of(complaint, step_id)
    sent = payload.model_dump(exclude_unset=True)
    fields: dict[str, Any] = {}
    if "owner_id" in sent:
        fields["owner"] = _owner(payload.owner_id)
    if sent.get("notes") is not None:
        fields["notes"] = payload.notes
    services.complaint_step_update(by=request.auth, step=step, **fields)
    return _detail(request, complaint.pk)
