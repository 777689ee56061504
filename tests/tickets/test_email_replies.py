"""Ticket conversations by email, against a real SMTP server (aiosmtpd) and the real inbound
command: an agent's public reply reaches the contact (and the copied contacts) in full, threaded
and with a signed reply address; the contact's answer from Gmail, Outlook, Apple Mail in
Italian, an Arabic client or with a "-- " signature posts only the new text on the ticket;
forged, expired and foreign replies bounce with the reason; a redelivered email posts once; a
reply that lost its address is threaded by In-Reply-To; a reply to a closed ticket reopens it
(or opens a follow-up after PARTNERDESK_TICKET_REOPEN_DAYS)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.crm import services as crm_services
from partnerdesk.notifications.inbound import read_token
from partnerdesk.tickets import inbound, mail, services
from partnerdesk.tickets.models import (
    Ticket,
    TicketAttachment,
    TicketEmail,
    TicketNote,
    Via,
)
from tests.conftest import make_user
from tests.tickets import reload
from tests.tickets.email_messages import (
    CLIENTS,
    dash_signature,
    feed,
    plain,
    send_over_smtp,
)

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Could you send us a screenshot of the error?\n\nThanks,\nAgent"


def reply_publicly(agent, ticket, body=QUESTION, **kw):
    return services.ticket_note_add(ticket=ticket, by=agent, body=body, is_public=True, **kw)


@pytest.fixture
def replied(mailbox, agent, ticket, contact, private_root):
    """The agent asked the contact a question; the email the contact received."""
    reply_publicly(agent, ticket)
    (sent,) = mailbox.to(contact.email)
    mailbox.messages.clear()
    return sent


def answer(sent, builder, text, *, sender="Mario Rossi <mario@acme-dental.com>", **headers):
    """The contact's answer to ``sent`` as ``builder``'s mail program writes it."""
    headers.setdefault("to", str(sent.message["Reply-To"]))
    headers.setdefault("subject", "Re: " + sent.subject)
    headers.setdefault("message_id", "<answer-1@mail.acme-dental.com>")
    headers.setdefault("in_reply_to", str(sent.message["Message-ID"]))
    headers.setdefault(
        "references",
        " ".join(filter(None, [str(sent.message["References"] or ""), sent.message["Message-ID"]])),
    )
    return builder(text, sender=sender, **headers)


def customer_notes(ticket=None):
    qs = TicketNote.objects.filter(from_customer=True)
    return qs.filter(ticket=ticket) if ticket is not None else qs


# ---------------------------------------------------------------- out: the public reply


def test_a_public_reply_reaches_the_contact_in_full_threaded_with_a_reply_address(
    mailbox, agent, ticket, contact, private_root
):
    note = reply_publicly(agent, ticket)
    (sent,) = mailbox.to(contact.email)
    assert "Could you send us a screenshot of the error?" in sent.text
    assert "Could you send us a screenshot of the error?" in sent.html
    assert f"#{ticket.pk}" in sent.subject and ticket.name in sent.subject
    local, _, domain = str(sent.message["Reply-To"]).partition("@")
    assert domain == "reply.localhost" and local.startswith("reply+k-") and len(local) <= 64
    token = read_token(local[len("reply+") :])
    assert (token.kind, token.object_id, token.person_id) == ("ticket", ticket.pk, contact.pk)
    logged = TicketEmail.objects.get(note=note)
    assert (
        logged.message_id == str(sent.message["Message-ID"]).strip() and logged.sent_at is not None
    )
    assert sent.message["Auto-Submitted"] is None  # a person wrote it (RFC 3834)
    # The first public reply is the first response, as before.
    assert reload(ticket).first_response_at is not None


def test_internal_notes_never_leave(mailbox, agent, ticket, private_root):
    services.ticket_note_add(ticket=ticket, by=agent, body="Customer is on the old plan.")
    assert not mailbox.messages
    assert not TicketEmail.objects.exists()


def test_copied_contacts_get_their_own_email_and_reply_address(
    mailbox, agent, ticket, contact, colleague, private_root
):
    note = reply_publicly(agent, ticket, cc=[colleague])
    assert note.cc == ["layla@acme-dental.com"]
    (to_contact,) = mailbox.to(contact.email)
    (to_colleague,) = mailbox.to(colleague.email)
    # Each is sent to one address (the other is named in the Cc header only).
    assert to_contact.rcpt_tos == [contact.email] and to_colleague.rcpt_tos == [colleague.email]
    assert colleague.email in str(to_contact.message["Cc"])
    assert contact.email in str(to_colleague.message["Cc"])
    token = read_token(str(to_colleague.message["Reply-To"]).split("@")[0][len("reply+") :])
    assert token.person_id == colleague.pk
    assert to_contact.message["Message-ID"] != to_colleague.message["Message-ID"]


def test_a_copied_contact_who_left_the_company_is_not_posted(
    mailbox, agent, ticket, contact, colleague, other_company, private_root
):
    reply_publicly(agent, ticket, cc=[colleague])
    (to_colleague,) = mailbox.to(colleague.email)
    crm_services.contact_update(contact=colleague, by=agent, company=other_company)
    mailbox.messages.clear()
    raw = answer(to_colleague, dash_signature, "Still here.", sender=colleague.email)
    assert feed(raw) == "bounced left"
    assert not customer_notes().exists()
    (bounce,) = mailbox.to(colleague.email)
    assert "no longer a contact of the company" in bounce.text


def test_only_contacts_of_the_company_can_be_copied(agent, ticket, outsider, private_root):
    with pytest.raises(DomainError) as refused:
        reply_publicly(agent, ticket, cc=[outsider])
    assert refused.value.code == "cc_not_in_company" and refused.value.field == "cc"
    with pytest.raises(DomainError) as internal:
        services.ticket_note_add(ticket=ticket, by=agent, body="x", cc=[outsider])
    assert internal.value.code == "cc_needs_public"


def test_attachments_travel_with_the_reply(mailbox, agent, ticket, contact, private_root):
    screenshot = SimpleUploadedFile("steps.pdf", b"%PDF-1.4 steps", "application/pdf")
    note = reply_publicly(agent, ticket, body="The steps are attached.", files=[screenshot])
    stored = TicketAttachment.objects.get(note=note)
    assert stored.name == "steps.pdf" and stored.ticket == ticket
    assert str(private_root) in stored.file.path
    (sent,) = mailbox.to(contact.email)
    (attached,) = list(sent.message.iter_attachments())
    assert attached.get_filename() == "steps.pdf"
    assert attached.get_payload(decode=True) == b"%PDF-1.4 steps"


def test_the_reply_is_in_the_language_of_the_contacts_client_user(
    mailbox, agent, ticket, contact, company, private_root
):
    make_user(contact.email, Role.CLIENT, company=company, client_role="member", language="ar")
    reply_publicly(agent, ticket)
    (sent,) = mailbox.to(contact.email)
    assert 'lang="ar"' in sent.html and 'dir="rtl"' in sent.html
    assert mail.contact_language(contact) == "ar"


def test_a_contact_without_a_client_user_gets_the_agency_default(contact, settings):
    assert mail.contact_language(contact) == settings.LANGUAGE_CODE


def test_the_language_set_on_the_contact_comes_first(
    mailbox, agent, ticket, contact, company, private_root
):
    """A customer who only writes by email gets Italian when the agency says so; it also
    outranks the language of their portal account."""
    make_user(contact.email, Role.CLIENT, company=company, client_role="member", language="ar")
    crm_services.contact_update(contact=contact, by=agent, language="it")
    contact.refresh_from_db()
    reply_publicly(agent, ticket)
    (sent,) = mailbox.to(contact.email)
    assert 'lang="it"' in sent.html
    assert mail.contact_language(contact) == "it"


def test_later_emails_thread_on_the_conversation(replied, agent, ticket, contact, mailbox):
    assert feed(answer(replied, dash_signature, "Here it is.")) == "posted"
    reply_publicly(agent, ticket, body="Thanks, we found it.")
    (second,) = mailbox.to(contact.email)
    # It answers the contact's email, and its References start with our first email.
    assert second.message["In-Reply-To"] == "<answer-1@mail.acme-dental.com>"
    references = str(second.message["References"]).split()
    assert references[0] == str(replied.message["Message-ID"]).strip()
    assert "<answer-1@mail.acme-dental.com>" in references


def test_a_failed_send_is_retried_and_sent_once(
    mailbox, settings, agent, ticket, contact, private_root
):
    working = settings.MAILERS
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed, "timeout": 2},
        }
    }
    note = reply_publicly(agent, ticket, body="Are you there?")
    assert not TicketEmail.objects.filter(note=note).exists()  # the claim was released
    settings.MAILERS = working
    assert mail.send_note_emails(note.pk, attempt=1) == 1
    assert mail.send_note_emails(note.pk, attempt=2) == 0  # sent once only
    assert len(mailbox.to(contact.email)) == 1


# ---------------------------------------------------------------- in: the contact's answer


@pytest.mark.parametrize(
    ("client", "text"),
    [
        ("gmail", "Here is the screenshot you asked for."),
        ("outlook-html-only", "The error shows after I click Save."),
        ("apple-mail-italian", "Ecco lo screenshot, l'errore appare dopo il salvataggio."),
        ("arabic-windows-1256", "شكراً، الخطأ يظهر بعد الضغط على حفظ."),
        ("dash-signature", "It happens on every invoice since Monday."),
    ],
)
def test_an_emailed_answer_posts_only_the_new_text(replied, ticket, contact, mailbox, client, text):
    assert feed(answer(replied, CLIENTS[client], text)) == "posted"
    (note,) = customer_notes(ticket)
    assert note.body == text
    assert note.author_contact == contact and note.author is None
    assert note.is_public and note.via == Via.EMAIL
    assert note.email_message_id == "<answer-1@mail.acme-dental.com>"
    assert note.email_from == "mario@acme-dental.com"
    assert not mailbox.to(contact.email)  # nothing bounced (the owner's notification aside)


def test_an_html_only_answer_is_sanitised(replied, ticket):
    assert feed(answer(replied, CLIENTS["outlook-html-only"], "Saved twice.")) == "posted"
    body = customer_notes(ticket).get().body
    assert body == "Saved twice."  # no tags, no script, no signature, no quoted header block


def test_an_answer_over_the_smtp_listener_is_posted(replied, ticket):
    raw = answer(replied, CLIENTS["gmail"], "Sent over SMTP.")
    assert send_over_smtp(
        raw,
        sender="mario@acme-dental.com",
        recipients=[str(replied.message["Reply-To"])],
        until=lambda: customer_notes(ticket).exists(),
    )
    assert customer_notes(ticket).get().body == "Sent over SMTP."


def test_the_same_email_delivered_twice_is_posted_once(replied, ticket):
    raw = answer(replied, CLIENTS["gmail"], "Only once, please.")
    assert feed(raw) == "posted"
    assert feed(raw) == "duplicate"
    assert customer_notes(ticket).count() == 1


def test_attachments_within_the_limits_are_kept(replied, ticket, settings):
    raw = answer(
        replied,
        plain,
        "Screenshot attached.",
        files=[
            ("screen.png", b"\x89PNG fake", "image/png"),
            ("setup.exe", b"MZ", "application/octet-stream"),
        ],
    )
    assert feed(raw) == "posted"
    note = customer_notes(ticket).get()
    assert [a.name for a in note.attachments.all()] == ["screen.png"]
    assert note.body.startswith("Screenshot attached.") and "setup.exe" in note.body


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", "forged"),
        ("other_sender", "sender"),
        ("expired", "expired"),
        ("empty", "empty"),
    ],
)
def test_a_bad_answer_posts_nothing_and_bounces_with_the_reason(
    replied, ticket, contact, mailbox, case, reason
):
    sender, text, to = "mario@acme-dental.com", "Fine by me.", str(replied.message["Reply-To"])
    if case == "tampered":
        local, _, domain = to.partition("@")
        prefix, ticket_part, rest = local.split("-", 2)
        to = f"{prefix}-{int(ticket_part, 36) + 1:x}-{rest}@{domain}"
    elif case == "other_sender":
        sender = "intruder@evil.example"
    elif case == "expired":
        old = mail.tokens.make_token(
            "ticket", ticket.pk, contact.pk, now=dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
        )
        to = f"reply+{old}@reply.localhost"
    elif case == "empty":
        text = ""
    raw = answer(replied, dash_signature, text, sender=sender, to=to)
    assert feed(raw) == f"bounced {reason}"
    assert not customer_notes().exists()
    (bounce,) = mailbox.to(sender)
    assert "not posted" in bounce.subject
    assert str(inbound.REASONS[reason])[:30] in bounce.text
    assert bounce.message["Auto-Submitted"] == "auto-replied"
    assert bounce.message["In-Reply-To"] == "<answer-1@mail.acme-dental.com>"


def test_an_out_of_office_reply_posts_nothing_and_is_not_answered(replied, ticket, mailbox):
    raw = answer(
        replied,
        plain,
        "I am out of the office until Monday.",
        subject="Automatic reply: " + replied.subject,
        Auto_Submitted="auto-replied",
    )
    assert feed(raw) == "ignored automatic"
    assert not customer_notes().exists() and not mailbox.messages


# ---------------------------------------------------------------- threading without the address


def test_an_answer_that_lost_its_reply_address_is_threaded_by_in_reply_to(
    replied, ticket, colleague, support
):
    # The colleague answered by writing to the support address, keeping the thread's headers.
    raw = answer(
        replied,
        CLIENTS["gmail"],
        "Forwarding the screenshot from Layla.",
        sender="layla@acme-dental.com",
        to="support@agency.test",
    )
    assert feed(raw, "support@agency.test") == "posted"
    (note,) = customer_notes(ticket)
    assert note.author_contact == colleague
    assert Ticket.objects.count() == 1  # no second ticket


def test_a_stranger_answering_the_thread_elsewhere_is_bounced(replied, ticket, mailbox):
    raw = answer(
        replied, dash_signature, "Hi!", sender="someone@else.example", to="x@reply.localhost"
    )
    assert feed(raw) == "bounced thread_sender"
    assert not customer_notes().exists()


# ---------------------------------------------------------------- closed tickets


def close(ticket, agent, *, days_ago: float):
    closed = ticket.pipeline.stages.filter(kind="closed").order_by("order").first()
    return services.ticket_move(
        ticket=ticket, stage=closed, by=agent, now=clock.now() - dt.timedelta(days=days_ago)
    )


def test_an_answer_to_a_recently_closed_ticket_reopens_it(replied, ticket, agent):
    close(ticket, agent, days_ago=2)
    assert feed(answer(replied, dash_signature, "It is back again.")) == "posted"
    ticket = reload(ticket)
    assert ticket.closed_at is None and not ticket.stage.is_closed
    assert ticket.stage == ticket.pipeline.stages.filter(kind="open").order_by("order").first()
    assert customer_notes(ticket).get().body == "It is back again."


def test_an_answer_to_a_ticket_closed_long_ago_opens_a_follow_up(replied, ticket, agent, contact):
    close(ticket, agent, days_ago=30)
    assert feed(answer(replied, dash_signature, "It is back again.")) == "posted"
    assert reload(ticket).closed_at is not None
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert follow_up.contact == contact and follow_up.company == ticket.company
    assert follow_up.pipeline == ticket.pipeline and follow_up.stage == ticket.entry_stage
    assert follow_up.sla_policy is not None and follow_up.first_response_due_at is not None
    assert customer_notes(follow_up).get().body == "It is back again."


def test_the_timeline_says_the_contact_wrote_by_email(replied, ticket):
    feed(answer(replied, dash_signature, "Here it is."))
    sentences = [describe(event) for event in timeline(ticket)]
    assert "Mario Rossi wrote by email: Here it is." in sentences


def waiting_stage(ticket):
    """A stage of the ticket's pipeline that waits on the customer (added for the test)."""
    from partnerdesk.crm.models import Stage

    return Stage.objects.create(
        pipeline=ticket.pipeline, name="Waiting on the client", order=50, waiting_on_customer=True
    )


def test_an_answer_takes_a_ticket_waiting_on_the_customer_back_to_work(replied, ticket, agent):
    worked_in = reload(ticket).stage
    waiting = waiting_stage(ticket)
    services.ticket_move(ticket=ticket, stage=waiting, by=agent)
    assert reload(ticket).sla_paused_at is not None
    assert feed(answer(replied, dash_signature, "Here is the screenshot.")) == "posted"
    ticket = reload(ticket)
    assert ticket.stage == worked_in  # the stage it worked in before it waited
    assert ticket.sla_paused_at is None  # the clock runs again
    assert customer_notes(ticket).get().body == "Here is the screenshot."


def test_the_owner_hears_of_the_customers_answer_once(replied, ticket, agent):
    from partnerdesk.notifications.models import Kind, Notification

    assert feed(answer(replied, dash_signature, "Here it is.")) == "posted"
    note = customer_notes(ticket).get()
    (notification,) = Notification.objects.filter(user=agent, kind=Kind.TICKET_REPLY)
    assert f"#{ticket.pk}" in notification.title and "Mario Rossi" in notification.title
    assert notification.url == f"/app/tickets/{ticket.pk}/"
    assert notification.dedupe_key == f"ticket-reply:{note.pk}"
