"""Tickets as the customer sees them (the client portal's pages and the client API).

What a client user may read of a ticket of their company: its number, subject, the stage as
the customer reads it (``Stage.customer_status``), dates, the promise of the next answer, and
the public conversation: agents' public replies and the customer's messages with their files.
Never an internal note, a property (secret or not), the description (internal: automations
write what a stage still needs there) or another company's ticket: every read goes through
``Ticket.objects.for_user`` / ``get_object_for_user_or_404``, so a foreign ticket is the same
404 as a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext as _

from partnerdesk.core.tenancy import get_object_for_user_or_404

from .models import Ticket, TicketAttachment, TicketNote

STATUSES = ("open", "closed", "all")
# What the list and the detail read of a ticket: nothing else of it reaches the page.
FIELDS = (
    "id",
    "name",
    "company_id",
    "pipeline_id",
    "stage_id",
    "stage__name",
    "stage__kind",
    "stage__waiting_on_customer",
    "stage__customer_label",
    "created_at",
    "stage_entered_at",
    "closed_at",
    "first_response_at",
    "first_response_due_at",
    "resolution_due_at",
    "sla_paused_at",
    "follow_up_of_id",
)


def _last_public_note():
    return Subquery(
        TicketNote.objects.filter(ticket=OuterRef("pk"), is_public=True)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )


def customer_tickets(user, status: str = "open") -> QuerySet[Ticket]:
    """The tickets of the user's company (all of them for staff), newest first, with the time
    of their latest public message (``last_public_at``)."""
    qs = (
        Ticket.objects.for_user(user)
        .select_related("stage")
        .only(*FIELDS)
        .annotate(last_public_at=_last_public_note())
    )
    if status == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif status == "closed":
        qs = qs.filter(closed_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def customer_ticket(user, pk) -> Ticket:
    """One ticket of the user's company: the same 404 for another company's and a missing one."""
    qs = (
        Ticket.objects.select_related("stage")
        .only(*FIELDS)
        .annotate(last_public_at=_last_public_note())
    )
    return get_object_for_user_or_404(qs, user, pk=pk)


def public_conversation(ticket: Ticket) -> QuerySet[TicketNote]:
    """The public part of the conversation, oldest first: agents' public replies and the
    customer's messages, with their authors and files. Internal notes are never read."""
    files = Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at", "id"))
    return (
        TicketNote.objects.filter(ticket_id=ticket.pk, is_public=True)
        .select_related("author", "author_contact")
        .prefetch_related(files)
        .order_by("created_at", "id")
    )


def public_attachment(user, pk) -> TicketAttachment:
    """A file of a public message of a ticket the user may see (404 otherwise)."""
    qs = TicketAttachment.objects.filter(note__is_public=True).select_related("ticket")
    return get_object_for_user_or_404(qs, user, pk=pk)


def last_update(ticket: Ticket) -> dt.datetime:
    """The latest of: opened, entered its stage, its latest public message."""
    times = [ticket.created_at, ticket.stage_entered_at, getattr(ticket, "last_public_at", None)]
    return max(t for t in times if t is not None)


def author_name(note: TicketNote, agency: str) -> str:
    """Who wrote a public message, as the customer reads it."""
    if note.from_customer:
        if note.author_contact is not None and str(note.author_contact).strip():
            return str(note.author_contact)
        if note.author is not None:
            return note.author.display_name
        return note.email_from or _("You")
    if note.author is not None:
        return f"{note.author.display_name} ({agency})"
    return agency


@dataclass(frozen=True)
class Promise:
    """When we said the customer hears from us next: ``kind`` "answer" (the first response is
    due) or "resolve" (the resolution is due); ``late`` once that time has passed."""

    kind: str
    due: dt.datetime
    late: bool


def promise(ticket: Ticket, now: dt.datetime) -> Promise | None:
    """The SLA promise a customer may read: none once closed, or while we wait on them."""
    if ticket.closed_at is not None or ticket.sla_paused_at is not None:
        return None
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        due = ticket.first_response_due_at
        return Promise("answer", due, due < now)
    if ticket.resolution_due_at is not None:
        due = ticket.resolution_due_at
        return Promise("resolve", due, due < now)
    return None
