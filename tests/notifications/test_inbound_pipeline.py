"""The one inbound pipeline (notifications.inbound) that task and ticket replies share: one
command, one listener, one set of rules for automatic mail, signed reply tokens per kind (the
tasks' four-part tokens unchanged), and the routing order: reply address, then thread, then
mailbox, else a bounce."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from partnerdesk.core import clock
from partnerdesk.notifications.inbound import BadToken, read_token, routing, tokens
from partnerdesk.notifications.models import BounceSent
from partnerdesk.portal import mail as task_mail
from partnerdesk.portal import services as task_services
from partnerdesk.portal.models import Message, Via
from partnerdesk.tickets import mail as ticket_mail
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.models import TicketNote
from tests.portal.conftest import submit
from tests.tickets.conftest import *  # noqa: F403 (the ticket fixtures, the SMTP server)
from tests.tickets.email_messages import feed, plain

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 2, 1, 10, 0, tzinfo=dt.UTC)


# ---------------------------------------------------------------- tokens


def test_task_tokens_keep_their_four_part_shape_and_ticket_tokens_have_a_prefix(db):
    task_token = task_mail.make_token(12, 34, now=NOW)
    assert len(task_token.split("-")) == 4
    assert read_token(task_token).kind == "task"
    ticket_token = tokens.make_token("ticket", 12, 34, now=NOW)
    assert ticket_token.startswith("k-") and len(ticket_token.split("-")) == 5
    parsed = read_token(ticket_token)
    assert (parsed.kind, parsed.object_id, parsed.person_id, parsed.issued_at) == (
        "ticket",
        12,
        34,
        NOW,
    )
    # The signature is salted per kind: a task token's signature never signs a ticket.
    forged = "k-" + task_token
    with pytest.raises(BadToken):
        read_token(forged)
    with pytest.raises(BadToken):
        read_token("z-1-2-3-" + "a" * 24)  # a prefix nobody registered
    assert ticket_mail.reply_address(12, 34).startswith("reply+k-")


def test_every_kind_has_its_handlers_registered_by_its_app():
    assert set(routing.REPLY_HANDLERS) >= {"task", "ticket"}
    assert "ticket" in routing.THREAD_FINDERS and "ticket" in routing.MAILBOX_FINDERS


# ---------------------------------------------------------------- one command for both


@pytest.fixture
def conversations(mailbox, client_user, agent, ticket, contact, private_root):
    """A task and a ticket, each with a message from the agency waiting for an answer."""
    task = submit(client_user, "Merge duplicate contacts")
    task_services.task_accept(by=agent, task=task, estimate_minutes="2h")
    task_services.message_post(by=agent, task=task, body="Which one survives?")
    ticket_services.ticket_note_add(ticket=ticket, by=agent, body="A screenshot?", is_public=True)
    task_email = next(m for m in mailbox.to(client_user.email) if m.message["Reply-To"])
    (ticket_email,) = mailbox.to(contact.email)
    mailbox.messages.clear()
    return task_email, ticket_email


def out_of_office(received, sender, **headers) -> bytes:
    return plain(
        "I am out of the office until Monday and will answer on my return.",
        sender=sender,
        to=str(received.message["Reply-To"]),
        subject="Automatic reply: " + received.subject,
        message_id=headers.pop("message_id"),
        in_reply_to=str(received.message["Message-ID"]),
        **headers,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "yes"},
        {"Precedence": "auto_reply"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {},  # the subject alone ("Automatic reply: …")
    ],
    ids=["auto-submitted", "x-autoreply", "x-autorespond", "auto_reply", "bulk", "junk", "subject"],
)
def test_an_out_of_office_posts_nothing_on_a_task_or_a_ticket_and_sends_nothing(
    conversations, client_user, contact, mailbox, headers
):
    task_email, ticket_email = conversations
    raw_task = out_of_office(task_email, client_user.email, message_id="<ooo-1@x>", **headers)
    raw_ticket = out_of_office(ticket_email, contact.email, message_id="<ooo-2@x>", **headers)
    assert feed(raw_task) == "ignored automatic"
    assert feed(raw_ticket) == "ignored automatic"
    assert not Message.objects.filter(via=Via.EMAIL).exists()
    assert not TicketNote.objects.filter(from_customer=True).exists()
    assert not mailbox.messages  # no forward to the agency, no bounce


def test_the_same_command_posts_on_a_task_and_on_a_ticket(conversations, client_user, contact):
    task_email, ticket_email = conversations
    for received, sender, mid in (
        (task_email, client_user.email, "<a@x>"),
        (ticket_email, contact.email, "<b@x>"),
    ):
        raw = plain(
            "The newest one.",
            sender=sender,
            to=str(received.message["Reply-To"]),
            subject="Re: " + received.subject,
            message_id=mid,
        )
        assert feed(raw) == "posted"
    assert Message.objects.get(via=Via.EMAIL).body == "The newest one."
    assert TicketNote.objects.get(from_customer=True).body == "The newest one."


def test_exit_codes_are_unchanged(db):
    with pytest.raises(SystemExit) as not_an_email:
        call_command("inbound_email", stdin=io.BytesIO(b"   "))
    assert not_an_email.value.code == 65


def test_a_temporary_failure_asks_the_mta_to_retry(db, monkeypatch):
    def broken(inbound):
        raise ConnectionError("database down")

    monkeypatch.setitem(routing.MAILBOX_FINDERS, "ticket", broken)
    raw = plain(
        "Hello", sender="x@y.example", to="support@agency.test", subject="Hi", message_id="<t@x>"
    )
    with pytest.raises(SystemExit) as failure:
        call_command(
            "inbound_email", stdin=io.BytesIO(raw), stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert failure.value.code == 75


def test_the_reply_address_wins_over_the_thread_headers(conversations, contact, ticket, mailbox):
    _task_email, ticket_email = conversations
    # A forged reply address bounces, even though In-Reply-To names a real ticket email.
    raw = plain(
        "Sneaky",
        sender=contact.email,
        to=f"reply+k-1-1-1-{'a' * 24}@reply.localhost",
        subject="Re: x",
        message_id="<sneaky@x>",
        in_reply_to=str(ticket_email.message["Message-ID"]),
    )
    assert feed(raw) == "bounced forged"
    assert not TicketNote.objects.filter(from_customer=True).exists()


def test_a_sender_gets_a_few_bounces_an_hour_then_silence(db, mailbox, settings, monkeypatch):
    """A responder that sends none of the automatic-mail headers, writing to an address that is
    not ours, would get a bounce for each message, and answer each one: a loop."""
    settings.PARTNERDESK_BOUNCE_RATE_LIMIT = 3
    now = [NOW]
    monkeypatch.setattr(clock, "now", lambda: now[0])

    def write(n: int) -> str:
        raw = plain("Thanks for your message.", sender="bot@loop.example",
                    to="nobody@reply.localhost", subject="Re: Hello",
                    message_id=f"<loop-{n}@x>")  # fmt: skip
        return feed(raw)

    assert [write(n) for n in range(5)] == ["bounced no_token"] * 3 + ["ignored bounce_limit"] * 2
    assert len(mailbox.to("bot@loop.example")) == 3
    now[0] = NOW + dt.timedelta(hours=1, minutes=1)  # an hour later the sender is told again
    assert write(5) == "bounced no_token"
    assert BounceSent.objects.filter(address="bot@loop.example").count() == 4
    now[0] = NOW + dt.timedelta(days=2)  # a day's rows are forgotten as new ones are written
    assert write(6) == "bounced no_token"
    assert BounceSent.objects.filter(address="bot@loop.example").count() == 1
