"""Reads of accreditations, complaints and marks on record for their pages and API (beside
``selectors``, which holds Partner program I's lists). They own the ``select_related`` /
``prefetch_related`` of each list, so a page's query count does not depend on its rows.

One filter function per list (``filter_accreditations``, ``filter_complaints``), shared by the
page and the API, so a filter finds the same rows on both. ``params`` are named as in the page's
query string; each returns the filtered queryset and the filters that applied, as text.

Who sees what: managers and admins everything; agents and client users nothing (the pages and
the API refuse them first; ``for_user`` is empty for clients too: no ``tenant_path``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from partnerdesk.core.converters import parse_id
from partnerdesk.core.tenancy import get_object_for_user_or_404

from .models import (
    HELD_STATES,
    Accreditation,
    AccreditationEvaluation,
    AccreditationState,
    AccreditationType,
    Complaint,
    ComplaintSource,
    ComplaintStatus,
    ComplaintStep,
    ComplaintStepKind,
    MarkOnRecord,
    WaitingOn,
)
from .selectors import sees_everything

Params = Mapping[str, Any]


def _text(params: Params, name: str, limit: int = 200) -> str:
    return str(params.get(name) or "").strip()[:limit]


# ---------------------------------------------------------------- the catalogue


def accreditation_types(*, offered_only: bool = False) -> QuerySet[AccreditationType]:
    qs = AccreditationType.objects.select_related("minimum_tier").order_by("order", "name", "pk")
    return qs.filter(is_active=True) if offered_only else qs


def accreditation_type(pk: int) -> AccreditationType:
    return get_object_or_404(accreditation_types(), pk=pk)


# ---------------------------------------------------------------- accreditations


def accreditations_for(user) -> QuerySet[Accreditation]:
    """Every accreditation for managers and admins, none for anyone else."""
    qs = Accreditation.objects.for_user(user).select_related(
        "accreditation_type", "accreditation_type__minimum_tier"
    )
    return qs if sees_everything(user) else qs.none()


def filter_accreditations(
    qs: QuerySet[Accreditation], params: Params
) -> tuple[QuerySet[Accreditation], dict[str, str]]:
    """By state (``live``: applying, active, at risk or under board review) and type."""
    active: dict[str, str] = {}
    state = _text(params, "state")
    if state in AccreditationState.values:
        active["state"] = state
        qs = qs.filter(state=state)
    elif state == "live":
        active["state"] = state
        qs = qs.filter(
            state__in=[
                AccreditationState.APPLYING,
                AccreditationState.ACTIVE,
                AccreditationState.AT_RISK,
                AccreditationState.UNDER_BOARD_REVIEW,
            ]
        )
    kind = parse_id(params.get("type"))
    if kind is not None:
        active["type"] = str(kind)
        qs = qs.filter(accreditation_type_id=kind)
    return qs.order_by("accreditation_type__order", "accreditation_type__name", "-id"), active


def accreditation_for(user, pk: int) -> Accreditation:
    """One accreditation for its page or the API (404 for anyone else, like a missing one)."""
    return get_object_for_user_or_404(accreditations_for(user), user, pk=pk)


def evaluations_of(accreditation: Accreditation) -> QuerySet[AccreditationEvaluation]:
    """Newest due day first, with the figures each used."""
    return AccreditationEvaluation.objects.filter(accreditation=accreditation).order_by(
        "-due_on", "-id"
    )


# ---------------------------------------------------------------- complaints


def complaints_for(user) -> QuerySet[Complaint]:
    """Every complaint for managers and admins, none for anyone else."""
    qs = Complaint.objects.for_user(user).select_related("company", "opened_by")
    return qs if sees_everything(user) else qs.none()


def filter_complaints(
    qs: QuerySet[Complaint], params: Params
) -> tuple[QuerySet[Complaint], dict[str, str]]:
    """By status, current step, source, client company, serious infringement, whose move it
    is (``waiting_on``), and a search of the summary (``q``)."""
    active: dict[str, str] = {}
    for name, choices in (
        ("status", ComplaintStatus),
        ("step", ComplaintStepKind),
        ("source", ComplaintSource),
    ):
        value = _text(params, name)
        if value in choices.values:
            active[name] = value
            qs = qs.filter(**{name: value})
    company = parse_id(params.get("company"))
    if company is not None:
        active["company"] = str(company)
        qs = qs.filter(company_id=company)
    serious = _text(params, "serious")
    if serious in ("true", "false"):
        active["serious"] = serious
        qs = qs.filter(serious_infringement=serious == "true")
    waiting = _text(params, "waiting_on")
    if waiting in (*WaitingOn.values, "nobody"):
        active["waiting_on"] = waiting
        qs = qs.filter(waiting_on="" if waiting == "nobody" else waiting)
    q = _text(params, "q")
    if q:
        active["q"] = q
        qs = qs.filter(summary__icontains=q)
    return qs.order_by("-opened_on", "-id"), active


def complaint_for(user, pk: int) -> Complaint:
    return get_object_for_user_or_404(complaints_for(user), user, pk=pk)


def steps_of(complaint: Complaint) -> QuerySet[ComplaintStep]:
    """The steps a complaint went through, in order, with their owners and marks."""
    return (
        ComplaintStep.objects.filter(complaint=complaint)
        .select_related("owner", "mark")
        .order_by("started_on", "id")
    )


def step_of(complaint: Complaint, pk: Any) -> ComplaintStep:
    return get_object_or_404(steps_of(complaint), pk=parse_id(pk) or 0)


# ---------------------------------------------------------------- marks on record


def marks() -> QuerySet[MarkOnRecord]:
    """The marks on the agency's record, newest decision first, with their complaints."""
    return MarkOnRecord.objects.select_related("step", "step__complaint").order_by(
        "-decided_on", "-id"
    )


def in_grace_period() -> QuerySet[Accreditation]:
    """Held accreditations whose grace period after a tier drop is running, soonest end
    first (the standing page names each with its end date)."""
    return (
        Accreditation.objects.filter(grace_period_ends_on__isnull=False, state__in=HELD_STATES)
        .select_related("accreditation_type")
        .order_by("grace_period_ends_on", "pk")
    )
