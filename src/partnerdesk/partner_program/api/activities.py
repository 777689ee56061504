"""API: qualifying activities (with totals per tool, employee and month) and certifications.

Agents read and record only their own activities and read their own certifications; managers
and admins everything. Clients: 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from ninja import Query, Router, Status

from partnerdesk.accounts.api_auth import MANAGER, STAFF
from partnerdesk.core.api import Id, PageParams, Problem, lookup, page_counts
from partnerdesk.core.errors import DomainError

from .. import selectors, services
from ..models import ActivitySource, HubSpotAccount
from .common import ERRORS, activity_type_of, today
from .schemas import (
    PartnerActivityFilters,
    PartnerActivityIn,
    PartnerActivityOut,
    PartnerActivityPage,
    PartnerActivityTotalsOut,
    PartnerCertificationFilters,
    PartnerCertificationIn,
    PartnerCertificationOut,
    PartnerCertificationPage,
    PartnerCertificationPatch,
)

router = Router(tags=["partner program: activities"])


def activity_out(activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "account_id": activity.account_id,
        "account": activity.account.name,
        "employee_id": activity.employee_id,
        "employee": activity.employee.display_name,
        "activity_type_id": activity.activity_type_id,
        "activity": activity.activity_type.name,
        "tool": activity.activity_type.tool,
        "occurred_on": activity.occurred_on,
        "note": activity.note,
        "source": activity.source,
        "subject_type": activity.subject_type.model if activity.subject_type_id else None,
        "subject_id": activity.subject_id,
        "recorded_by_id": activity.recorded_by_id,
        "created_at": activity.created_at,
    }


def _filtered(request, filters: PartnerActivityFilters):
    params = {
        "employee": filters.employee_id,
        "account": filters.account_id,
        "account_q": filters.account_q,
        "activity_type": filters.activity_type_id,
        "tool": filters.tool,
        "month": filters.month,
        "source": filters.source,
        "since": filters.since,
        "until": filters.until,
    }
    qs = selectors.activities_for(request.auth).select_related("subject_type")
    return selectors.filter_activities(qs, params)[0]


@router.get(
    "/partner/activities",
    auth=STAFF,
    response=PartnerActivityPage,
    summary="Qualifying activities, newest first (an agent: their own)",
)
def list_activities(request, filters: Query[PartnerActivityFilters], page: Query[PageParams]):
    qs = _filtered(request, filters).order_by("-occurred_on", "-id")
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [activity_out(a) for a in items],
    }


@router.get(
    "/partner/activity-totals",
    auth=STAFF,
    response=PartnerActivityTotalsOut,
    summary="Totals of the filtered activities per tool, employee and month",
    description=(
        "Without month, since or until, the totals cover the last twelve months (as on the "
        "activities page)."
    ),
)
def activity_totals(request, filters: Query[PartnerActivityFilters]):
    dated = filters.month or filters.since or filters.until
    since = None if dated else selectors.totals_since(today())
    return selectors.activity_totals(_filtered(request, filters), since=since)


@router.post(
    "/partner/activities",
    auth=STAFF,
    response={201: PartnerActivityOut, **ERRORS},
    summary="Record a qualifying activity (an agent: their own)",
    description=(
        "Dated today or earlier and not before the account was opened; it starts or extends "
        "the account's managed relationship."
    ),
)
def create_activity(request, payload: PartnerActivityIn):
    user = request.auth
    account = lookup(HubSpotAccount, payload.account_id, "account")
    if payload.employee_id is None or payload.employee_id == user.pk:
        employee = user
    else:
        employee = get_user_model()._default_manager.filter(pk=payload.employee_id).first()
        if employee is None:
            raise DomainError(
                code="invalid_employee",
                message=f"No user with id {payload.employee_id}.",
                field="employee_id",
            )
    try:
        activity = services.activity_record(
            by=user,
            account=account,
            employee=employee,
            activity_type=activity_type_of(payload.activity_type_id),
            occurred_on=payload.occurred_on,
            note=payload.note,
            source=ActivitySource.API,
        )
    except DomainError as exc:
        if exc.field in ("employee", "activity_type", "account"):
            exc.field = f"{exc.field}_id"
            exc.errors = []
        raise
    return Status(201, activity_out(selectors.activity_for(user, activity.pk)))


@router.get(
    "/partner/activities/{activity_id}",
    auth=STAFF,
    response={200: PartnerActivityOut, 404: Problem},
)
def get_activity(request, activity_id: int = Id):
    return activity_out(selectors.activity_for(request.auth, activity_id))


@router.delete(
    "/partner/activities/{activity_id}",
    auth=STAFF,
    response={204: None, **ERRORS},
    summary="Delete a qualifying activity (an agent: their own, recorded by hand or import)",
)
def delete_activity(request, activity_id: int = Id):
    activity = selectors.activity_for(request.auth, activity_id)
    services.activity_delete(by=request.auth, activity=activity)
    return Status(204, None)


# ---------------------------------------------------------------- certifications


def certification_out(certification, day=None) -> dict[str, Any]:
    day = day or today()
    return {
        "id": certification.pk,
        "employee_id": certification.employee_id,
        "employee": certification.employee.display_name,
        "name": certification.name,
        "issued_on": certification.issued_on,
        "expires_on": certification.expires_on,
        "academy_url": certification.academy_url,
        "valid": certification.expires_on is None or certification.expires_on >= day,
    }


@router.get(
    "/partner/certifications",
    auth=STAFF,
    response=PartnerCertificationPage,
    summary="Certifications (an agent: their own)",
)
def list_certifications(
    request, filters: Query[PartnerCertificationFilters], page: Query[PageParams]
):
    day = today()
    qs, _active = selectors.filter_certifications(
        selectors.certifications_for(request.auth),
        {
            "employee": filters.employee_id,
            "q": filters.q,
            "state": filters.state,
            "expiring_days": filters.expiring_days,
        },
        day=day,
    )
    qs = qs.order_by("employee__full_name", "expires_on", "pk")
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [certification_out(c, day) for c in items],
    }


@router.post(
    "/partner/certifications",
    auth=MANAGER,
    response={201: PartnerCertificationOut, **ERRORS},
    summary="Add an employee's certification",
)
def create_certification(request, payload: PartnerCertificationIn):
    employee = get_user_model()._default_manager.filter(pk=payload.employee_id).first()
    if employee is None:
        raise DomainError(
            code="invalid_employee",
            message=f"No user with id {payload.employee_id}.",
            field="employee_id",
        )
    fields = payload.model_dump(exclude={"employee_id"})
    certification = services.certification_add(by=request.auth, employee=employee, **fields)
    return Status(201, certification_out(certification))


@router.get(
    "/partner/certifications/{certification_id}",
    auth=STAFF,
    response={200: PartnerCertificationOut, 404: Problem},
)
def get_certification(request, certification_id: int = Id):
    return certification_out(selectors.certification_for(request.auth, certification_id))


@router.patch(
    "/partner/certifications/{certification_id}",
    auth=MANAGER,
    response={200: PartnerCertificationOut, **ERRORS},
    summary="Change a certification (a renewal moves its expiry date)",
)
def update_certification(request, payload: PartnerCertificationPatch, certification_id: int = Id):
    certification = selectors.certification_for(request.auth, certification_id)
    sent = payload.model_dump(exclude_unset=True)
    fields = {k: v for k, v in sent.items() if v is not None or k == "expires_on"}
    certification = services.certification_update(
        by=request.auth, certification=certification, **fields
    )
    return certification_out(selectors.certification_for(request.auth, certification.pk))
