"""Permission-matrix routes of the client's tickets (issue 14, parts 4 and 5): the portal's ticket
pages and the client ticket API, and the settings of the status emails to customers, with the
fixtures they refer to (``Ref("...")``).

The portal pages are for client users of the ticket's company (staff: 404, like /portal/);
another company's ticket or file is the 404 of a missing one. Through the API a client reads
their company's tickets and public conversation and writes to it; staff read the same view of
any ticket but write with the notes API (a client's message: 403 for staff, refused for the role
before the body or the id is looked at). The customer emails' settings are admin pages.
``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import empty

from tests.matrix.vocab import (
    ADMIN_ONLY,
    API_OWNED_READ,
    API_READ,
    CLIENT_ONLY,
    LOGIN,
    E,
    Redirect,
    Ref,
    Route,
    get,
    op,
    post,
)

ROUTES: dict[str, Route] = {
    # ------------------------------------------------------------ portal pages
    "portal_tickets:list": Route(checks=(get(CLIENT_ONLY),)),
    "portal_tickets:detail": Route(
        checks=(get(E(LOGIN, 200, 404, 404, 404)),), kwargs={"pk": Ref("ticket")}, owned="pk"
    ),
    # Posted without a message: the form comes back with its error (400).
    "portal_tickets:reply": Route(
        checks=(post(E(LOGIN, 400, 404, 404, 404)),), kwargs={"pk": Ref("ticket")}, owned="pk"
    ),
    # A file of an agent's public reply on the company's ticket.
    "portal_tickets:attachment": Route(
        checks=(get(E(LOGIN, 200, 404, 404, 404)),),
        kwargs={"pk": Ref("public_ticket_file")},
        owned="pk",
    ),
    # ------------------------------------------------------------ API
    "GET /api/portal/tickets": op(API_READ),
    "GET /api/portal/tickets/{ticket_id}": op(
        API_OWNED_READ, ticket_id=Ref("ticket"), owned="ticket_id"
    ),
    "GET /api/tickets/{ticket_id}/messages": op(
        API_OWNED_READ, ticket_id=Ref("ticket"), owned="ticket_id"
    ),
    "POST /api/tickets/{ticket_id}/messages": op(
        E(401, 201, 404, 403, 403),
        {"body": "Matrix: any news?"},
        ticket_id=Ref("ticket"),
        owned="ticket_id",
    ),
    # Without a file the body is invalid (422) for the clients; staff are refused first.
    "POST /api/tickets/{ticket_id}/attachments": op(
        E(401, 422, 422, 403, 403), ticket_id=Ref("ticket")
    ),
    # ------------------------------------------------------------ Settings → Customer emails
    "ticket_notices:list": Route(checks=(get(ADMIN_ONLY),)),
    # Every field may be empty (the built-in texts): saved, back to the list.
    "ticket_notices:edit": Route(
        checks=(
            get(ADMIN_ONLY),
            post(
                E(LOGIN, 404, 404, 403, Redirect("/app/settings/customer-emails/", exact=True)),
                {"subject_en": "", "body_en": ""},
            ),
        ),
        kwargs={"pipeline_pk": Ref("ticket_pipeline"), "event": "resolved"},
    ),
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def portal_ticket_files(settings, tmp_path):
    from partnerdesk.core.files import private_storage

    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path / "portal-ticket-files"
    private_storage._wrapped = empty
    yield settings.PARTNERDESK_PRIVATE_ROOT
    private_storage._wrapped = empty


@pytest.fixture
def public_ticket_file(admin, ticket, portal_ticket_files):
    """A file of a public reply on ``ticket`` (of ``company``)."""
    from partnerdesk.tickets import services

    note = services.ticket_note_add(
        ticket=ticket,
        by=admin,
        body="Here is the report.",
        is_public=True,
        files=[SimpleUploadedFile("report.csv", b"a,b\n1,2\n", "text/csv")],
    )
    return note.attachments.get()
