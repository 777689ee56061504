"""The customer's side of a ticket's conversation: messages from contacts (by email, or from the
portal), tickets opened by mail to a support mailbox, the unknown-sender queue, and the rule
for a message to a closed ticket.

**A message to a closed ticket** (Zendesk's rule): a ticket closed at most
``PARTNERDESK_TICKET_REOPEN_DAYS`` days ago (7) is reopened into its pipeline's first open
stage, by the system, and the message posted on it (reopening counts the closed time as
paused, see tickets.services.ticket_move); a ticket closed longer ago stays closed and a
**follow-up ticket** (``Ticket.follow_up_of``) is opened in the same pipeline and entry stage,
for the same company and contact, with the message. If the reopening move is refused (a
stage requirement), the follow-up is opened instead.

The agent's side (internal notes, public replies emailed to the customer) is
``services.ticket_note_add``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.files import files_removed_on_error, validate_upload
from partnerdesk.core.permissions import SYSTEM, require_client_of, require_staff
from partnerdesk.crm.models import Company, Contact, Stage, StageKind
from partnerdesk.crm.services import contact_create
from partnerdesk.notifications import inbound_mail
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify

from . import services
from .attachments import attach
from .mail import send_received_email_task
from .models import (
    HeldEmail,
    HeldStatus,
    Source,
    SupportMailbox,
    Ticket,
    TicketNote,
    TicketStageVisit,
    Via,
)

MAX_BODY = 20_000


# ---------------------------------------------------------------- who wrote


def contact_by_email(address: str) -> Contact | None:
    """The contact with that address (the oldest one, if several have it)."""
    if not address:
        return None
    return (
        Contact.objects.filter(email__iexact=address.strip())
        .select_related("company")
        .order_by("pk")
        .first()
    )


def company_for_address(address: str) -> Company | None:
    """The company of a client user with that address, else the company whose primary domain
    is the address's domain."""
    user = (
        User.objects.filter(email__iexact=address, company__isnull=False)
        .select_related("company")
        .first()
    )
    if user is not None:
        return user.company
    domain = address.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return Company.objects.filter(domain__iexact=domain).order_by("pk").first()


def contact_for_sender(address: str, name: str = "", *, company: Company | None = None) -> Contact:
    """The contact who sent mail from ``address``; created (by the system) when there is none,
    under ``company`` or the company ``company_for_address`` finds."""
    found = contact_by_email(address)
    if found is not None:
        return found
    first, _sep, last = " ".join((name or "").replace('"', "").split()).partition(" ")
    return contact_create(
        by=SYSTEM,
        first_name=first[:100],
        last_name=last[:100],
        email=address.strip().lower(),
        company=company or company_for_address(address),
    )


# ---------------------------------------------------------------- checks


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError(code="required", message=_("The message has no text."), field="body")
    if len(body) > MAX_BODY:
        raise DomainError(
            code="too_long",
            message=_("A message can be at most 20,000 characters."),
            field="body",
        )
    return body


def split_files(files) -> tuple[list, list[tuple[str, str]]]:
    """The files within the attachment limits, and (name, why) of those refused: an emailed
    message keeps its text and the files that may be attached."""
    kept, refused = [], []
    for upload in files or []:
        try:
            validate_upload(upload)
        except DomainError as exc:
            refused.append((str(getattr(upload, "name", "") or "?"), str(exc.message)))
        else:
            kept.append(upload)
    return kept, refused


def _refused_line(refused: list[tuple[str, str]]) -> str:
    return "\n".join(_("[Not attached: %(why)s]") % {"why": why} for _name, why in refused)


def _duplicate() -> DomainError:
    return conflict("duplicate_email", _("This email was already posted."))


# ---------------------------------------------------------------- closed tickets


def reopen_deadline(ticket: Ticket) -> dt.datetime | None:
    """Until when a message reopens the closed ``ticket`` (None when it is open)."""
    if ticket.closed_at is None:
        return None
    return ticket.closed_at + dt.timedelta(days=settings.PARTNERDESK_TICKET_REOPEN_DAYS)


def stage_after_waiting(ticket: Ticket) -> Stage | None:
    """Where a customer's answer takes a ticket that waited on them: back to the last open
    stage it worked in before (its stage history), else the pipeline's first open stage that
    does not wait on the customer (Zendesk: a requester's reply turns Pending into Open)."""
    visit = (
        TicketStageVisit.objects.filter(
            ticket=ticket,
            left_at__isnull=False,
            stage__kind=StageKind.OPEN,
            stage__waiting_on_customer=False,
        )
        .select_related("stage")
        .order_by("-entered_at", "-pk")
        .first()
    )
    if visit is not None:
        return visit.stage
    return (
        Stage.objects.filter(
            pipeline_id=ticket.pipeline_id, kind=StageKind.OPEN, waiting_on_customer=False
        )
        .order_by("order", "id")
        .first()
    )


def _back_to_work(ticket: Ticket, *, now) -> Ticket:
    """The customer answered a ticket waiting on them: it moves back to work (its SLA clock
    resumes). A stage that asks for properties the ticket lacks keeps it waiting."""
    stage = stage_after_waiting(ticket)
    if stage is None:
        return ticket
    try:
        with transaction.atomic():
            return services.ticket_move(ticket=ticket, stage=stage, by=SYSTEM, now=now)
    except DomainError:
        return ticket


def _tell_owner(ticket: Ticket, note: TicketNote, contact: Contact) -> None:
    """The ticket's owner hears of the customer's message in the app (and by email, as they
    prefer), once per message."""
    if ticket.owner is None:
        return
    notify(
        users=[ticket.owner],
        kind=Kind.TICKET_REPLY,
        title=lambda user: (
            _("%(contact)s wrote on ticket #%(number)s: %(name)s")
            % {"contact": contact, "number": ticket.pk, "name": ticket.name}
        ),
        body=note.body[:500],
        url=reverse("tickets:detail", args=[ticket.pk]),
        dedupe_key=f"ticket-reply:{note.pk}",
    )


def first_open_stage(ticket: Ticket) -> Stage | None:
    return (
        Stage.objects.filter(pipeline_id=ticket.pipeline_id, kind=StageKind.OPEN)
        .order_by("order", "id")
        .first()
    )


def _follow_up(old: Ticket, *, contact: Contact | None, body: str, now) -> Ticket:
    owner = old.owner if old.owner is not None and old.owner.is_active else None
    ticket = services.ticket_create(
        by=SYSTEM,
        pipeline=old.pipeline,
        stage=old.entry_stage,
        name=old.name,
        description=body,
        owner=owner,
        priority=old.priority,
        company=old.company,
        contact=contact if contact is not None else old.contact,
        properties={k: v for k, v in old.properties.items()},
        source=Source.EMAIL,
        now=now,
        if_missing="ask",
    )
    Ticket.objects.filter(pk=ticket.pk).update(follow_up_of=old)
    ticket.follow_up_of = old
    return ticket


def _open_again(ticket: Ticket, *, contact: Contact | None, body: str, now) -> Ticket:
    """The ticket a message to the closed ``ticket`` goes to (see the module's docstring)."""
    deadline = reopen_deadline(ticket)
    stage = first_open_stage(ticket)
    if deadline is not None and now <= deadline and stage is not None:
        try:
            with transaction.atomic():
                return services.ticket_move(ticket=ticket, stage=stage, by=SYSTEM, now=now)
        except DomainError:
            pass  # a requirement of the stage: the follow-up takes the message instead
    return _follow_up(ticket, contact=contact, body=body, now=now)


# ---------------------------------------------------------------- messages from the customer


@transaction.atomic
def ticket_customer_message(
    *,
    ticket: Ticket,
    body: str,
    contact: Contact | None = None,
    user: User | None = None,
    files: Sequence = (),
    via: str = Via.EMAIL,
    email_message_id: str | None = None,
    email_from: str = "",
    cc: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> TicketNote:
    """Post a public message from the customer on ``ticket``: from ``contact`` (an email), or
    from ``user``, a client of the ticket's company (the portal; the contact with the user's
    address is used, or created). A closed ticket is reopened, or followed up (module
    docstring): the returned note's ``ticket`` is where it went. Files outside the limits are
    left out and named at the end of the text. A Message-ID posted before is refused
    (``duplicate_email``)."""
    now = now or clock.now()
    if user is not None:
        require_client_of(user, ticket.company_id or 0)
        if contact is None:
            contact = contact_for_sender(user.email, user.full_name, company=ticket.company)
    if contact is None:
        raise DomainError(
            code="author_required", message=_("Say who wrote the message."), field="contact"
        )
    body = _clean_body(body)
    files, refused = split_files(files)
    if refused:
        body = f"{body}\n\n{_refused_line(refused)}"
    if email_message_id and TicketNote.objects.filter(email_message_id=email_message_id).exists():
        raise _duplicate()
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("pipeline", "stage", "entry_stage", "owner", "company", "contact")
        .get(pk=ticket.pk)
    )
    if ticket.closed_at is not None:
        ticket = _open_again(ticket, contact=contact, body=body, now=now)
    elif ticket.stage.waiting_on_customer:
        ticket = _back_to_work(ticket, now=now)
    with files_removed_on_error() as stored:
        try:
            with transaction.atomic():
                note = TicketNote.objects.create(
                    ticket=ticket,
                    author=user,
                    author_contact=contact,
                    body=body,
                    is_public=True,
                    from_customer=True,
                    via=via,
                    email_message_id=email_message_id or None,
                    email_from=(email_from or "").strip().lower()[:254],
                    cc=list(dict.fromkeys(a.lower() for a in cc))[:50],
                )
        except IntegrityError as exc:
            raise _duplicate() from exc
        attach(ticket=ticket, note=note, files=files, stored=stored, by=user, contact=contact)
    record_event(
        kind="ticket.note_added",
        subject=ticket,
        actor=user,
        company_id=ticket.company_id,
        data={
            "note_id": note.pk,
            "public": True,
            "from_customer": True,
            "via": via,
            "contact_id": contact.pk,
            "contact": str(contact),
            "excerpt": body[:200],
            **({"files": len(files)} if files else {}),
            **({"refused_files": [name for name, _why in refused]} if refused else {}),
        },
    )
    _tell_owner(ticket, note, contact)
    return note


# ---------------------------------------------------------------- support mailboxes


def mailbox_for(addresses: Sequence[str]) -> SupportMailbox | None:
    """The active mailbox among ``addresses`` (the first in their order)."""
    found = {
        m.address.lower(): m
        for m in SupportMailbox.objects.filter(active=True).select_related(
            "pipeline", "entry_stage"
        )
        if m.address.lower() in {a.lower() for a in addresses}
    }
    for address in addresses:
        if address.lower() in found:
            return found[address.lower()]
    return None


def over_rate_limit(address: str, *, now: dt.datetime) -> bool:
    """Whether ``address`` opened ``PARTNERDESK_MAILBOX_RATE_LIMIT`` tickets by email (or had as
    many emails held) in the last hour: more is a loop or a flood, and is dropped."""
    since = now - dt.timedelta(hours=1)
    opened = (
        TicketNote.objects.filter(
            email_from=address.strip().lower(),
            created_at__gte=since,
            ticket__source=Source.EMAIL,
            ticket__created_at__gte=since,
        )
        .values("ticket_id")
        .distinct()
        .count()
    )
    held = HeldEmail.objects.filter(sender=address.strip().lower(), received_at__gte=since).count()
    return opened + held >= settings.PARTNERDESK_MAILBOX_RATE_LIMIT


@transaction.atomic
def ticket_open_from_email(
    *,
    mailbox: SupportMailbox,
    contact: Contact,
    subject: str,
    body: str,
    files: Sequence = (),
    email_message_id: str | None = None,
    email_from: str = "",
    cc: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> TicketNote:
    """Open a ticket in the mailbox's pipeline and entry stage (its SLA policy applied) for
    the contact and their company, with the email as its first message; the sender is told
    its number and given a reply address after commit. Returns that first message."""
    now = now or clock.now()
    if email_message_id and TicketNote.objects.filter(email_message_id=email_message_id).exists():
        raise _duplicate()
    body = (body or "").strip()
    ticket = services.ticket_create(
        by=SYSTEM,
        pipeline=mailbox.pipeline,
        stage=mailbox.entry_stage,
        name=" ".join((subject or "").split())[:255],
        description=body[:MAX_BODY],
        company=contact.company,
        contact=contact,
        source=Source.EMAIL,
        now=now,
        if_missing="ask",
    )
    note = ticket_customer_message(
        ticket=ticket,
        body=body or (subject or "").strip() or "—",
        contact=contact,
        files=files,
        via=Via.EMAIL,
        email_message_id=email_message_id,
        email_from=email_from,
        cc=cc,
        now=now,
    )
    transaction.on_commit(lambda: send_received_email_task.enqueue(note_id=note.pk))
    return note


# ---------------------------------------------------------------- the unknown-sender queue


@transaction.atomic
def held_email_accept(*, held: HeldEmail, by, message: EmailMessage) -> Ticket:
    """Open the held email's ticket: the sender becomes a contact (under the company of their
    domain, if any) and the ticket opens in the mailbox's pipeline. ``message`` is the email
    as received (read from ``held.raw``), for its attachments."""
    require_staff(by)
    held = HeldEmail.objects.select_for_update().select_related("mailbox").get(pk=held.pk)
    if held.status != HeldStatus.HELD:
        raise conflict("not_held", _("This email was already accepted or discarded."))
    contact = contact_for_sender(held.sender, held.sender_name)
    note = ticket_open_from_email(
        mailbox=held.mailbox,
        contact=contact,
        subject=held.subject,
        body=held.body,
        files=inbound_mail.attachments(message),
        email_message_id=held.message_id,
        email_from=held.sender,
    )
    held.status = HeldStatus.ACCEPTED
    held.ticket = note.ticket
    held.resolved_by = by
    held.resolved_at = clock.now()
    held.save(update_fields=["status", "ticket", "resolved_by", "resolved_at"])
    return note.ticket


@transaction.atomic
def held_email_discard(*, held: HeldEmail, by) -> HeldEmail:
    """Drop a held email (spam, a stranger): nothing is opened and its stored copy is
    deleted."""
    require_staff(by)
    held = HeldEmail.objects.select_for_update().get(pk=held.pk)
    if held.status != HeldStatus.HELD:
        raise conflict("not_held", _("This email was already accepted or discarded."))
    held.status = HeldStatus.DISCARDED
    held.resolved_by = by
    held.resolved_at = clock.now()
    held.save(update_fields=["status", "resolved_by", "resolved_at"])
    name, storage = held.raw.name, held.raw.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
    return held


@transaction.atomic
def held_email_create(
    *,
    mailbox: SupportMailbox,
    raw: bytes,
    sender: str,
    sender_name: str,
    subject: str,
    body: str,
    message_id: str | None,
    now: dt.datetime | None = None,
) -> HeldEmail:
    """Hold an email from an unknown sender (``duplicate_email`` if it was held before)."""
    if message_id and HeldEmail.objects.filter(message_id=message_id).exists():
        raise _duplicate()
    held = HeldEmail(
        mailbox=mailbox,
        sender=sender.strip().lower()[:254],
        sender_name=sender_name[:200],
        subject=" ".join((subject or "").split())[:255],
        body=(body or "")[:MAX_BODY],
        message_id=message_id or None,
        received_at=now or clock.now(),
    )
    with files_removed_on_error() as stored:
        held.raw.save("held.eml", ContentFile(raw), save=False)
        stored.append(held.raw)
        try:
            with transaction.atomic():
                held.save()
        except IntegrityError as exc:
            raise _duplicate() from exc
    return held
