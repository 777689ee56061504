"""The client-portal ticket rows of the query-budget World (tests/budgets/world.py).

Per unit: a public reply by the agent with a file on the focus ticket ("Reply <i>", "reply-<i>"):
the portal's ticket page and ``GET /api/tickets/{id}/messages`` show each public message's
author and files without a query per message. (The ticket list grows with World's own
"Ticket <i>" rows; the customer messages by email come from tests/tickets/budget_world.py.)
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.tickets import services


def setup(world) -> None:
    """Nothing to focus on: the focus ticket is World's."""


def unit(world, i: int) -> None:
    services.ticket_note_add(
        ticket=world.ticket,
        by=world.agent,
        body=f"Reply {i:03} to the client",
        is_public=True,
        files=[SimpleUploadedFile(f"reply-{i}.txt", b"report", "text/plain")],
    )
