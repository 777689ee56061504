"""Ticket emails to customers: public replies in full (with their attachments), and the
acknowledgement of a request received by email.

Each email goes to one contact, in the contact's language, with a personal signed reply
address (``reply+k-…@PARTNERDESK_REPLY_DOMAIN``, notifications.inbound.tokens) and the
threading headers mail programs group conversations by: its own Message-ID, In-Reply-To the
conversation's latest message, References its first and latest ones. The Message-IDs are kept
(``TicketEmail``, and ``TicketNote.email_message_id`` for what customers sent), so a reply whose
reply address was lost still finds its ticket (tickets.inbound).

Exactly once: a ``TicketEmail`` row per (kind, note, address) is inserted before the email
leaves; a retried task skips the addresses already claimed, and a failed send deletes its
claim so the retry (with backoff) sends it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task as background_task
from django.template.loader import render_to_string
from django.utils import translation

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.queue import enqueue_later
from partnerdesk.crm.models import Contact
from partnerdesk.notifications.delivery import backoff
from partnerdesk.notifications.inbound import tokens

from .models import (
    CustomerNotice,
    EmailKind,
    NoticeEvent,
    Ticket,
    TicketAttachment,
    TicketEmail,
    TicketNote,
)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# How many earlier Message-IDs References names (the first and the latest ones).
MAX_REFERENCES = 10

REPLY_KIND = "ticket"
REPLY_PREFIX = "k"
SALT = "partnerdesk.tickets.reply"
tokens.register_token_kind(REPLY_KIND, prefix=REPLY_PREFIX, salt=SALT)


def reply_address(ticket_id: int, contact_id: int) -> str:
    return tokens.reply_address(REPLY_KIND, ticket_id, contact_id, now=clock.now())


def contact_language(contact: Contact) -> str:
    """A contact's language: the one set on the contact, else that of the active user with the
    same email (a client who signs in to the portal), else the agency's default."""
    if contact.language:
        return contact.language
    if contact.email:
        user = (
            User.objects.filter(email__iexact=contact.email, is_active=True)
            .only("language")
            .first()
        )
        if user is not None and user.language:
            return user.language
    return settings.LANGUAGE_CODE


def subject_for(ticket: Ticket) -> str:
    return f"[{settings.PARTNERDESK['AGENCY_NAME']} #{ticket.pk}] {ticket.name}"


def new_message_id(ticket_id: int) -> str:
    """``<ticket-<id>.<16 random hex>@PARTNERDESK_REPLY_DOMAIN>``: unguessable (a thread is
    found by it), and short enough that its header line is not folded."""
    return f"<ticket-{ticket_id}.{secrets.token_hex(8)}@{settings.PARTNERDESK_REPLY_DOMAIN}>"


def conversation_ids(ticket_id: int) -> list[str]:
    """The ticket's Message-IDs, oldest first: the emails customers sent and those we sent."""
    received = TicketNote.objects.filter(
        ticket_id=ticket_id, email_message_id__isnull=False
    ).values_list("created_at", "email_message_id")
    sent = TicketEmail.objects.filter(ticket_id=ticket_id, sent_at__isnull=False).values_list(
        "created_at", "message_id"
    )
    return [mid for _at, mid in sorted([*received, *sent]) if mid]


def thread_headers(ticket_id: int) -> dict[str, str]:
    ids = list(dict.fromkeys(conversation_ids(ticket_id)))
    if not ids:
        return {}
    references = list(dict.fromkeys([ids[0], *ids[-(MAX_REFERENCES - 1) :]]))
    return {"In-Reply-To": ids[-1], "References": " ".join(references)}


def send_ticket_email(
    *,
    ticket: Ticket,
    contact: Contact,
    kind: str,
    subject: str,
    text: str,
    html: str,
    note: TicketNote | None = None,
    attachments: Sequence[TicketAttachment] = (),
    cc_display: Sequence[str] = (),
) -> TicketEmail | None:
    """Send one email about ``ticket`` to ``contact`` (threaded, with the contact's reply
    address); None when it was already sent (claimed by an earlier attempt). A failed send
    raises, leaving no claim behind."""
    address = contact.email.strip().lower()
    headers = thread_headers(ticket.pk)
    if kind != EmailKind.REPLY:
        # Acknowledgements and status emails are machine-made (RFC 3834): a customer's own
        # auto-responder stays quiet. A reply is a person's answer and is not marked, so a
        # customer's help desk or filters never set it aside as automatic mail.
        headers["Auto-Submitted"] = "auto-generated"
    try:
        with transaction.atomic():
            sent = TicketEmail.objects.create(
                ticket=ticket,
                note=note,
                kind=kind,
                contact=contact,
                address=address,
                message_id=new_message_id(ticket.pk),
            )
    except IntegrityError:
        return None
    headers["Message-ID"] = sent.message_id
    if cc_display:
        headers["Cc"] = ", ".join(cc_display)
    name = " ".join(filter(None, [contact.first_name, contact.last_name]))
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [formataddr((name, address)) if name else address],
        reply_to=[reply_address(ticket.pk, contact.pk)],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        try:
            with attachment.file.open("rb") as handle:
                message.attach(attachment.name, handle.read(), attachment.content_type)
        except OSError:
            log.warning("ticket %s: attachment %s is missing", ticket.pk, attachment.pk)
    try:
        message.send()
    except Exception:
        TicketEmail.objects.filter(pk=sent.pk).delete()
        raise
    TicketEmail.objects.filter(pk=sent.pk).update(sent_at=clock.now())
    return sent


# ---------------------------------------------------------------- public replies


def reply_recipients(note: TicketNote) -> list[Contact]:
    """The ticket's contact, then the contacts of its company the reply was copied to."""
    ticket = note.ticket
    found: list[Contact] = []
    if ticket.contact is not None and ticket.contact.email:
        found.append(ticket.contact)
    if note.cc and ticket.company_id:
        match = Q()
        for address in note.cc:
            match |= Q(email__iexact=address)
        copied = {
            c.email.lower(): c
            for c in Contact.objects.filter(match, company_id=ticket.company_id).order_by("-pk")
        }
        found += [copied[a] for a in note.cc if a in copied]
    unique: dict[str, Contact] = {}
    for contact in found:
        unique.setdefault(contact.email.strip().lower(), contact)
    return list(unique.values())


def send_note_emails(note_pk: int, attempt: int = 0) -> int:
    """Email a public reply to each recipient once; returns how many were sent now."""
    note = (
        TicketNote.objects.select_related("ticket__contact", "author")
        .filter(pk=note_pk, is_public=True, from_customer=False)
        .first()
    )
    if note is None:
        return 0
    ticket = note.ticket
    recipients = reply_recipients(note)
    attachments = list(note.attachments.all())
    addresses = [c.email.strip().lower() for c in recipients]
    agency = settings.PARTNERDESK["AGENCY_NAME"]
    sent, failed = 0, False
    for contact in recipients:
        address = contact.email.strip().lower()
        with translation.override(contact_language(contact)):
            context = {
                "note": note,
                "ticket": ticket,
                "contact": contact,
                "author": note.author.display_name if note.author else agency,
                "agency_name": agency,
                "attachments": [a.name for a in attachments],
            }
            text = render_to_string("tickets/email/reply.txt", context)
            html = render_to_string("tickets/email/reply.html", context)
        try:
            done = send_ticket_email(
                ticket=ticket,
                contact=contact,
                kind=EmailKind.REPLY,
                subject=subject_for(ticket),
                text=text,
                html=html,
                note=note,
                attachments=attachments,
                cc_display=[a for a in addresses if a != address],
            )
        except Exception:
            failed = True
            log.warning("ticket note %s: email to %s failed", note_pk, address, exc_info=True)
            continue
        sent += done is not None
    if failed and attempt < MAX_ATTEMPTS:
        enqueue_later(
            send_note_emails_task,
            clock.now() + backoff(attempt + 1),
            note_id=note_pk,
            attempt=attempt + 1,
        )
    return sent


@background_task
def send_note_emails_task(note_id: int, attempt: int = 0) -> int:
    """The background task of ``send_note_emails``: enqueued after a public reply commits, and
    again with backoff while a send fails."""
    return send_note_emails(note_id, attempt)


# ---------------------------------------------------------------- a request received by email


def send_received_email(note_pk: int, attempt: int = 0) -> int:
    """Acknowledge a request received by email: the ticket's number and the reply address.
    Sent once (claimed like a reply), never to automatic mail (the pipeline dropped it)."""
    note = (
        TicketNote.objects.select_related("ticket", "author_contact")
        .filter(pk=note_pk, from_customer=True)
        .first()
    )
    if note is None or note.author_contact is None or not note.author_contact.email:
        return 0
    ticket, contact = note.ticket, note.author_contact
    if CustomerNotice.objects.filter(
        pipeline_id=ticket.pipeline_id, event=NoticeEvent.OPENED, enabled=True
    ).exists():
        return 0  # the pipeline's own "opened" notice acknowledges it (notice_mail)
    with translation.override(contact_language(contact)):
        context = {
            "ticket": ticket,
            "contact": contact,
            "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
        }
        text = render_to_string("tickets/email/received.txt", context)
        html = render_to_string("tickets/email/received.html", context)
    try:
        done = send_ticket_email(
            ticket=ticket,
            contact=contact,
            kind=EmailKind.RECEIVED,
            subject=subject_for(ticket),
            text=text,
            html=html,
            note=note,
        )
    except Exception:
        log.warning("ticket %s: acknowledgement failed", ticket.pk, exc_info=True)
        if attempt < MAX_ATTEMPTS:
            enqueue_later(
                send_received_email_task,
                clock.now() + backoff(attempt + 1),
                note_id=note_pk,
                attempt=attempt + 1,
            )
        return 0
    return int(done is not None)


@background_task
def send_received_email_task(note_id: int, attempt: int = 0) -> int:
    return send_received_email(note_id, attempt)
