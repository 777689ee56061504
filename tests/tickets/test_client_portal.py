"""The client's tickets in the portal (issue 14, part 5): the company's tickets with their number,
subject, the stage as the customer reads it and the promise of our next answer; a ticket's
public conversation with its files and a reply form that posts as the client; internal notes,
properties (secret or not) and other companies' tickets never shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from partnerdesk.crm.models import Stage
from partnerdesk.tickets import conversation, services
from partnerdesk.tickets.models import Ticket, TicketAttachment, TicketNote, Via
from tests.conftest import login
from tests.tickets import SECRET, H, move, open_ticket, ticket_stage

pytestmark = pytest.mark.django_db

INTERNAL = "Internal: the client is on the old plan, do not offer the discount"
REPLY = "We found the cause and are fixing it."
QUESTION = "Is it fixed yet?"


def upload(name="screenshot.png", data=b"\x89PNG\r\n\x1a\n fake", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def domain_ticket(agent, company, contact):
    """A ticket with a secret property (the registrar password) and a description."""
    return open_ticket(
        agent,
        "Domain Related Requests",
        "Connect External Domain",
        now=timezone.now() - H,
        company=company,
        contact=contact,
        name="Connect acme-dental.com",
        description="Staff only: customer sent the password by phone",
    )


@pytest.fixture
def conversation_ticket(agent, client_user, domain_ticket, private_root):
    """An internal note (with a file), an agent's public reply (with a file) and a message
    from the client."""
    services.ticket_note_add(
        ticket=domain_ticket, by=agent, body=INTERNAL, files=[upload("internal.png")]
    )
    services.ticket_note_add(
        ticket=domain_ticket, by=agent, body=REPLY, is_public=True, files=[upload("fix.png")]
    )
    conversation.ticket_customer_message(
        ticket=domain_ticket, body=QUESTION, user=client_user, via=Via.PORTAL
    )
    return domain_ticket


@pytest.fixture
def foreign_ticket(agent, other_company):
    return open_ticket(
        agent,
        "Bug Investigation",
        now=timezone.now() - H,
        company=other_company,
        name="Other company's outage",
    )


def page(user, name, **kwargs):
    return login(user).get(reverse(f"portal_tickets:{name}", kwargs=kwargs or None))


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_company_tickets_as_the_customer_reads_them(
    client_user, ticket, domain_ticket, foreign_ticket
):
    response = page(client_user, "list")
    assert response.status_code == 200
    body = response.content.decode()
    for t in (ticket, domain_ticket):
        assert f"#{t.pk}" in body and t.name in body
    assert "Other company" not in body and f'data-ticket="{foreign_ticket.pk}"' not in body
    # the stage as the customer reads it (blank label: by kind), and the first-response promise
    assert ">Open<" in body
    assert "We answer by" in body
    assert SECRET not in body and "Staff only" not in body


def test_the_list_filters_open_and_resolved(agent, client_user, ticket, domain_ticket):
    move(ticket, "Resolved By Support", by=agent, now=timezone.now())
    open_page = page(client_user, "list").content.decode()
    assert domain_ticket.name in open_page and ticket.name not in open_page
    closed = login(client_user).get(reverse("portal_tickets:list"), {"status": "closed"})
    body = closed.content.decode()
    assert ticket.name in body and domain_ticket.name not in body
    assert ">Resolved<" in body
    every = login(client_user).get(reverse("portal_tickets:list"), {"status": "all"})
    assert ticket.name in every.content.decode() and domain_ticket.name in every.content.decode()
    bogus = login(client_user).get(reverse("portal_tickets:list"), {"status": "x", "page": "abc"})
    assert bogus.status_code == 200


def test_the_list_pages_with_the_capped_paginator(agent, client_user, company):
    for i in range(23):
        open_ticket(agent, "Website Creation", now=timezone.now(), company=company, name=f"T{i:02}")
    first = page(client_user, "list").content.decode()
    assert first.count("data-ticket=") == 20 and "Page 1 of 2" in first
    second = login(client_user).get(reverse("portal_tickets:list"), {"page": 2}).content.decode()
    assert second.count("data-ticket=") == 3


def test_the_customer_label_and_the_waiting_label(agent, client_user, company):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now(), company=company)
    stage = ticket_stage("Website Creation", "Waiting For Feedback")
    assert stage.customer_status == "Waiting on you"
    move(ticket, stage.name, by=agent, now=timezone.now())
    body = page(client_user, "list").content.decode()
    assert "Waiting on you" in body
    assert "We answer by" not in body  # no promise while we wait on them
    Stage.objects.filter(pk=stage.pk).update(customer_label="We need your screenshot")
    assert "We need your screenshot" in page(client_user, "list").content.decode()


def test_the_promise_moves_to_the_resolution_once_answered(agent, client_user, ticket):
    services.ticket_note_add(ticket=ticket, by=agent, body="On it.", is_public=True)
    ticket.refresh_from_db()
    body = page(client_user, "list").content.decode()
    if ticket.resolution_due_at is not None:
        assert "We aim to resolve it by" in body
    assert "We answer by" not in body


def test_staff_and_anonymous_do_not_get_the_portal_pages(agent, admin, client, ticket):
    for user in (agent, admin):
        assert page(user, "list").status_code == 404
        assert page(user, "detail", pk=ticket.pk).status_code == 404
    response = client.get(reverse("portal_tickets:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---------------------------------------------------------------- a ticket


def test_the_detail_shows_only_the_public_conversation(client_user, conversation_ticket):
    response = page(client_user, "detail", pk=conversation_ticket.pk)
    assert response.status_code == 200
    body = response.content.decode()
    assert REPLY in body and QUESTION in body
    assert "fix.png" in body
    # never: the internal note, its file, the secret or any property, the description
    assert INTERNAL not in body and "internal.png" not in body
    assert SECRET not in body and "registrar" not in body.lower()
    assert "Staff only" not in body
    assert "Agent" in body  # the agent's name on their reply
    assert body.index(REPLY) < body.index(QUESTION)  # oldest first


def test_another_company_ticket_is_the_same_404_as_a_missing_one(other_client, conversation_ticket):
    found = page(other_client, "detail", pk=conversation_ticket.pk)
    missing = page(other_client, "detail", pk=999_999)
    assert found.status_code == missing.status_code == 404
    reply = login(other_client).post(
        reverse("portal_tickets:reply", kwargs={"pk": conversation_ticket.pk}), {"body": "Hi"}
    )
    assert reply.status_code == 404
    assert not TicketNote.objects.filter(body="Hi").exists()
    public = TicketAttachment.objects.get(name="fix.png")
    assert page(other_client, "attachment", pk=public.pk).status_code == 404


def test_files_of_public_messages_only(client_user, conversation_ticket):
    public = TicketAttachment.objects.get(name="fix.png")
    internal = TicketAttachment.objects.get(name="internal.png")
    response = page(client_user, "attachment", pk=public.pk)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Content-Security-Policy"] == "sandbox"
    assert page(client_user, "attachment", pk=internal.pk).status_code == 404


# ---------------------------------------------------------------- replying


def test_the_client_replies_with_files(client_user, ticket, private_root):
    response = login(client_user).post(
        reverse("portal_tickets:reply", kwargs={"pk": ticket.pk}),
        {
            "body": "Here is the screenshot.",
            "attachments": [upload(), upload("log.txt", b"x", "text/plain")],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal_tickets:detail", kwargs={"pk": ticket.pk})
    note = TicketNote.objects.get(body="Here is the screenshot.")
    assert note.from_customer and note.is_public and note.via == Via.PORTAL
    assert note.author == client_user
    assert note.author_contact.email == client_user.email
    assert sorted(a.name for a in note.attachments.all()) == ["log.txt", "screenshot.png"]
    body = page(client_user, "detail", pk=ticket.pk).content.decode()
    assert "Here is the screenshot." in body and "log.txt" in body


def test_a_refused_file_is_a_form_error_and_nothing_is_posted(client_user, ticket, private_root):
    response = login(client_user).post(
        reverse("portal_tickets:reply", kwargs={"pk": ticket.pk}),
        {
            "body": "With a program",
            "attachments": [upload("setup.exe", b"MZ", "application/x-msdownload")],
        },
    )
    assert response.status_code == 400
    assert 'id="err-attachments"' in response.content.decode()
    assert not TicketNote.objects.filter(body="With a program").exists()
    assert not TicketAttachment.objects.exists()


def test_an_empty_reply_is_a_form_error(client_user, ticket):
    response = login(client_user).post(
        reverse("portal_tickets:reply", kwargs={"pk": ticket.pk}), {"body": "   "}
    )
    assert response.status_code == 400
    assert 'id="err-body"' in response.content.decode()


def test_a_reply_to_a_resolved_ticket_reopens_it(agent, client_user, ticket):
    move(ticket, "Resolved By Support", by=agent, now=timezone.now())
    response = login(client_user).post(
        reverse("portal_tickets:reply", kwargs={"pk": ticket.pk}), {"body": "Broken again"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.closed_at is None


def test_a_reply_long_after_resolution_opens_a_follow_up(agent, client_user, ticket, settings):
    move(ticket, "Resolved By Support", by=agent, now=timezone.now() - dt.timedelta(days=30))
    response = login(client_user).post(
        reverse("portal_tickets:reply", kwargs={"pk": ticket.pk}), {"body": "Broken again"}
    )
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert response["Location"] == reverse("portal_tickets:detail", kwargs={"pk": follow_up.pk})
    body = page(client_user, "detail", pk=follow_up.pk).content.decode()
    assert f"#{ticket.pk}" in body and "Broken again" in body


# ---------------------------------------------------------------- the portal home, the stage form


def test_the_portal_home_lists_the_open_tickets(client_user, ticket, foreign_ticket):
    body = login(client_user).get(reverse("portal:home")).content.decode()
    assert 'id="your-tickets"' in body and ticket.name in body
    assert foreign_ticket.name not in body


def test_the_stage_form_edits_the_customer_label(admin):
    stage = ticket_stage("Website Creation", "Waiting For Feedback")
    response = login(admin).post(
        reverse("crm:stage_edit", kwargs={"pk": stage.pk}),
        {
            "name": stage.name,
            "kind": stage.kind,
            "waiting_on_customer": "on",
            "customer_label": "Waiting for your answer",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stage.refresh_from_db()
    assert stage.customer_label == "Waiting for your answer"
    assert stage.customer_status == "Waiting for your answer"


def test_customer_status_by_kind():
    assert Stage(kind="open").customer_status == "Open"
    assert Stage(kind="open", waiting_on_customer=True).customer_status == "Waiting on you"
    assert Stage(kind="closed").customer_status == "Resolved"
    assert Stage(kind="closed", customer_label="Done").customer_status == "Done"
