"""Issue 14's check, end to end: a client writes to the support address (the real inbound
command), the ticket appears in their portal; an agent replies from the ticket page, and the
email reaches the client over SMTP with the threading headers and a reply address; the agent
moves the ticket to a stage waiting on the client, who gets the status email; the client
answers by email, and the answer is on the staff ticket page and in the portal; the client then
writes once more from the portal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from partnerdesk.crm.models import Pipeline
from partnerdesk.notifications.inbound import read_token
from partnerdesk.tickets.models import (
    CustomerNotice,
    EmailKind,
    NoticeEvent,
    SupportMailbox,
    Ticket,
    TicketEmail,
    TicketNote,
    UnknownSenders,
)
from tests.tickets.conftest import *  # noqa: F403 (private_root, the SMTP server and its mailbox)
from tests.tickets.email_messages import feed, gmail, plain

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone

FIRST = "<first-request@mail.acme-dental.com>"


@pytest.fixture
def website_support(db):
    """web@agency.test opens Website Creation tickets (its entry stage needs nothing)."""
    pipeline = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    return SupportMailbox.objects.create(
        address="web@agency.test",
        pipeline=pipeline,
        entry_stage=pipeline.stages.get(is_entry=True),
        unknown_senders=UnknownSenders.CREATE_CONTACT,
    )


def test_a_client_writes_to_support_and_follows_the_ticket_in_the_portal(
    new_page, client_user, agent, website_support, mailbox, private_root, dispatch, settings
):
    settings.SITE_URL = "http://testserver"
    CustomerNotice.objects.filter(
        pipeline=website_support.pipeline, event=NoticeEvent.WAITING_ON_CUSTOMER
    ).update(enabled=True)

    # The client writes to the support address; the MTA pipes the mail to the inbound command.
    feed(
        plain(
            "The contact form on our website sends nothing.",
            sender=f"Client <{client_user.email}>",
            to=website_support.address,
            subject="Contact form broken",
            message_id=FIRST,
        ),
        website_support.address,
    )
    ticket = Ticket.objects.get(name="Contact form broken")
    assert ticket.company_id == client_user.company_id
    (acknowledgement,) = mailbox.to(client_user.email)
    assert f"#{ticket.pk}" in acknowledgement.subject

    # It appears in the client's portal, with the stage as they read it and our promise.
    client = new_page()
    sign_in(client, client_user.email)
    open_nav(client).get_by_role("link", name="Tickets", exact=True).click()
    row = client.locator(f'tr[data-ticket="{ticket.pk}"]')
    expect(row).to_contain_text(f"#{ticket.pk}")
    expect(row).to_contain_text("Contact form broken")
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text("We aim to resolve it by")
    row.get_by_role("link", name="Contact form broken").click()
    expect(client.locator("#conversation")).to_contain_text(
        "The contact form on our website sends nothing."
    )

    # An agent replies from the ticket page.
    staff = new_page()
    sign_in(staff, agent.email)
    staff.goto(f"/app/tickets/{ticket.pk}/")
    notes = staff.locator("#notes")
    notes.get_by_label("Note", exact=True).fill("Which browser do you use?")
    notes.get_by_label(re.compile("Reply to the customer")).check()
    notes.get_by_role("button", name="Add note").click()
    expect(staff.locator(".messages, [role=status]").first).to_contain_text(
        "Reply sent to the customer"
    )

    # The email arrives threaded: its own Message-ID, after the acknowledgement, referring to
    # the client's first email, with a reply address signed for this ticket and contact.
    reply = next(m for m in mailbox.to(client_user.email) if "Which browser" in m.text)
    sent = TicketEmail.objects.get(ticket=ticket, kind=EmailKind.REPLY)
    assert reply.message["Message-ID"] == sent.message_id
    assert reply.message["In-Reply-To"] == acknowledgement.message["Message-ID"]
    assert FIRST in str(reply.message["References"])
    assert f"#{ticket.pk}" in reply.subject
    reply_to = str(reply.message["Reply-To"])
    token = read_token(reply_to.split("@")[0][len("reply+") :])
    assert token.object_id == ticket.pk

    # Waiting on the client: the stage moves, the client gets the status email.
    staff.locator("#move-form").get_by_label("Stage").select_option(label="Waiting For Feedback")
    staff.locator("#move-form").get_by_role("button", name="Move").click()
    expect(staff.locator("#ticket-stage")).to_have_text("Waiting For Feedback")
    notice = TicketEmail.objects.get(ticket=ticket, kind=EmailKind.NOTICE)
    (waiting,) = [
        m for m in mailbox.to(client_user.email) if m.message["Message-ID"] == notice.message_id
    ]
    assert "We need something from you" in waiting.text
    client.goto("/portal/tickets/")
    expect(client.locator(f'tr[data-ticket="{ticket.pk}"]')).to_contain_text("Waiting on you")

    # The client answers the reply by email (Gmail, quoting it).
    feed(
        gmail(
            "Firefox 140 on Windows.",
            sender=f"Client <{client_user.email}>",
            to=reply_to,
            subject="Re: " + reply.subject,
            message_id="<answer@mail.acme-dental.com>",
            in_reply_to=str(reply.message["Message-ID"]),
            references=f"{reply.message['References']} {reply.message['Message-ID']}",
        ),
        reply_to,
    )
    answer = TicketNote.objects.get(ticket=ticket, body__startswith="Firefox 140")
    assert answer.from_customer and answer.is_public

    # On the staff ticket page ...
    staff.reload()
    customer = staff.locator("#notes article.from-customer", has_text="Firefox 140")
    expect(customer).to_contain_text("by email")
    expect(customer).not_to_contain_text("Which browser do you use?")  # the quote is gone
    # ... and in the portal, after the agent's reply.
    client.goto(f"/portal/tickets/{ticket.pk}/")
    conversation = client.locator("#conversation")
    expect(conversation).to_contain_text("Which browser do you use?")
    expect(conversation).to_contain_text("Firefox 140 on Windows.")
    expect(conversation).not_to_contain_text("wrote:")

    # The client writes once more, from the portal this time.
    client.get_by_label("Your message").fill("It works in Chrome, by the way.")
    client.get_by_role("button", name="Send").click()
    expect(client.locator(".messages, [role=status]").first).to_contain_text("Message sent")
    expect(conversation).to_contain_text("It works in Chrome, by the way.")
    staff.reload()
    expect(staff.locator("#notes article.from-customer", has_text="Chrome")).to_contain_text(
        "in the portal"
    )
