"""The tickets per pipeline stage, owner and open or closed that the database keeps
(``tickets.totals``): right through every kind of write, and what the staff's ticket list,
API list and board count with (the kept total, not a count of the tickets)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from partnerdesk.core import totals
from partnerdesk.core.pagination import capped_count
from partnerdesk.tickets import selectors
from partnerdesk.tickets import services as tickets
from partnerdesk.tickets import totals as ticket_totals
from partnerdesk.tickets.models import Ticket, TicketCount
from tests.conftest import login
from tests.tickets import move, open_ticket

pytestmark = pytest.mark.django_db


def agrees() -> bool:
    return totals.differences(ticket_totals.TICKETS_PER_STAGE) == {}


@pytest.fixture
def some_tickets(admin, agent, company):
    now = timezone.now()
    made = [
        open_ticket(admin, name, now=now, company=company, owner=owner)
        for name in ("Email Creation", "Website Creation")
        for owner in (agent, admin, None)
    ]
    move(made[0], "Emails Delivered", by=admin, now=now)  # closed
    return made


def test_the_total_follows_every_kind_of_write(admin, agent, some_tickets):
    assert agrees()
    first, second = some_tickets[:2]
    tickets.ticket_update(ticket=second, by=admin, owner=agent)
    Ticket.objects.filter(owner=agent).update(owner=None)  # a bulk update
    Ticket.objects.filter(pk=first.pk).update(closed_at=None)  # reopened around the services
    Ticket.objects.filter(pk=second.pk).update(name="Renamed")  # none of the four
    Ticket.objects.filter(pk=some_tickets[-1].pk).delete()
    assert agrees()
    assert ticket_totals.ticket_count({}) == Ticket.objects.count() == 5
    assert ticket_totals.ticket_count({"owner": "none", "status": "open"}) == 4


def test_the_staff_list_counts_what_it_lists_for_every_kept_filter(agent, some_tickets):
    pipeline = some_tickets[0].pipeline
    stage = some_tickets[1].stage
    now = timezone.now()
    choices = {
        "pipeline": [None, str(pipeline.pk)],
        "stage": [None, str(stage.pk)],
        "owner": [None, str(agent.pk), "none"],
        "status": [None, "open", "closed"],
    }
    for values in itertools.product(*choices.values()):
        params = {k: v for k, v in zip(choices, values, strict=True) if v is not None}
        qs, active = selectors.filter_tickets(selectors.tickets_for(agent), params, now=now)
        assert selectors.list_count(agent, active, qs) == capped_count(qs), params


def test_the_staff_read_the_kept_total(agent, admin, some_tickets, api_client_for):
    pipeline = some_tickets[0].pipeline
    stage = some_tickets[1].stage
    # A figure the tickets do not have: whoever shows it read the kept total.
    TicketCount.objects.create(
        pipeline_id=pipeline.pk, stage_id=stage.pk, owner_id=agent.pk, is_open=True, n=5
    )
    mine = Ticket.objects.filter(owner=agent).count()
    body = api_client_for(agent).get("/api/tickets", {"owner": agent.pk}).json()
    assert body["count"] == mine + 5
    html = login(agent).get("/app/tickets/", {"owner": agent.pk, "status": "open"}).content
    assert f"{mine - 1 + 5} records" in html.decode()  # (one of them is closed)
    board = login(agent).get(f"/app/tickets/board/{pipeline.pk}/", {"owner": agent.pk})
    column = next(c for c in board.context["columns"] if c["stage"] == stage)
    assert (column["count"], column["exact"]) == (5, True)  # (the agent's there moved on)
    # Filters the total does not answer are counted.
    body = api_client_for(agent).get("/api/tickets", {"owner": agent.pk, "q": "e"}).json()
    assert body["count"] == Ticket.objects.filter(owner=agent, name__icontains="e").count()


def test_past_the_cap_the_kept_total_pages_like_a_count(agent, some_tickets, api_client_for):
    ticket = some_tickets[1]
    TicketCount.objects.create(
        pipeline_id=ticket.pipeline_id, stage_id=ticket.stage_id, is_open=True, n=20_000
    )
    body = api_client_for(agent).get("/api/tickets").json()
    assert (body["count"], body["count_is_exact"]) == (10_000, False)
    html = login(agent).get("/app/tickets/").content.decode()
    assert "More than 10,000 records" in html
