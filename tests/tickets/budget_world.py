"""The tickets-by-email rows of the query-budget World (tests/budgets/world.py).

Per unit: a support mailbox ("support<i>@agency.test", the mailbox settings page), an email
held from an unknown sender ("Held <i>", the unknown-sender queue), and a message from the
focus contact by email with a file on the focus ticket ("Note <i> by email": its page shows
each note's author contact and files without a query per note).
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.tickets import conversation
from partnerdesk.tickets.models import SupportMailbox, UnknownSenders


def setup(world) -> None:
    world.support_mailbox = SupportMailbox.objects.create(
        address="support@agency.test",
        pipeline=world.ticket_pipeline,
        entry_stage=world.ticket_pipeline.stages.get(is_entry=True),
        unknown_senders=UnknownSenders.HOLD,
    )


def unit(world, i: int) -> None:
    SupportMailbox.objects.create(
        address=f"support{i:03}@agency.test",
        pipeline=world.ticket_pipeline,
        entry_stage=world.support_mailbox.entry_stage,
    )
    conversation.held_email_create(
        mailbox=world.support_mailbox,
        raw=f"From: held{i}@nowhere.example\r\nSubject: Held {i:03}\r\n\r\nHello\r\n".encode(),
        sender=f"held{i}@nowhere.example",
        sender_name=f"Stranger {i}",
        subject=f"Held {i:03}",
        body="Hello",
        message_id=f"<held-{i}@nowhere.example>",
    )
    conversation.ticket_customer_message(
        ticket=world.ticket,
        contact=world.contact,
        body=f"Note {i:03} by email",
        files=[SimpleUploadedFile(f"shot-{i}.png", b"\x89PNG", "image/png")],
        email_message_id=f"<budget-{i}@acme-dental.com>",
        email_from=world.contact.email,
    )
