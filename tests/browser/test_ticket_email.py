"""A ticket conversation by email, end to end: the agent replies publicly from the ticket page
with a colleague of the contact copied and a file attached; both receive the email over real
SMTP, threaded and with their own reply address; the contact answers from Gmail through the
inbound SMTP listener; the answer, without its quoted history, shows on the ticket page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.notifications.inbound import read_token
from partnerdesk.tickets.models import TicketEmail, TicketNote
from tests.tickets.conftest import *  # noqa: F403 (contact, colleague, ticket, the SMTP server)
from tests.tickets.email_messages import gmail, send_over_smtp

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone


def test_an_agent_replies_by_email_and_the_contacts_answer_shows_on_the_ticket(
    page: Page, agent, ticket, contact, colleague, mailbox, private_root, tmp_path
):
    sign_in(page, agent.email)
    page.goto(f"/app/tickets/{ticket.pk}/")
    notes = page.locator("#notes")
    expect(notes.locator("#reply-to")).to_contain_text(contact.email)

    notes.get_by_label("Note", exact=True).fill("Could you send a screenshot of the error?")
    notes.get_by_label(re.compile("Reply to the customer")).check()
    notes.get_by_label(f"Layla Hassan <{colleague.email}>").check()
    steps = tmp_path / "steps.txt"
    steps.write_text("1. Open an invoice\n2. Click Save\n")
    notes.get_by_label("Attachments").set_input_files(str(steps))
    notes.get_by_role("button", name="Add note").click()
    expect(page.locator(".messages, [role=status]").first).to_contain_text(
        "Reply sent to the customer"
    )
    expect(notes).to_contain_text(f"copied to {colleague.email}")
    expect(notes.get_by_role("link", name="steps.txt")).to_be_visible()

    # Each received it over SMTP: the text, the file, threading headers, their reply address.
    (to_contact,) = mailbox.to(contact.email)
    (to_colleague,) = mailbox.to(colleague.email)
    assert "Could you send a screenshot of the error?" in to_contact.text
    assert [p.get_filename() for p in to_contact.message.iter_attachments()] == ["steps.txt"]
    note = TicketNote.objects.get(body="Could you send a screenshot of the error?")
    logged = {e.address: e.message_id for e in TicketEmail.objects.filter(note=note)}
    assert str(to_contact.message["Message-ID"]).strip() == logged[contact.email]
    assert str(to_colleague.message["Message-ID"]).strip() == logged[colleague.email]
    assert colleague.email in str(to_contact.message["Cc"])
    reply_to = str(to_contact.message["Reply-To"])
    token = read_token(reply_to.split("@")[0][len("reply+") :])
    assert (token.object_id, token.person_id) == (ticket.pk, contact.pk)

    # The contact answers from Gmail; the mail reaches the inbound SMTP listener.
    answer = gmail(
        "Here it is: the error appears after Save.",
        sender=f"Mario Rossi <{contact.email}>",
        to=reply_to,
        subject="Re: " + to_contact.subject,
        message_id="<answer@mail.acme-dental.com>",
        in_reply_to=str(to_contact.message["Message-ID"]),
        references=str(to_contact.message["Message-ID"]),
    )
    assert send_over_smtp(
        answer,
        sender=contact.email,
        recipients=[reply_to],
        until=lambda: TicketNote.objects.filter(from_customer=True).exists(),
    )

    page.reload()
    answer_note = notes.locator("article.from-customer")
    expect(answer_note).to_contain_text("Here it is: the error appears after Save.")
    expect(answer_note).to_contain_text("Mario Rossi")
    expect(answer_note).to_contain_text("by email")
    expect(answer_note).not_to_contain_text("wrote:")
