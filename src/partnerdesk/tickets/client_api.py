"""JSON API for tickets as the customer sees them (the client portal's pages, see
``customer_view``): a client user reads their company's tickets and public conversation and
writes to it; staff may read the same view of any ticket. The staff's own ticket resources
(``/api/tickets``, notes) stay staff-only (404 for clients).

- ``GET /api/portal/tickets``, ``GET /api/portal/tickets/{id}``: number, subject, the stage as
  the customer reads it, dates and the promise of our next answer; no property, no note.
- ``GET /api/tickets/{id}/messages``: the public conversation, oldest first (never an internal
  note).
- ``POST /api/tickets/{id}/messages``: a client's message (staff answer with the notes API).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from partnerdesk.accounts.api_auth import CLIENT
from partnerdesk.core import clock
from partnerdesk.core.api import Id, Page, PageParams, Problem, Strict, page_counts
from partnerdesk.core.files import validate_upload

from . import conversation, customer_view
from .models import Ticket, TicketNote, Via

router = Router(tags=["tickets (client portal)"])


class TicketPromiseOut(Schema):
    kind: Literal["answer", "resolve"] = Field(
        description="answer: our first answer is due; resolve: the resolution is due"
    )
    due_at: dt.datetime
    late: bool


class CustomerTicketOut(Schema):
    id: int = Field(description="The ticket's number")
    subject: str
    status: str = Field(description="The stage as the customer reads it")
    state: Literal["open", "waiting_on_you", "resolved"]
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="Opened, stage entered or latest public message")
    closed_at: dt.datetime | None
    promise: TicketPromiseOut | None = Field(description="When the customer hears from us next")
    follow_up_of_id: int | None


class CustomerTicketPage(Page):
    items: list[CustomerTicketOut]


class CustomerTicketFilters(Schema):
    status: Literal["open", "closed", "all"] = "all"


class TicketFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class TicketMessageOut(Schema):
    id: int
    ticket_id: int = Field(description="Where the message went (a follow-up ticket may differ)")
    body: str
    from_customer: bool
    author: str
    via: str
    created_at: dt.datetime
    attachments: list[TicketFileOut]


class TicketMessageIn(Strict):
    body: str = Field(..., min_length=1, max_length=conversation.MAX_BODY)


def customer_ticket_out(ticket: Ticket, now: dt.datetime) -> dict:
    stage = ticket.stage
    promise = customer_view.promise(ticket, now)
    return {
        "id": ticket.pk,
        "subject": ticket.name,
        "status": stage.customer_status,
        "state": "resolved"
        if stage.is_closed
        else ("waiting_on_you" if stage.waiting_on_customer else "open"),
        "created_at": ticket.created_at,
        "updated_at": customer_view.last_update(ticket),
        "closed_at": ticket.closed_at,
        "promise": None
        if promise is None
        else {"kind": promise.kind, "due_at": promise.due, "late": promise.late},
        "follow_up_of_id": ticket.follow_up_of_id,
    }


def message_out(note: TicketNote) -> dict:
    return {
        "id": note.pk,
        "ticket_id": note.ticket_id,
        "body": note.body,
        "from_customer": note.from_customer,
        "author": customer_view.author_name(note, str(settings.PARTNERDESK["AGENCY_NAME"])),
        "via": note.via,
        "created_at": note.created_at,
        "attachments": [
            {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size}
            for a in note.attachments.all()
        ],
    }


@router.get(
    "/portal/tickets",
    response=CustomerTicketPage,
    summary="List tickets as the customer sees them (client users: their company's)",
)
def list_customer_tickets(request, filters: Query[CustomerTicketFilters], page: Query[PageParams]):
    qs = customer_view.customer_tickets(request.auth, filters.status)
    items = list(qs[page.offset : page.offset + page.limit])
    now = clock.now()
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [customer_ticket_out(t, now) for t in items],
    }


@router.get(
    "/portal/tickets/{ticket_id}",
    response={200: CustomerTicketOut, 404: Problem},
    summary="A ticket as the customer sees it",
)
def get_customer_ticket(request, ticket_id: int = Id):
    ticket = customer_view.customer_ticket(request.auth, ticket_id)
    return customer_ticket_out(ticket, clock.now())


@router.get(
    "/tickets/{ticket_id}/messages",
    response={200: list[TicketMessageOut], 404: Problem},
    summary="A ticket's public conversation (no internal note), oldest first",
)
def list_ticket_messages(request, ticket_id: int = Id):
    ticket = customer_view.customer_ticket(request.auth, ticket_id)
    return [message_out(n) for n in customer_view.public_conversation(ticket)[:500]]


@router.post(
    "/tickets/{ticket_id}/messages",
    auth=CLIENT,
    response={201: TicketMessageOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Write on a ticket as the client (a resolved ticket reopens, or is followed up)",
)
def post_ticket_message(request, payload: TicketMessageIn, ticket_id: int = Id):
    ticket = customer_view.customer_ticket(request.auth, ticket_id)
    note = conversation.ticket_customer_message(
        ticket=ticket, body=payload.body, user=request.auth, via=Via.API
    )
    return Status(201, message_out(customer_view.public_conversation(note.ticket).get(pk=note.pk)))


@router.post(
    "/tickets/{ticket_id}/attachments",
    auth=CLIENT,
    response={201: TicketMessageOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Attach a file to a ticket as the client (posted as a message naming the file)",
)
def post_ticket_attachment(request, file: File[UploadedFile], ticket_id: int = Id):
    ticket = customer_view.customer_ticket(request.auth, ticket_id)
    # Refused with its reason here; an emailed file outside the limits is named in the text.
    validate_upload(file, field="file")
    note = conversation.ticket_customer_message(
        ticket=ticket, body=file.name or "—", user=request.auth, files=[file], via=Via.API
    )
    return Status(201, message_out(customer_view.public_conversation(note.ticket).get(pk=note.pk)))
