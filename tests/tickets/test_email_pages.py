"""The staff pages of tickets by email: the public reply form (copies and files) emails the
customer, the conversation shows their answers and files, the unknown-sender queue opens or
discards held mail, and admins keep the support mailboxes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerdesk.tickets.models import (
    HeldEmail,
    HeldStatus,
    SupportMailbox,
    Ticket,
    TicketNote,
    UnknownSenders,
)
from tests.conftest import login
from tests.tickets import ticket_stage
from tests.tickets.email_messages import dash_signature, feed

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_reply_form_copies_contacts_and_sends_files(
    mailbox, agent, ticket, contact, colleague, outsider, private_root
):
    page = login(agent)
    detail = page.get(reverse("tickets:detail", kwargs={"pk": ticket.pk})).content.decode()
    assert "layla@acme-dental.com" in detail  # a contact of the company may be copied
    assert "olga@other.example" not in detail  # another company's may not
    assert "mario@acme-dental.com" in detail  # the reply goes to the ticket's contact
    response = page.post(
        reverse("tickets:note", kwargs={"pk": ticket.pk}),
        {
            "body": "Please try again now.",
            "is_public": "on",
            "cc": [colleague.pk],
            "attachments": [SimpleUploadedFile("fix.txt", b"steps", "text/plain")],
        },
    )
    assert response.status_code == 302
    (to_contact,) = mailbox.to(contact.email)
    (to_colleague,) = mailbox.to(colleague.email)
    assert "Please try again now." in to_contact.text
    assert [p.get_filename() for p in to_colleague.message.iter_attachments()] == ["fix.txt"]
    # The customer answers; the answer and the reply's file show on the page.
    answer = dash_signature(
        "Works now, thanks!",
        sender=contact.email,
        to=str(to_contact.message["Reply-To"]),
        subject="Re: " + to_contact.subject,
        message_id="<works@acme-dental.com>",
    )
    assert feed(answer) == "posted"
    detail = page.get(reverse("tickets:detail", kwargs={"pk": ticket.pk})).content.decode()
    assert "Works now, thanks!" in detail and "from the customer" in detail
    assert "fix.txt" in detail and "layla@acme-dental.com" in detail
    note = TicketNote.objects.get(body="Please try again now.")
    download = page.get(reverse("tickets:attachment", kwargs={"pk": note.attachments.get().pk}))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"steps"


def test_a_copy_to_another_companys_contact_is_refused_on_the_form(
    mailbox, agent, ticket, outsider, private_root
):
    response = login(agent).post(
        reverse("tickets:note", kwargs={"pk": ticket.pk}),
        {"body": "Hi", "is_public": "on", "cc": [outsider.pk]},
    )
    assert response.status_code == 422
    assert not TicketNote.objects.filter(body="Hi").exists() and not mailbox.messages


def test_a_refused_file_is_shown_beside_the_form(mailbox, agent, ticket, private_root):
    response = login(agent).post(
        reverse("tickets:note", kwargs={"pk": ticket.pk}),
        {
            "body": "Here",
            "is_public": "on",
            "attachments": [SimpleUploadedFile("virus.exe", b"MZ", "application/x-msdownload")],
        },
    )
    assert response.status_code == 422
    assert "virus.exe" in response.content.decode()
    assert not TicketNote.objects.filter(body="Here").exists() and not mailbox.messages


def test_an_internal_note_says_nothing_to_anybody(mailbox, agent, ticket, private_root):
    login(agent).post(reverse("tickets:note", kwargs={"pk": ticket.pk}), {"body": "Internal"})
    assert TicketNote.objects.get(body="Internal").is_public is False
    assert not mailbox.messages


def test_the_unknown_sender_queue_opens_or_discards(
    mailbox, agent, held_mailbox, private_root, company
):
    for n, sender in enumerate(["nadia@acme-dental.com", "spam@spam.example"]):
        raw = dash_signature(
            f"Request {n}",
            sender=sender,
            to="help@agency.test",
            subject=f"Held {n}",
            message_id=f"<held-{n}@x>",
        )
        assert feed(raw, "help@agency.test") == "held"
    page = login(agent)
    queue = page.get(reverse("tickets:held_list")).content.decode()
    assert "Held 0" in queue and "Held 1" in queue
    nadia, spam = HeldEmail.objects.order_by("received_at", "pk")
    opened = page.post(reverse("tickets:held_accept", kwargs={"pk": nadia.pk}))
    ticket = Ticket.objects.get()
    assert opened["Location"] == reverse("tickets:detail", kwargs={"pk": ticket.pk})
    assert ticket.company == company and ticket.contact.email == "nadia@acme-dental.com"
    page.post(reverse("tickets:held_discard", kwargs={"pk": spam.pk}))
    assert HeldEmail.objects.get(pk=spam.pk).status == HeldStatus.DISCARDED
    queue = page.get(reverse("tickets:held_list")).content.decode()
    assert "Held 0" not in queue and "Held 1" not in queue
    # Accepting twice: a message, not an error page.
    again = page.post(reverse("tickets:held_accept", kwargs={"pk": nadia.pk}), follow=True)
    assert again.status_code == 200 and Ticket.objects.count() == 1


def test_admins_add_and_change_a_mailbox(admin):
    page = login(admin)
    stage = ticket_stage("Bug Investigation", "New")
    response = page.post(
        reverse("tickets:mailbox_create"),
        {"address": "Support@Agency.test", "entry_stage": stage.pk, "unknown_senders": "hold"},
    )
    assert response.status_code == 302
    mailbox = SupportMailbox.objects.get()
    assert mailbox.address == "support@agency.test" and mailbox.pipeline == stage.pipeline
    assert mailbox.unknown_senders == UnknownSenders.HOLD and not mailbox.active
    listed = page.get(reverse("tickets:mailbox_list")).content.decode()
    assert "support@agency.test" in listed and "Bug Investigation" in listed
    page.post(
        reverse("tickets:mailbox_edit", kwargs={"pk": mailbox.pk}),
        {
            "address": "support@agency.test",
            "entry_stage": stage.pk,
            "unknown_senders": "create_contact",
            "active": "on",
        },
    )
    mailbox.refresh_from_db()
    assert mailbox.active and mailbox.unknown_senders == UnknownSenders.CREATE_CONTACT


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("support@reply.localhost", "reply addresses"),
        ("taken@agency.test", "already has this address"),
        ("not an address", "valid email"),
    ],
)
def test_a_mailbox_address_must_be_usable(admin, address, error):
    stage = ticket_stage("Bug Investigation", "New")
    SupportMailbox.objects.create(
        address="taken@agency.test", pipeline=stage.pipeline, entry_stage=stage
    )
    response = login(admin).post(
        reverse("tickets:mailbox_create"),
        {"address": address, "entry_stage": stage.pk, "unknown_senders": "hold"},
    )
    assert response.status_code == 400 and error in response.content.decode()
    assert SupportMailbox.objects.count() == 1


def test_only_an_entry_stage_can_be_chosen(admin):
    not_entry = ticket_stage("Bug Investigation", "Investigating")
    response = login(admin).post(
        reverse("tickets:mailbox_create"),
        {"address": "a@agency.test", "entry_stage": not_entry.pk, "unknown_senders": "hold"},
    )
    assert response.status_code == 400 and not SupportMailbox.objects.exists()


def test_the_api_replies_publicly_with_copies(
    api_client_for, mailbox, agent, ticket, contact, colleague, outsider, private_root
):
    api = api_client_for(agent)
    url = f"/api/tickets/{ticket.pk}/notes"
    response = api.post(
        url,
        {"body": "From the API.", "is_public": True, "cc_contact_ids": [colleague.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cc"] == [colleague.email] and body["via"] == "api"
    assert not body["from_customer"] and body["author_contact_id"] is None
    assert mailbox.to(contact.email) and mailbox.to(colleague.email)
    refused = api.post(
        url,
        {"body": "No.", "is_public": True, "cc_contact_ids": [outsider.pk]},
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused.json()["code"] == "cc_not_in_company"
    missing = api.post(
        url,
        {"body": "No.", "is_public": True, "cc_contact_ids": [999999]},
        content_type="application/json",
    )
    assert missing.status_code == 422
