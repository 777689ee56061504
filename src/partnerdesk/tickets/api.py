"""JSON API for tickets: the same filters, services and SLA states as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import STAFF
from partnerdesk.core import clock
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    UserRef,
    lookup,
    page_counts,
    require_staff,
    staff_user,
)
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm.models import Company, Contact, Deal, Pipeline, Stage
from partnerdesk.crm.schemas import CompanyRef, PipelineRef, StageRef, property_payload

from . import selectors, services, sla_state
from .models import Priority, Ticket, Via

router = Router(tags=["tickets"])


class SlaTargetOut(Schema):
    due_at: dt.datetime | None
    state: str
    met: bool | None


class TicketOut(Schema):
    id: int
    name: str
    description: str
    pipeline: PipelineRef
    stage: StageRef
    priority: str
    owner: UserRef | None
    company: CompanyRef | None
    deal_id: int | None = Field(description="The deal the ticket was opened from")
    deal_ids: list[int] = Field(
        description="Every deal the ticket is associated with, the one it was opened from first"
    )
    contact_id: int | None
    source: str
    properties: dict[str, Any]
    secret_properties_set: list[str]
    secret_properties: dict[str, str | None]
    sla_state: str
    sla_policy_id: int | None
    first_response_at: dt.datetime | None
    first_response: SlaTargetOut
    resolution: SlaTargetOut
    sla_paused: bool
    has_delay_cause: bool
    stage_entered_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def deal_ids(ticket: Ticket) -> list[int]:
    """The ticket's deals (prefetched for a list), the one it was opened from first."""
    others = sorted(d.pk for d in ticket.deals.all() if d.pk != ticket.deal_id)
    return [ticket.deal_id, *others] if ticket.deal_id else others


def ticket_out(
    ticket: Ticket, user, now: dt.datetime | None = None, *, deals: list[int] | None = None
) -> dict:
    """The API's view of ``ticket``; ``deals``: its deal ids when the caller knows them."""
    now = now or clock.now()
    data = {
        f: getattr(ticket, f)
        for f in (
            "id",
            "name",
            "description",
            "pipeline",
            "stage",
            "priority",
            "owner",
            "company",
            "deal_id",
            "contact_id",
            "source",
            "sla_policy_id",
            "first_response_at",
            "has_delay_cause",
            "stage_entered_at",
            "closed_at",
            "created_at",
            "updated_at",
        )
    }
    for target in sla_state.TARGETS:
        data[target] = {
            "due_at": getattr(ticket, f"{target}_due_at"),
            "state": sla_state.target_state(ticket, target, now),
            "met": getattr(ticket, f"{target}_met"),
        }
    data["sla_state"] = sla_state.ticket_state(ticket, now)
    data["sla_paused"] = ticket.sla_paused_at is not None
    data["deal_ids"] = deal_ids(ticket) if deals is None else deals
    return {**data, **property_payload(ticket, user)}


class TicketPage(Page):
    items: list[TicketOut]


class TicketFilters(Schema):
    q: str | None = Field(None, max_length=200)
    pipeline: int | None = OptionalId
    stage: int | None = OptionalId
    owner: int | None = OptionalId
    team: int | None = OptionalId
    company: int | None = OptionalId
    deal: int | None = OptionalId
    priority: Annotated[str, OneOf(Priority)] | None = None
    sla: Literal["none", "on_track", "due_soon", "breached", "paused", "met"] | None = None
    status: Literal["open", "closed"] | None = None
    breached_without_cause: bool = False


class TicketIn(Strict):
    pipeline_id: int = Field(..., ge=1, le=MAX_ID)
    stage_id: int | None = OptionalId
    name: str = Field("", max_length=255)
    description: str = Field("", max_length=20_000)
    priority: Annotated[str, OneOf(Priority)] = "medium"
    owner_id: int | None = OptionalId
    company_id: int | None = OptionalId
    deal_id: int | None = OptionalId
    contact_id: int | None = OptionalId
    copy_from_deal: bool = Field(
        True, description="Copy the deal's matching properties and associations"
    )
    properties: dict[str, Any] = {}


class TicketPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=20_000)
    priority: Annotated[str, OneOf(Priority)] | None = None
    owner_id: int | None = OptionalId
    company_id: int | None = OptionalId
    contact_id: int | None = OptionalId
    properties: dict[str, Any] | None = None


class TicketMove(Strict):
    stage_id: int = Field(..., ge=1, le=MAX_ID)
    properties: dict[str, Any] = Field(
        {}, description="Values to set in the same step (e.g. the stage's required ones)"
    )


class TicketNoteIn(Strict):
    body: str = Field(..., min_length=1, max_length=20_000)
    is_public: bool = Field(
        False, description="A reply to the customer: emailed to the contact (and cc_contact_ids)"
    )
    is_delay_cause: bool = False
    cc_contact_ids: list[int] = Field(
        [],
        max_length=20,
        description="Contacts of the ticket's company a public reply is copied to",
    )


class NoteOut(Schema):
    id: int
    body: str
    is_public: bool
    is_delay_cause: bool
    author: UserRef | None
    from_customer: bool = Field(..., description="A message from the customer")
    author_contact_id: int | None = Field(..., description="The contact who wrote it")
    via: str = Field(..., description="web, email, portal or api")
    cc: list[str] = Field(..., description="Addresses a public reply was copied to")
    created_at: dt.datetime


def _tickets(request):
    return selectors.tickets_for(request.auth).select_related("sla_policy")


def _ticket(request, ticket_id: int) -> Ticket:
    require_staff(request)
    return get_object_for_user_or_404(_tickets(request), request.auth, pk=ticket_id)


@router.get(
    "/tickets",
    auth=STAFF,
    response=TicketPage,
    summary="List tickets (filters as on the ticket list page)",
)
def list_tickets(request, filters: Query[TicketFilters], page: Query[PageParams]):
    require_staff(request)
    now = clock.now()
    params = {k: v for k, v in filters.model_dump().items() if v not in (None, False)}
    qs, active = selectors.filter_tickets(_tickets(request), params, now=now)
    qs = qs.order_by("-created_at", "-id")
    deals = Prefetch("deals", queryset=Deal.objects.only("id"))  # deal_ids: one query a page
    items = list(qs.prefetch_related(deals)[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs, selectors.list_count(request.auth, active, qs)),
        "limit": page.limit,
        "offset": page.offset,
        "items": [ticket_out(t, request.auth, now) for t in items],
    }


@router.post(
    "/tickets",
    auth=STAFF,
    response={201: TicketOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def create_ticket(request, payload: TicketIn):
    require_staff(request)
    # The stage with its pipeline in one query (the pipeline alone if it is another one, which
    # the service then refuses).
    stage = lookup(Stage, payload.stage_id, "stage", related=["pipeline"])
    if stage is not None and stage.pipeline_id == payload.pipeline_id:
        pipeline = stage.pipeline
    else:
        pipeline = lookup(Pipeline, payload.pipeline_id, "pipeline")
    deal = lookup(Deal, payload.deal_id, "deal")
    common = {
        "by": request.auth,
        "pipeline": pipeline,
        "stage": stage,
        "name": payload.name,
        "description": payload.description,
        "priority": payload.priority,
        "owner": staff_user(payload.owner_id),
        "source": "api",
    }
    contact = lookup(Contact, payload.contact_id, "contact")
    if deal is not None and payload.copy_from_deal:
        extra = {"contact": contact} if contact else {}
        ticket = services.ticket_create_from_deal(
            deal=deal, properties=payload.properties, **common, **extra
        )
    else:
        ticket = services.ticket_create(
            company=lookup(Company, payload.company_id, "company"),
            deal=deal,
            contact=contact,
            properties=payload.properties,
            **common,
        )
    # A ticket just opened is linked to the deal it was opened from, if any, and no other.
    opened_from = [ticket.deal_id] if ticket.deal_id else []
    return Status(201, ticket_out(ticket, request.auth, deals=opened_from))


@router.get("/tickets/{ticket_id}", auth=STAFF, response={200: TicketOut, 404: Problem})
def get_ticket(request, ticket_id: int = Id):
    return ticket_out(_ticket(request, ticket_id), request.auth)


@router.patch(
    "/tickets/{ticket_id}",
    auth=STAFF,
    response={200: TicketOut, 403: Problem, 404: Problem, 422: Problem},
)
def update_ticket(request, payload: TicketPatch, ticket_id: int = Id):
    ticket = _ticket(request, ticket_id)
    data = payload.model_dump(exclude_unset=True)
    fields = {k: data[k] for k in ("name", "description", "priority") if data.get(k) is not None}
    if "owner_id" in data:
        fields["owner"] = staff_user(payload.owner_id)
    if "company_id" in data:
        fields["company"] = lookup(Company, payload.company_id, "company")
    if "contact_id" in data:
        fields["contact"] = lookup(Contact, payload.contact_id, "contact")
    services.ticket_update(ticket=ticket, by=request.auth, properties=payload.properties, **fields)
    return ticket_out(_tickets(request).get(pk=ticket.pk), request.auth)


@router.post(
    "/tickets/{ticket_id}/move",
    auth=STAFF,
    response={200: TicketOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Move a ticket (required properties checked; SLA clocks pause and resume)",
)
def move_ticket(request, payload: TicketMove, ticket_id: int = Id):

    ticket = _ticket(request, ticket_id)
    stage = lookup(Stage, payload.stage_id, "stage")
    services.ticket_move(ticket=ticket, stage=stage, by=request.auth, properties=payload.properties)
    return ticket_out(_tickets(request).get(pk=ticket.pk), request.auth)


@router.get("/tickets/{ticket_id}/notes", auth=STAFF, response={200: list[NoteOut], 404: Problem})
def list_notes(request, ticket_id: int = Id):
    ticket = _ticket(request, ticket_id)
    return list(ticket.notes.select_related("author")[:500])


@router.post(
    "/tickets/{ticket_id}/notes",
    auth=STAFF,
    response={201: NoteOut, 403: Problem, 404: Problem, 422: Problem},
)
def add_note(request, payload: TicketNoteIn, ticket_id: int = Id):
    ticket = _ticket(request, ticket_id)
    note = services.ticket_note_add(
        ticket=ticket,
        by=request.auth,
        body=payload.body,
        is_public=payload.is_public,
        is_delay_cause=payload.is_delay_cause,
        cc=[lookup(Contact, pk, "cc_contact") for pk in dict.fromkeys(payload.cc_contact_ids)],
        via=Via.API,
    )
    return Status(201, get_object_or_404(type(note).objects.select_related("author"), pk=note.pk))
