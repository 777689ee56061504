"""API: accreditations (state, every at-risk reason, the grace period's end, the next evaluation,
the evaluations with the figures they used), the moves the services allow (apply, issue,
revoke, lapse, the review board's renewal), the accreditation catalogue and settings, and the
marks on the agency's record — through the same selectors and services as the pages.

Managers and admins (agents 403, clients 404: the gate refuses them before the body is read);
the catalogue and the settings are changed by admins only. An illegal move is a problem with
the service's code and sentence (409 for the state, 422 for a field), and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, MANAGER
from partnerdesk.core.api import Id, OneOf, Page, PageParams, Problem, Strict, lookup, page_counts
from partnerdesk.core.errors import DomainError

from .. import accreditation_rules as rules
from .. import accreditation_selectors as selectors
from .. import services
from ..models import (
    LIVE_STATES,
    MAX_MARKS,
    AccreditationState,
    AccreditationType,
    EvaluationResult,
    ProgramSettings,
    Tier,
)
from ..timeline import describe_reasons
from .common import ERRORS
from .schemas import RefId

router = Router(tags=["partner program: accreditations"])

StateName = Annotated[str, OneOf(AccreditationState)]
ResultName = Annotated[str, OneOf(EvaluationResult)]
SETTINGS = ("grace_period_days", "evaluation_alert_days", "complaint_waiting_days")


# ---------------------------------------------------------------- schemas


class AccreditationRequirement(Schema):
    name: str = Field(description="The certification, matched case-insensitively")
    employees: int = Field(description="Current employees who must hold it")


class AccreditationRequirementIn(Strict):
    name: str = Field(..., min_length=1, max_length=150)
    employees: int = Field(1, ge=1, le=1000)


class AccreditationTypeOut(Schema):
    id: int
    name: str
    key: str = Field(description="A default's stable key (empty for those admins added)")
    description: str
    required_certifications: list[AccreditationRequirement]
    minimum_tier_id: int | None = Field(description="null: no tier prerequisite")
    minimum_tier: str | None
    order: int
    is_active: bool = Field(description="Offered for new applications")


class AccreditationTypePage(Page):
    items: list[AccreditationTypeOut]


class AccreditationTypeFilters(Schema):
    offered: bool | None = None


class AccreditationTypeIn(Strict):
    name: str = Field(..., min_length=1, max_length=150)
    description: str = Field("", max_length=5000)
    required_certifications: list[AccreditationRequirementIn] = Field(default_factory=list)
    minimum_tier_id: RefId | None = Field(None, description="null: no tier prerequisite")
    order: int = Field(0, ge=0, le=32767)


class AccreditationTypePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=150)
    description: str | None = Field(None, max_length=5000)
    required_certifications: list[AccreditationRequirementIn] | None = None
    minimum_tier_id: RefId | None = Field(None, description="null removes the tier prerequisite")
    order: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class AccreditationOut(Schema):
    id: int
    accreditation_type_id: int
    accreditation_type: str
    state: StateName
    applied_on: dt.date | None
    issued_on: dt.date | None
    next_evaluation_on: dt.date | None = Field(description="null unless held")
    grace_period_ends_on: dt.date | None = Field(
        description="The last day of the grace period after a tier drop (null: none running)"
    )
    at_risk_reasons: list[dict[str, Any]] = Field(
        description='Each {"code": "tier" | "certifications" | "marks", ...} with its figures'
    )
    reasons_text: str = Field(description="The at-risk reasons in words")
    created_at: dt.datetime
    updated_at: dt.datetime


class AccreditationDetailOut(AccreditationOut):
    marks_on_record: int
    max_marks: int = Field(description="More marks than this send renewals to the board")


class AccreditationPage(Page):
    items: list[AccreditationOut]
    marks_on_record: int = Field(description="Marks on the agency's record today")
    max_marks: int


class AccreditationFilters(Schema):
    state: StateName | None = None
    type_id: RefId | None = Field(None, description="The accreditation of the catalogue")
    live: bool | None = Field(
        None, description="true: applying, active, at risk or under board review"
    )


class AccreditationEvaluationOut(Schema):
    id: int
    accreditation_id: int
    due_on: dt.date
    evaluated_at: dt.datetime
    result: ResultName
    figures: dict[str, Any] = Field(
        description="What the evaluation used: credited and minimum tier, certifications "
        "held and required, marks, the grace period and the reasons"
    )
    reasons_text: str


class AccreditationEvaluationPage(Page):
    items: list[AccreditationEvaluationOut]


class AccreditationApplyIn(Strict):
    accreditation_type_id: RefId
    applied_on: dt.date | None = Field(None, description="Today or earlier (default today)")


class AccreditationIssueIn(Strict):
    issued_on: dt.date = Field(description="Evaluated every six months from this day")


class AccreditationRevokeIn(Strict):
    reason: str = Field(..., min_length=1, max_length=2000)
    director_approved: bool = Field(
        False, description="Required when the review board revokes one under board review"
    )


class AccreditationLapseIn(Strict):
    reason: str = Field(..., min_length=1, max_length=2000)


class AccreditationBoardRenewIn(Strict):
    decided_on: dt.date | None = Field(None, description="The date of the board's decision")
    director_approved: bool = False
    notes: str = Field("", max_length=5000)


class AccreditationSettingsOut(Schema):
    grace_period_days: int = Field(description="After a tier drop, from the review (0: none)")
    evaluation_alert_days: int = Field(
        description="Alert this many days before an evaluation or a grace period's end"
    )
    complaint_waiting_days: int = Field(
        description="Alert when a complaint waits on the agency longer (working days)"
    )


class AccreditationSettingsPatch(Strict):
    grace_period_days: int | None = Field(None, ge=0, le=3650)
    evaluation_alert_days: int | None = Field(None, ge=1, le=365)
    complaint_waiting_days: int | None = Field(None, ge=1, le=365)


class AccreditationMarkOut(Schema):
    id: int
    decided_on: dt.date
    director_approved: bool
    complaint_id: int
    complaint: str = Field(description="The complaint's summary")
    step_id: int = Field(description="The review-board step that found the agency at fault")


class AccreditationMarkPage(Page):
    items: list[AccreditationMarkOut]
    max_marks: int


# ---------------------------------------------------------------- serializers


def type_out(kind: AccreditationType, user=None) -> dict[str, Any]:
    return {
        "id": kind.pk,
        "name": kind.name,
        "key": kind.key,
        "description": kind.description,
        "required_certifications": [
            {"name": name, "employees": count}
            for name, count in rules.required_certifications(kind)
        ],
        "minimum_tier_id": kind.minimum_tier_id,
        "minimum_tier": kind.minimum_tier.name if kind.minimum_tier else None,
        "order": kind.order,
        "is_active": kind.is_active,
    }


def accreditation_out(accreditation, user=None) -> dict[str, Any]:
    return {
        "id": accreditation.pk,
        "accreditation_type_id": accreditation.accreditation_type_id,
        "accreditation_type": accreditation.accreditation_type.name,
        "state": accreditation.state,
        "applied_on": accreditation.applied_on,
        "issued_on": accreditation.issued_on,
        "next_evaluation_on": accreditation.next_evaluation_on,
        "grace_period_ends_on": accreditation.grace_period_ends_on,
        "at_risk_reasons": accreditation.at_risk_reasons,
        "reasons_text": describe_reasons(accreditation.at_risk_reasons),
        "created_at": accreditation.created_at,
        "updated_at": accreditation.updated_at,
    }


def _detail(request, pk: int) -> dict[str, Any]:
    return {
        **accreditation_out(selectors.accreditation_for(request.auth, pk)),
        "marks_on_record": rules.marks_count(),
        "max_marks": MAX_MARKS,
    }


def evaluation_out(evaluation, user=None) -> dict[str, Any]:
    figures = evaluation.figures or {}
    return {
        "id": evaluation.pk,
        "accreditation_id": evaluation.accreditation_id,
        "due_on": evaluation.due_on,
        "evaluated_at": evaluation.evaluated_at,
        "result": evaluation.result,
        "figures": figures,
        "reasons_text": describe_reasons(figures.get("reasons") or []),
    }


def _page(qs, page: PageParams, serialize) -> dict[str, Any]:
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [serialize(item) for item in items],
    }


# ---------------------------------------------------------------- accreditations


@router.get(
    "/partner/accreditations",
    auth=MANAGER,
    response=AccreditationPage,
    summary="Accreditations held or applied for, with the marks on record",
)
def list_accreditations(request, filters: Query[AccreditationFilters], page: Query[PageParams]):
    params: dict[str, Any] = {"state": filters.state, "type": filters.type_id}
    if filters.live and not filters.state:
        params["state"] = "live"
    qs, _active = selectors.filter_accreditations(
        selectors.accreditations_for(request.auth), params
    )
    if filters.live is False:
        qs = qs.exclude(state__in=LIVE_STATES)
    return {
        **_page(qs, page, accreditation_out),
        "marks_on_record": rules.marks_count(),
        "max_marks": MAX_MARKS,
    }


@router.post(
    "/partner/accreditations",
    auth=MANAGER,
    response={201: AccreditationDetailOut, **ERRORS},
    summary="Apply for an accreditation",
    description=(
        "Refused while the agency holds or applies for one of the type (409), and unless its "
        "prerequisites are met today: the minimum credited tier and each required "
        "certification held by enough current employees (422, every gap named)."
    ),
)
def apply_for_accreditation(request, payload: AccreditationApplyIn):
    kind = lookup(AccreditationType, payload.accreditation_type_id, "accreditation_type")
    try:
        accreditation = services.accreditation_apply(
            by=request.auth, accreditation_type=kind, applied_on=payload.applied_on
        )
    except DomainError as exc:
        _rename_field(exc, "accreditation_type", "accreditation_type_id")
        raise
    return Status(201, _detail(request, accreditation.pk))


def _rename_field(exc: DomainError, old: str, new: str) -> None:
    """The service names a row; the body names its id."""
    if exc.field == old:
        exc.field = new
    for error in exc.errors:
        if error.field == old:
            error.field = new


@router.get(
    "/partner/accreditations/{accreditation_id}",
    auth=MANAGER,
    response={200: AccreditationDetailOut, 404: Problem},
)
def get_accreditation(request, accreditation_id: int = Id):
    return _detail(request, accreditation_id)


@router.get(
    "/partner/accreditations/{accreditation_id}/evaluations",
    auth=MANAGER,
    response={200: AccreditationEvaluationPage, 404: Problem},
    summary="An accreditation's evaluations, newest first, with the figures each used",
)
def list_evaluations(request, page: Query[PageParams], accreditation_id: int = Id):
    accreditation = selectors.accreditation_for(request.auth, accreditation_id)
    return _page(selectors.evaluations_of(accreditation), page, evaluation_out)


def _move(request, accreditation_id: int, action, **kwargs) -> dict[str, Any]:
    accreditation = selectors.accreditation_for(request.auth, accreditation_id)
    action(by=request.auth, accreditation=accreditation, **kwargs)
    return _detail(request, accreditation.pk)


@router.post(
    "/partner/accreditations/{accreditation_id}/issue",
    auth=MANAGER,
    response={200: AccreditationDetailOut, **ERRORS},
    summary="HubSpot issued the accreditation applied for",
    description="Only an application can be issued (409 otherwise).",
)
def issue_accreditation(request, payload: AccreditationIssueIn, accreditation_id: int = Id):
    return _move(
        request, accreditation_id, services.accreditation_issue, issued_on=payload.issued_on
    )


@router.post(
    "/partner/accreditations/{accreditation_id}/revoke",
    auth=MANAGER,
    response={200: AccreditationDetailOut, **ERRORS},
    summary="HubSpot revoked the accreditation (or declined the application)",
    description=(
        "After a board review the decision needs the director-level approval (422 on "
        "director_approved otherwise). Revoked or lapsed already: 409."
    ),
)
def revoke_accreditation(request, payload: AccreditationRevokeIn, accreditation_id: int = Id):
    return _move(request, accreditation_id, services.accreditation_revoke, **payload.model_dump())


@router.post(
    "/partner/accreditations/{accreditation_id}/lapse",
    auth=MANAGER,
    response={200: AccreditationDetailOut, **ERRORS},
    summary="The accreditation is no longer held",
)
def lapse_accreditation(request, payload: AccreditationLapseIn, accreditation_id: int = Id):
    return _move(request, accreditation_id, services.accreditation_lapse, reason=payload.reason)


@router.post(
    "/partner/accreditations/{accreditation_id}/board-renewal",
    auth=MANAGER,
    response={200: AccreditationDetailOut, **ERRORS},
    summary="The review board renews an accreditation under board review",
    description="Needs the decision date; only one under board review (409 otherwise).",
)
def board_renew_accreditation(
    request, payload: AccreditationBoardRenewIn, accreditation_id: int = Id
):
    return _move(
        request, accreditation_id, services.accreditation_board_renew, **payload.model_dump()
    )


# ---------------------------------------------------------------- marks on record


@router.get(
    "/partner/marks",
    auth=MANAGER,
    response=AccreditationMarkPage,
    summary="The marks on the agency's record, newest decision first",
    description="More than max_marks send every accreditation renewal to the review board.",
)
def list_marks(request, page: Query[PageParams]):
    def mark_out(mark) -> dict[str, Any]:
        return {
            "id": mark.pk,
            "decided_on": mark.decided_on,
            "director_approved": mark.director_approved,
            "complaint_id": mark.step.complaint_id,
            "complaint": mark.step.complaint.summary,
            "step_id": mark.step_id,
        }

    return {**_page(selectors.marks(), page, mark_out), "max_marks": MAX_MARKS}


# ---------------------------------------------------------------- the catalogue


@router.get(
    "/partner/accreditation-types",
    auth=MANAGER,
    response=AccreditationTypePage,
    summary="The accreditation catalogue with each one's prerequisites",
)
def list_accreditation_types(
    request, filters: Query[AccreditationTypeFilters], page: Query[PageParams]
):
    qs = selectors.accreditation_types()
    if filters.offered is not None:
        qs = qs.filter(is_active=filters.offered)
    return _page(qs, page, type_out)


def _requirements(rows) -> list[dict[str, Any]] | None:
    return None if rows is None else [r.model_dump() for r in rows]


@router.post(
    "/partner/accreditation-types",
    auth=ADMIN,
    response={201: AccreditationTypeOut, **ERRORS},
    summary="Add an accreditation to the catalogue",
)
def create_accreditation_type(request, payload: AccreditationTypeIn):
    kind = services.accreditation_type_create(
        by=request.auth,
        name=payload.name,
        description=payload.description,
        required_certifications=_requirements(payload.required_certifications),
        minimum_tier=lookup(Tier, payload.minimum_tier_id, "minimum_tier"),
        order=payload.order,
    )
    return Status(201, type_out(selectors.accreditation_type(kind.pk)))


@router.patch(
    "/partner/accreditation-types/{accreditation_type_id}",
    auth=ADMIN,
    response={200: AccreditationTypeOut, **ERRORS},
    summary="Change an accreditation's prerequisites or withdraw it (only the fields sent)",
    description="A change applies from the next check of the standards.",
)
def update_accreditation_type(
    request, payload: AccreditationTypePatch, accreditation_type_id: int = Id
):
    kind = selectors.accreditation_type(accreditation_type_id)
    sent = payload.model_dump(exclude_unset=True)
    fields: dict[str, Any] = {
        k: v
        for k, v in sent.items()
        if v is not None and k not in ("minimum_tier_id", "required_certifications")
    }
    if "required_certifications" in sent:
        fields["required_certifications"] = _requirements(payload.required_certifications) or []
    if "minimum_tier_id" in sent:
        fields["minimum_tier"] = lookup(Tier, payload.minimum_tier_id, "minimum_tier")
    services.accreditation_type_update(by=request.auth, accreditation_type=kind, **fields)
    return type_out(selectors.accreditation_type(kind.pk))


# ---------------------------------------------------------------- settings


def _settings() -> dict[str, int]:
    settings = ProgramSettings.load()
    return {name: getattr(settings, name) for name in SETTINGS}


@router.get("/partner/accreditation-settings", auth=MANAGER, response=AccreditationSettingsOut)
def get_accreditation_settings(request):
    return _settings()


@router.patch(
    "/partner/accreditation-settings",
    auth=ADMIN,
    response={200: AccreditationSettingsOut, **ERRORS},
    summary="Change the grace period and the alert leads (only the fields sent)",
)
def update_accreditation_settings(request, payload: AccreditationSettingsPatch):
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.accreditation_settings_update(by=request.auth, **fields)
    return _settings()
