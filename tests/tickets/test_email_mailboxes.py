"""Support mailboxes: mail to support@ opens a ticket in the mailbox's pipeline and entry stage,
for the sender's contact and company, with the SLA policy applied, and tells the sender its
number with a reply address; unknown senders become contacts under the company of their domain
or wait in the unknown-sender queue, as the mailbox says; a reply in an existing thread is
added to it, never a second ticket; the same message delivered twice opens one ticket; automatic
mail opens nothing and is not answered; a sender over the hourly limit is dropped (loops)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.core.errors import DomainError
from partnerdesk.crm.models import Contact
from partnerdesk.notifications.inbound import read_token
from partnerdesk.notifications.inbound.routing import parse
from partnerdesk.tickets import conversation
from partnerdesk.tickets.models import (
    CustomerNotice,
    EmailKind,
    HeldEmail,
    HeldStatus,
    NoticeEvent,
    Source,
    Ticket,
    TicketEmail,
    TicketNote,
)
from tests.tickets.email_messages import CLIENTS, feed, plain, send_over_smtp

pytestmark = pytest.mark.django_db(transaction=True)


def write_to_support(
    text="The invoice page shows a 500 error since this morning.",
    *,
    sender="Mario Rossi <mario@acme-dental.com>",
    to="support@agency.test",
    subject="Invoice page broken",
    message_id="<new-1@mail.acme-dental.com>",
    builder=plain,
    **headers,
) -> bytes:
    return builder(text, sender=sender, to=to, subject=subject, message_id=message_id, **headers)


@pytest.fixture
def mail_setup(mailbox, support, private_root):
    return mailbox


def test_mail_to_a_support_mailbox_opens_a_ticket_with_the_sla_applied(
    mail_setup, contact, company, support
):
    assert feed(write_to_support(), "support@agency.test") == "opened"
    ticket = Ticket.objects.get()
    assert ticket.pipeline == support.pipeline and ticket.stage == support.entry_stage
    assert ticket.contact == contact and ticket.company == company
    assert ticket.source == Source.EMAIL and ticket.name == "Invoice page broken"
    assert ticket.sla_policy is not None and ticket.first_response_due_at is not None
    (note,) = ticket.notes.all()
    assert note.from_customer and note.author_contact == contact
    assert note.body == "The invoice page shows a 500 error since this morning."
    assert note.email_message_id == "<new-1@mail.acme-dental.com>"


def test_the_pipelines_opened_notice_acknowledges_in_its_own_words(
    mail_setup, contact, mailbox, support, dispatch
):
    """With the pipeline's "opened" notice on, a ticket opened by email gets that notice (the
    agency's own text) instead of the built-in acknowledgement: one email, still threaded on
    the customer's and carrying the reply address."""
    CustomerNotice.objects.update_or_create(
        pipeline=support.pipeline,
        event=NoticeEvent.OPENED,
        defaults={
            "enabled": True,
            "texts": {"en": {"subject": "We have it: #{{ ticket_number }}", "body": "On it."}},
        },
    )
    feed(write_to_support(), "support@agency.test")
    ticket = Ticket.objects.get()
    (ack,) = mailbox.to(contact.email)
    assert ack.subject == f"We have it: #{ticket.pk}" and "On it." in ack.text
    assert ack.message["In-Reply-To"] == "<new-1@mail.acme-dental.com>"
    token = read_token(str(ack.message["Reply-To"]).split("@")[0][len("reply+") :])
    assert (token.object_id, token.person_id) == (ticket.pk, contact.pk)
    assert list(TicketEmail.objects.values_list("kind", flat=True)) == [EmailKind.NOTICE]


def test_the_sender_is_told_the_number_with_a_threaded_reply_address(mail_setup, contact, mailbox):
    feed(write_to_support(), "support@agency.test")
    ticket = Ticket.objects.get()
    (ack,) = mailbox.to(contact.email)
    assert f"#{ticket.pk}" in ack.subject and f"#{ticket.pk}" in ack.text
    assert ack.message["In-Reply-To"] == "<new-1@mail.acme-dental.com>"
    assert ack.message["Auto-Submitted"] == "auto-generated"
    token = read_token(str(ack.message["Reply-To"]).split("@")[0][len("reply+") :])
    assert (token.object_id, token.person_id) == (ticket.pk, contact.pk)
    # Answering the acknowledgement adds to the same ticket.
    answer = plain(
        "One more detail: it happens in Firefox only.",
        sender=contact.email,
        to=str(ack.message["Reply-To"]),
        subject="Re: " + ack.subject,
        message_id="<new-2@mail.acme-dental.com>",
        in_reply_to=str(ack.message["Message-ID"]),
    )
    assert feed(answer) == "posted"
    assert Ticket.objects.count() == 1 and ticket.notes.count() == 2


def test_the_same_message_delivered_twice_opens_one_ticket(mail_setup, contact):
    raw = write_to_support()
    assert feed(raw, "support@agency.test") == "opened"
    assert feed(raw, "support@agency.test") == "duplicate"
    assert Ticket.objects.count() == 1 and TicketNote.objects.count() == 1


def test_a_reply_in_a_tickets_thread_is_added_to_it_not_opened_again(mail_setup, contact):
    feed(write_to_support(), "support@agency.test")
    ticket = Ticket.objects.get()
    ack = TicketEmail.objects.get(ticket=ticket)
    # The client replies to support@ (not the reply address), Outlook keeping the thread.
    raw = write_to_support(
        "Still broken after the update.",
        message_id="<new-3@mail.acme-dental.com>",
        subject="RE: Invoice page broken",
        in_reply_to=ack.message_id,
        references=f"<new-1@mail.acme-dental.com> {ack.message_id}",
        builder=CLIENTS["outlook-html-only"],
    )
    assert feed(raw, "support@agency.test") == "posted"
    assert Ticket.objects.count() == 1
    assert ticket.notes.order_by("pk").last().body == "Still broken after the update."


def test_a_reply_naming_only_the_customers_own_first_message_is_threaded(mail_setup, contact):
    feed(write_to_support(), "support@agency.test")
    raw = write_to_support(
        "Adding a colleague.", message_id="<new-4@x>", references="<new-1@mail.acme-dental.com>"
    )
    assert feed(raw, "support@agency.test") == "posted"
    assert Ticket.objects.count() == 1


def test_the_mailbox_also_works_over_the_smtp_listener(mail_setup, contact):
    assert send_over_smtp(
        write_to_support(),
        sender=contact.email,
        recipients=["support@agency.test"],
        until=lambda: Ticket.objects.exists(),
    )
    assert Ticket.objects.get().contact == contact


def test_attachments_of_a_new_request_are_kept(mail_setup, contact):
    raw = write_to_support(files=[("error.png", b"\x89PNG...", "image/png")])
    feed(raw, "support@agency.test")
    ticket = Ticket.objects.get()
    assert [a.name for a in ticket.attachments.all()] == ["error.png"]


# ---------------------------------------------------------------- unknown senders


def test_an_unknown_sender_becomes_a_contact_of_the_company_of_their_domain(mail_setup, company):
    raw = write_to_support(sender="Nadia Farouk <nadia@acme-dental.com>")
    assert feed(raw, "support@agency.test") == "opened"
    contact = Contact.objects.get(email="nadia@acme-dental.com")
    assert (contact.first_name, contact.last_name, contact.company) == ("Nadia", "Farouk", company)
    assert Ticket.objects.get().contact == contact


def test_an_unknown_sender_at_an_unknown_domain_becomes_a_contact_without_company(mail_setup):
    assert feed(write_to_support(sender="x@gmail.example"), "support@agency.test") == "opened"
    ticket = Ticket.objects.get()
    assert ticket.contact.email == "x@gmail.example" and ticket.company is None


def test_a_holding_mailbox_keeps_unknown_senders_in_the_queue(
    mailbox, held_mailbox, private_root, company, agent
):
    raw = write_to_support(sender="Nadia <nadia@acme-dental.com>", to="help@agency.test")
    assert feed(raw, "help@agency.test") == "held"
    assert feed(raw, "help@agency.test") == "duplicate held"
    assert not Ticket.objects.exists() and not Contact.objects.filter(email__startswith="nadia")
    assert not mailbox.messages  # nobody was told anything yet
    held = HeldEmail.objects.get()
    assert held.status == HeldStatus.HELD and held.body.startswith("The invoice page")
    ticket = conversation.held_email_accept(
        held=held, by=agent, message=parse(held.raw.open("rb").read())
    )
    held.refresh_from_db()
    assert held.status == HeldStatus.ACCEPTED and held.ticket == ticket
    assert ticket.contact.email == "nadia@acme-dental.com" and ticket.company == company
    with pytest.raises(DomainError) as again:
        conversation.held_email_discard(held=held, by=agent)
    assert again.value.code == "not_held"


def test_a_held_email_can_be_discarded(mailbox, held_mailbox, private_root, agent):
    feed(write_to_support(sender="spam@spam.example", to="help@agency.test"), "help@agency.test")
    held = HeldEmail.objects.get()
    conversation.held_email_discard(held=held, by=agent)
    held.refresh_from_db()
    assert held.status == HeldStatus.DISCARDED and not Ticket.objects.exists()
    assert not held.raw.storage.exists(held.raw.name)


def test_a_known_contact_is_never_held(mailbox, held_mailbox, private_root, contact):
    raw = write_to_support(to="help@agency.test")
    assert feed(raw, "help@agency.test") == "opened"


# ---------------------------------------------------------------- loops and automatic mail


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "yes"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"Precedence": "junk"},
        {"subject": "Automatic reply: Invoice page broken"},
        {"subject": "Out of Office: Invoice page broken"},
        {"sender": "MAILER-DAEMON@mx.acme-dental.com"},
    ],
    ids=lambda h: "-".join(f"{k}" for k in h),
)
def test_automatic_mail_opens_nothing_and_is_not_answered(mail_setup, contact, mailbox, headers):
    assert feed(write_to_support(**headers), "support@agency.test") == "ignored automatic"
    assert not Ticket.objects.exists() and not mailbox.messages


def test_a_sender_over_the_hourly_limit_is_dropped_unanswered(
    mail_setup, contact, settings, mailbox
):
    settings.PARTNERDESK_MAILBOX_RATE_LIMIT = 3
    for n in range(3):
        raw = write_to_support(message_id=f"<flood-{n}@x>", subject=f"Request {n}")
        assert feed(raw, "support@agency.test") == "opened"
    mailbox.messages.clear()
    assert feed(write_to_support(message_id="<flood-9@x>"), "support@agency.test") == (
        "ignored rate_limited"
    )
    assert Ticket.objects.count() == 3 and not mailbox.messages
    # Another sender is not affected.
    other = write_to_support(sender="layla@acme-dental.com", message_id="<other@x>")
    assert feed(other, "support@agency.test") == "opened"


def test_an_inactive_mailbox_opens_nothing_and_bounces(mail_setup, support, contact, mailbox):
    support.active = False
    support.save()
    assert feed(write_to_support(), "support@agency.test") == "bounced no_token"
    assert not Ticket.objects.exists()
    (bounce,) = mailbox.to(contact.email)
    assert bounce.message["Auto-Submitted"] == "auto-replied"


def test_mail_to_no_known_address_bounces(mail_setup, contact, mailbox):
    assert feed(write_to_support(to="sales@agency.test"), "sales@agency.test") == (
        "bounced no_token"
    )


# ---------------------------------------------------------------- the customer-message service


def test_a_client_user_posts_a_customer_message_through_the_service(
    client_user, ticket, private_root
):
    note = conversation.ticket_customer_message(
        ticket=ticket,
        user=client_user,
        body="Posted from the portal.",
        via="portal",
        files=[SimpleUploadedFile("a.txt", b"hello", "text/plain")],
    )
    assert note.author == client_user and note.author_contact.email == client_user.email
    assert note.from_customer and note.is_public and note.attachments.count() == 1


def test_a_client_of_another_company_cannot_post(other_client, ticket):
    with pytest.raises(DomainError) as refused:
        conversation.ticket_customer_message(ticket=ticket, user=other_client, body="Hi")
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    "sender", ["partnerdesk@localhost", "reply+k-1-2-3-x@reply.localhost", "help@agency.test"]
)
def test_mail_from_our_own_addresses_is_dropped(mail_setup, held_mailbox, mailbox, sender):
    # (a forward rule sending our own email back to a mailbox would otherwise loop)
    assert feed(write_to_support(sender=sender), "support@agency.test") == "ignored own_address"
    assert not Ticket.objects.exists() and not mailbox.messages
