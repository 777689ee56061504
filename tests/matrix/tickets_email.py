"""Permission-matrix routes of tickets by email (issue 14): a conversation's files, the
unknown-sender queue and the support mailboxes, with the fixtures they refer to.

Files and the queue are staff pages (a 404 for clients); mailboxes are configuration, for
admins (agents 403). ``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import empty

from tests.matrix.vocab import (
    ADMIN_INVALID_FORM,
    ADMIN_ONLY,
    LOGIN,
    STAFF,
    STAFF_POST_ONLY_GET,
    E,
    Redirect,
    Ref,
    Route,
    get,
    post,
    post_form,
)

# Accepting or discarding goes back to the tickets (the ticket opened, or the queue).
_TO_TICKETS = Redirect("/app/tickets/")

ROUTES: dict[str, Route] = {
    "tickets:attachment": Route(
        checks=(get(STAFF),), kwargs={"pk": Ref("ticket_attachment")}, owned="pk"
    ),
    "tickets:held_list": Route(checks=(get(STAFF),)),
    "tickets:held_accept": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, _TO_TICKETS, _TO_TICKETS))),
        kwargs={"pk": Ref("held_email")},
    ),
    "tickets:held_discard": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, _TO_TICKETS, _TO_TICKETS))),
        kwargs={"pk": Ref("held_email")},
    ),
    "tickets:mailbox_list": Route(checks=(get(ADMIN_ONLY),)),
    "tickets:mailbox_create": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    "tickets:mailbox_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)),
        kwargs={"pk": Ref("support_mailbox")},
    ),
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def ticket_files_root(settings, tmp_path):
    from partnerdesk.core.files import private_storage

    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path / "ticket-files"
    private_storage._wrapped = empty
    yield settings.PARTNERDESK_PRIVATE_ROOT
    private_storage._wrapped = empty


@pytest.fixture
def ticket_attachment(admin, ticket, ticket_files_root):
    """A file on an internal note of ``ticket`` (of ``company``)."""
    from partnerdesk.tickets import services

    note = services.ticket_note_add(
        ticket=ticket,
        by=admin,
        body="See the file.",
        files=[SimpleUploadedFile("export.csv", b"a,b\n1,2\n", "text/csv")],
    )
    return note.attachments.get()


@pytest.fixture
def support_mailbox(ticket_pipeline, entry_stage):
    from partnerdesk.tickets.models import SupportMailbox, UnknownSenders

    return SupportMailbox.objects.create(
        address="matrix-support@agency.test",
        pipeline=ticket_pipeline,
        entry_stage=entry_stage,
        unknown_senders=UnknownSenders.HOLD,
    )


@pytest.fixture
def held_email(support_mailbox, ticket_files_root):
    from partnerdesk.tickets import conversation

    raw = (
        b"From: Stranger <stranger@nowhere.example>\r\nTo: matrix-support@agency.test\r\n"
        b"Subject: Hello\r\nMessage-ID: <matrix-held@nowhere.example>\r\n\r\nPlease help.\r\n"
    )
    return conversation.held_email_create(
        mailbox=support_mailbox,
        raw=raw,
        sender="stranger@nowhere.example",
        sender_name="Stranger",
        subject="Hello",
        body="Please help.",
        message_id="<matrix-held@nowhere.example>",
    )
