"""The client ticket API (issue 14, part 5): a client user lists their company's tickets as the
customer reads them, reads a ticket's public conversation (never an internal note) and writes
to it; another company's ticket is a 404 like a missing one; staff read the same view but
write with the notes API; bad input is a JSON problem."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partnerdesk.tickets import services
from partnerdesk.tickets.models import TicketNote, Via
from tests.tickets import SECRET, H, move, open_ticket

pytestmark = pytest.mark.django_db

INTERNAL = "Internal: do not tell the client about the outage"


@pytest.fixture
def foreign_ticket(agent, other_company):
    return open_ticket(
        agent, "Bug Investigation", now=timezone.now() - H, company=other_company, name="Foreign"
    )


@pytest.fixture
def secret_ticket(agent, company, contact):
    return open_ticket(
        agent,
        "Domain Related Requests",
        "Connect External Domain",
        now=timezone.now() - H,
        company=company,
        contact=contact,
        name="Connect the domain",
    )


def test_a_client_lists_the_company_tickets_only(
    api_client_for, client_user, ticket, secret_ticket, foreign_ticket
):
    response = api_client_for(client_user).get("/api/portal/tickets")
    assert response.status_code == 200
    data = response.json()
    assert {t["id"] for t in data["items"]} == {ticket.pk, secret_ticket.pk}
    assert data["count"] == 2 and data["count_is_exact"]
    row = next(t for t in data["items"] if t["id"] == ticket.pk)
    assert row["subject"] == "Invoice page error"
    assert row["status"] == "Open" and row["state"] == "open"
    assert row["promise"]["kind"] == "answer" and row["promise"]["late"] is False
    assert SECRET not in response.content.decode()
    assert "properties" not in row and "description" not in row


def test_the_status_filter_and_one_ticket(
    api_client_for, agent, client_user, ticket, secret_ticket
):
    move(ticket, "Resolved By Support", by=agent, now=timezone.now())
    api = api_client_for(client_user)
    closed = api.get("/api/portal/tickets", {"status": "closed"}).json()
    assert [t["id"] for t in closed["items"]] == [ticket.pk]
    assert closed["items"][0]["state"] == "resolved" and closed["items"][0]["promise"] is None
    assert [t["id"] for t in api.get("/api/portal/tickets?status=open").json()["items"]] == [
        secret_ticket.pk
    ]
    bad = api.get("/api/portal/tickets", {"status": "maybe"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    one = api.get(f"/api/portal/tickets/{ticket.pk}")
    assert one.status_code == 200 and one.json()["status"] == "Resolved"


def test_the_conversation_is_public_only(api_client_for, agent, client_user, ticket):
    services.ticket_note_add(ticket=ticket, by=agent, body=INTERNAL)
    services.ticket_note_add(ticket=ticket, by=agent, body="We are looking.", is_public=True)
    response = api_client_for(client_user).get(f"/api/tickets/{ticket.pk}/messages")
    assert response.status_code == 200
    messages = response.json()
    assert [m["body"] for m in messages] == ["We are looking."]
    assert messages[0]["from_customer"] is False and "Agent" in messages[0]["author"]
    assert INTERNAL not in response.content.decode()
    # staff read the same public view
    staff = api_client_for(agent).get(f"/api/tickets/{ticket.pk}/messages").json()
    assert [m["body"] for m in staff] == ["We are looking."]


def test_a_client_writes_on_the_ticket(api_client_for, client_user, ticket):
    response = api_client_for(client_user).post(
        f"/api/tickets/{ticket.pk}/messages", {"body": "Any news?"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["from_customer"] is True and data["ticket_id"] == ticket.pk
    note = TicketNote.objects.get(pk=data["id"])
    assert note.via == Via.API and note.author == client_user and note.is_public


def test_a_message_to_a_closed_ticket_says_where_it_went(
    api_client_for, agent, client_user, ticket
):
    move(ticket, "Resolved By Support", by=agent, now=timezone.now() - 30 * 24 * H)
    response = api_client_for(client_user).post(
        f"/api/tickets/{ticket.pk}/messages", {"body": "Again"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["ticket_id"] != ticket.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": ""}, "body"), ({"body": "x" * 20_001}, "body"), ({"text": "Hi"}, "text")],
)
def test_bad_messages_are_problems(api_client_for, client_user, ticket, body, field):
    response = api_client_for(client_user).post(
        f"/api/tickets/{ticket.pk}/messages", body, content_type="application/json"
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_input" and problem["message"]
    # (a field named "body" is reported without its name: api.api drops the location "body")
    assert (problem["field"] or field) == field
    assert not TicketNote.objects.filter(from_customer=True).exists()


def test_blank_text_is_a_problem_on_the_body(api_client_for, client_user, ticket):
    response = api_client_for(client_user).post(
        f"/api/tickets/{ticket.pk}/messages", {"body": "   "}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body"


def test_another_company_ticket_is_a_missing_one(api_client_for, other_client, ticket):
    api = api_client_for(other_client)
    for url in (f"/api/portal/tickets/{ticket.pk}", f"/api/tickets/{ticket.pk}/messages"):
        found, missing = api.get(url), api.get(url.replace(str(ticket.pk), "999999"))
        assert found.status_code == missing.status_code == 404
        assert found.json() == missing.json()
    post = api.post(
        f"/api/tickets/{ticket.pk}/messages", {"body": "Hi"}, content_type="application/json"
    )
    assert post.status_code == 404
    assert api.get("/api/portal/tickets").json()["items"] == []


def test_staff_write_with_the_notes_api_not_here(api_client_for, agent, ticket):
    response = api_client_for(agent).post(
        f"/api/tickets/{ticket.pk}/messages", {"body": "Hi"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_staff_ticket_api_stays_hidden_from_clients(api_client_for, client_user, ticket):
    api = api_client_for(client_user)
    assert api.get("/api/tickets").status_code == 404
    assert api.get(f"/api/tickets/{ticket.pk}/notes").status_code == 404


def test_a_client_attaches_a_file(api_client_for, client_user, other_client, ticket, private_root):
    api = api_client_for(client_user)
    screenshot = SimpleUploadedFile("error.png", b"\x89PNG fake", "image/png")
    response = api.post(f"/api/tickets/{ticket.pk}/attachments", {"file": screenshot})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["body"] == "error.png" and [a["name"] for a in data["attachments"]] == ["error.png"]
    listed = api.get(f"/api/tickets/{ticket.pk}/messages").json()
    assert listed[-1]["attachments"][0]["name"] == "error.png"
    # A type we do not take is refused with its reason, and nothing is posted.
    program = SimpleUploadedFile("setup.exe", b"MZ", "application/octet-stream")
    refused = api.post(f"/api/tickets/{ticket.pk}/attachments", {"file": program})
    assert refused.status_code == 422
    assert refused.json()["code"] == "file_type_not_allowed" and refused.json()["field"] == "file"
    assert TicketNote.objects.filter(from_customer=True).count() == 1
    # Another company's ticket is a missing one.
    other = api_client_for(other_client).post(
        f"/api/tickets/{ticket.pk}/attachments",
        {"file": SimpleUploadedFile("a.png", b"x", "image/png")},
    )
    assert other.status_code == 404
