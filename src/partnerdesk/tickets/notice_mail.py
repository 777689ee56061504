"""Status emails to customers (issue 14, part 4), sent from the outbox after commit.

The handler (registered in ``handlers``) reacts to ``ticket.created`` and
``ticket.stage_changed``; when the ticket's pipeline has the matching notice switched on and
the ticket's contact has an email, a task sends it:

- **opened**: a ticket opened with a contact, with its number. A ticket opened by email
  (``Source.EMAIL``) is always acknowledged, threaded on the customer's email and with the
  reply address: by this notice when the pipeline has it on (its own editable text), else by
  the support mailbox's built-in acknowledgement (``mail.send_received_email``);
- **waiting on the customer**: the ticket enters a stage waiting on the customer (from one that
  was not);
- **resolved**: the ticket enters a closed stage (from an open one).

A stage the ticket already left when the event is processed is not announced. Each notice is
sent once per outbox event (one event per opening or stage entry): a ``CustomerNoticeSent`` row
unique per event is inserted before the email leaves; a failed send deletes it and retries
with backoff. The email is threaded and carries the reply address (``mail.send_ticket_email``,
kind notice), in the contact's language (``mail.contact_language``).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.tasks import task as background_task

from partnerdesk.core import clock
from partnerdesk.core.models import Event
from partnerdesk.core.queue import enqueue_later
from partnerdesk.crm.models import Stage
from partnerdesk.notifications.delivery import backoff

from . import mail, notices
from .events import TicketEvent
from .models import (
    CustomerNotice,
    CustomerNoticeSent,
    EmailKind,
    NoticeEvent,
    Ticket,
)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def notice_event(event: Event, ticket: Ticket) -> tuple[str, Stage | None] | None:
    """Which notice ``event`` calls for on ``ticket`` (and the stage it is about), if any."""
    if event.kind == TicketEvent.CREATED:
        return NoticeEvent.OPENED, ticket.entry_stage
    if event.kind != TicketEvent.STAGE_CHANGED:
        return None
    ids = [event.data.get("to_stage_id"), event.data.get("from_stage_id")]
    stages = {s.pk: s for s in Stage.objects.filter(pk__in=[i for i in ids if i])}
    to, previous = stages.get(ids[0]), stages.get(ids[1])
    if to is None or ticket.stage_id != to.pk:
        return None  # moved on since: the customer is not told of a stage it already left
    if to.is_closed and not (previous is not None and previous.is_closed):
        return NoticeEvent.RESOLVED, to
    if to.waiting_on_customer and not (previous is not None and previous.waiting_on_customer):
        return NoticeEvent.WAITING_ON_CUSTOMER, to
    return None


def _enabled(ticket: Ticket, event: str) -> CustomerNotice | None:
    return CustomerNotice.objects.filter(
        pipeline_id=ticket.pipeline_id, event=event, enabled=True
    ).first()


def notify_customer(event: Event, subject) -> None:
    """The outbox handler: hand the notice to a task when one is due (nothing else here)."""
    if not isinstance(subject, Ticket) or subject.contact_id is None:
        return
    found = notice_event(event, subject)
    if found is not None and _enabled(subject, found[0]) is not None:
        send_customer_notice_task.enqueue(event_id=event.pk)


def send_customer_notice(event_id: int, attempt: int = 0) -> int:
    """Send the notice ``event_id`` calls for, once; returns how many were sent now (0 or 1)."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    ticket = (
        Ticket.objects.select_related("stage", "entry_stage", "contact")
        .filter(pk=event.subject_id)
        .first()
    )
    if ticket is None or event.kind not in (TicketEvent.CREATED, TicketEvent.STAGE_CHANGED):
        return 0
    found = notice_event(event, ticket)
    contact = ticket.contact
    if found is None or contact is None or not contact.email:
        return 0
    kind, stage = found
    notice = _enabled(ticket, kind)
    if notice is None:
        return 0
    try:
        with transaction.atomic():
            claim = CustomerNoticeSent.objects.create(
                ticket=ticket, event=kind, outbox_event=event, stage=stage
            )
    except IntegrityError:
        return 0  # sent (or being sent) already
    language = mail.contact_language(contact)
    subject, text, html = notices.render_notice(
        notice=notice,
        event=kind,
        language=language,
        context=notices.ticket_context(ticket, contact, language),
    )
    try:
        sent = mail.send_ticket_email(
            ticket=ticket,
            contact=contact,
            kind=EmailKind.NOTICE,
            subject=subject,
            text=text,
            html=html,
        )
    except Exception:
        CustomerNoticeSent.objects.filter(pk=claim.pk).delete()
        log.warning("ticket %s: %s notice failed", ticket.pk, kind, exc_info=True)
        if attempt < MAX_ATTEMPTS:
            enqueue_later(
                send_customer_notice_task,
                clock.now() + backoff(attempt + 1),
                event_id=event_id,
                attempt=attempt + 1,
            )
        return 0
    CustomerNoticeSent.objects.filter(pk=claim.pk).update(email=sent)
    return 1


@background_task
def send_customer_notice_task(event_id: int, attempt: int = 0) -> int:
    """The background task of ``send_customer_notice`` (enqueued by the outbox handler, and
    again with backoff while a send fails)."""
    return send_customer_notice(event_id, attempt)
