"""Tickets by email: the tickets' handlers in the shared inbound pipeline
(``notifications.inbound``), which has already dropped automatic mail (out-of-office replies,
bounces, bulk mail, no-reply senders: nothing posted, nothing answered) and checked the
signature of any reply address.

* ``handle_reply`` — a reply to ``reply+k-…@``: posted on the token's ticket as the token's
  contact, when the sender is that contact and the address is not older than
  ``PARTNERDESK_REPLY_MAX_AGE_DAYS``; else a bounce with the reason.
* ``find_thread`` — no reply address, but In-Reply-To / References name a message of a
  ticket's conversation (``TicketEmail.message_id``, ``TicketNote.email_message_id``): posted
  on that ticket when the sender belongs to it (its contact, an address we wrote to about it,
  a contact of its company, or an address at its company's domain); never a second ticket.
* ``find_mailbox`` — mail to an active ``SupportMailbox`` opens a ticket in its pipeline and
  entry stage for the sender's contact (an unknown sender becomes a contact under the company
  of their domain, or the email is held in the unknown-sender queue, as the mailbox says);
  at most ``PARTNERDESK_MAILBOX_RATE_LIMIT`` tickets per sender and hour (more is dropped,
  unanswered: a mail loop or a flood).

The same Message-ID is posted once, whichever way it came. A message to a closed ticket
reopens it or opens a follow-up (tickets.conversation).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.crm.models import Contact
from partnerdesk.notifications import inbound as pipeline
from partnerdesk.notifications.inbound import Inbound, Result, Token

from . import conversation, mail
from .models import (
    HeldEmail,
    SupportMailbox,
    Ticket,
    TicketEmail,
    TicketNote,
    UnknownSenders,
    Via,
)

log = logging.getLogger(__name__)

REASONS = {
    **pipeline.REASONS,
    "expired": _(
        "The reply address has expired. Please reply to our latest email about this request."
    ),
    "unknown": _("The request or the person this reply address was made for no longer exists."),
    "sender": _("Replies to this address are accepted only from the person it was sent to."),
    "left": _(
        "You are no longer a contact of the company this request belongs to, so your reply "
        "was not added to it."
    ),
    "thread_sender": _(
        "Your email answers one of our conversations, but it came from an address we did not "
        "write to. Please reply from the address our email was sent to."
    ),
    "empty": _("Your reply had no text we could post (after removing the quoted email)."),
    "refused": _("Your reply could not be posted: %(why)s"),
}


def _posted_result(note: TicketNote, asked: Ticket) -> Result:
    details = {}
    if note.ticket_id != asked.pk:
        details["follow_up_of"] = asked.pk
    elif asked.closed_at is not None:
        details["reopened"] = True
    return Result("posted", message_id=note.pk, target=f"ticket:{note.ticket_id}", details=details)


def _already_posted(inbound: Inbound) -> Result | None:
    mid = inbound.message_id
    if not mid:
        return None
    found = TicketNote.objects.filter(email_message_id=mid).values_list("ticket_id", flat=True)
    for ticket_id in found:
        return Result("duplicate", target=f"ticket:{ticket_id}")
    if HeldEmail.objects.filter(message_id=mid).exists():
        return Result("duplicate", reason="held")
    return None


def _bounce(inbound: Inbound, reason: str, *, contact=None, ticket=None, **params) -> Result:
    language = (
        mail.contact_language(contact)
        if contact is not None
        else pipeline.language_of(inbound.sender)
    )
    mailbox = (
        SupportMailbox.objects.filter(active=True, pipeline_id=ticket.pipeline_id)
        .values_list("address", flat=True)
        .first()
        if ticket is not None
        else None
    )
    with translation.override(language):
        text = str(REASONS[reason]) % params if params else str(REASONS[reason])
    return inbound.bounce(
        reason,
        text,
        language=language,
        template="tickets/email/bounce.txt",
        context={"mailbox": mailbox or ""},
    )


def _body(inbound: Inbound, files) -> str:
    text = inbound.text()
    if not text and files:
        return str(_("(Files sent by email, without text.)"))
    return text


def _post(inbound: Inbound, ticket: Ticket, contact: Contact) -> Result:
    files = inbound.files()
    body = _body(inbound, files)
    if not body:
        return _bounce(inbound, "empty", contact=contact, ticket=ticket)
    try:
        note = conversation.ticket_customer_message(
            ticket=ticket,
            body=body,
            contact=contact,
            files=files,
            via=Via.EMAIL,
            email_message_id=inbound.message_id,
            email_from=inbound.sender,
            cc=inbound.copied,
        )
    except DomainError as exc:
        if exc.code == "duplicate_email":
            return Result("duplicate", target=f"ticket:{ticket.pk}")
        return _bounce(inbound, "refused", contact=contact, ticket=ticket, why=str(exc.message))
    return _posted_result(note, ticket)


# ---------------------------------------------------------------- a reply to a reply address


def handle_reply(inbound: Inbound, token: Token) -> Result:
    duplicate = _already_posted(inbound)
    if duplicate is not None:
        return duplicate
    contact = Contact.objects.filter(pk=token.person_id).first()
    ticket = Ticket.objects.filter(pk=token.object_id).first()
    if contact is None or ticket is None:
        return _bounce(inbound, "unknown", contact=contact)
    if token.expired(clock.now()):
        return _bounce(inbound, "expired", contact=contact, ticket=ticket)
    if inbound.sender != (contact.email or "").strip().lower():
        return _bounce(inbound, "sender", contact=contact, ticket=ticket)
    if contact.pk != ticket.contact_id and contact.company_id != ticket.company_id:
        # Copied when they were of the ticket's company, and moved to another one since.
        return _bounce(inbound, "left", contact=contact, ticket=ticket)
    return _post(inbound, ticket, contact)


# ---------------------------------------------------------------- a reply that lost its address


def _ticket_of_thread(ids: list[str]) -> Ticket | None:
    """The ticket whose conversation holds the newest of ``ids`` (In-Reply-To first)."""
    sent = dict(TicketEmail.objects.filter(message_id__in=ids).values_list("message_id", "ticket"))
    received = dict(
        TicketNote.objects.filter(email_message_id__in=ids).values_list(
            "email_message_id", "ticket"
        )
    )
    for mid in ids:
        ticket_id = sent.get(mid) or received.get(mid)
        if ticket_id:
            return Ticket.objects.select_related("company", "contact").get(pk=ticket_id)
    return None


def _thread_contact(ticket: Ticket, inbound: Inbound) -> Contact | None:
    """Who, of the ticket's side, sent the email (None: nobody we know there)."""
    sender = inbound.sender
    if ticket.contact is not None and (ticket.contact.email or "").strip().lower() == sender:
        return ticket.contact
    if ticket.company_id is not None:
        found = (
            Contact.objects.filter(company_id=ticket.company_id, email__iexact=sender)
            .order_by("pk")
            .first()
        )
        if found is not None:
            return found
    wrote_to = TicketEmail.objects.filter(ticket=ticket, address=sender).select_related("contact")
    for email in wrote_to:
        if email.contact is not None:
            return email.contact
    domain = sender.rpartition("@")[2]
    company = ticket.company
    if company is not None and domain and domain == (company.domain or "").lower():
        return conversation.contact_for_sender(sender, inbound.sender_name, company=company)
    return None


def find_thread(inbound: Inbound) -> Result | None:
    ticket = _ticket_of_thread(inbound.thread_ids)
    if ticket is None:
        return None
    duplicate = _already_posted(inbound)
    if duplicate is not None:
        return duplicate
    contact = _thread_contact(ticket, inbound)
    if contact is None:
        if conversation.mailbox_for(inbound.recipients) is not None:
            return None  # a stranger writing to a support address: a request of their own
        return _bounce(inbound, "thread_sender", ticket=ticket)
    return _post(inbound, ticket, contact)


# ---------------------------------------------------------------- mail to a support mailbox


def find_mailbox(inbound: Inbound) -> Result | None:
    mailbox = conversation.mailbox_for(inbound.recipients)
    if mailbox is None:
        return None
    duplicate = _already_posted(inbound)
    if duplicate is not None:
        return duplicate
    if SupportMailbox.objects.filter(address__iexact=inbound.sender).exists():
        log.info("inbound email to %s dropped: from our mailbox %s", mailbox, inbound.sender)
        return Result("ignored", "own_address")
    now = clock.now()
    if conversation.over_rate_limit(inbound.sender, now=now):
        log.warning(
            "inbound email to %s dropped: %s is over the rate limit (message-id %s)",
            mailbox.address,
            inbound.sender,
            inbound.message_id or "",
        )
        return Result("ignored", "rate_limited", details={"sender": inbound.sender})
    contact = conversation.contact_by_email(inbound.sender)
    files = inbound.files()
    body = inbound.text()
    try:
        with transaction.atomic():
            return _open_or_hold(inbound, mailbox, contact, body=body, files=files, now=now)
    except DomainError as exc:
        if exc.code == "duplicate_email":
            return Result("duplicate")
        return _bounce(inbound, "refused", contact=contact, why=str(exc.message))


def _open_or_hold(inbound, mailbox, contact, *, body, files, now) -> Result:
    if contact is None and mailbox.unknown_senders == UnknownSenders.HOLD:
        held = conversation.held_email_create(
            mailbox=mailbox,
            raw=inbound.raw or bytes(inbound.message),
            sender=inbound.sender,
            sender_name=inbound.sender_name,
            subject=inbound.subject,
            body=body,
            message_id=inbound.message_id,
            now=now,
        )
        return Result("held", message_id=held.pk, target=f"held:{held.pk}")
    if contact is None:
        contact = conversation.contact_for_sender(inbound.sender, inbound.sender_name)
    note = conversation.ticket_open_from_email(
        mailbox=mailbox,
        contact=contact,
        subject=inbound.subject,
        body=body,
        files=files,
        email_message_id=inbound.message_id,
        email_from=inbound.sender,
        cc=[a for a in inbound.copied if a != mailbox.address.lower()],
        now=now,
    )
    return Result("opened", message_id=note.pk, target=f"ticket:{note.ticket_id}")


pipeline.register_reply_kind(
    mail.REPLY_KIND, prefix=mail.REPLY_PREFIX, salt=mail.SALT, handler=handle_reply
)
pipeline.register_thread_finder("ticket", find_thread)
pipeline.register_mailbox_finder("ticket", find_mailbox)
