"""The SLA rules the README states beyond SLA-CALENDAR.md, one test each (issue 9, point 17).

- a pause that starts after a due time does not move it: see
  tests/tickets/test_sla_defaults.py::test_website_creation_pause_after_the_due_time_stays_breached;
- once the first response is given, later pauses no longer move the first-response due time,
  and the target shows as met;
- closing a ticket without a first response records one at closing;
- reopening counts the time spent closed as paused: see
  tests/tickets/test_services.py::test_reopening_clears_closed_at_and_the_met_flag.
"""

from __future__ import annotations

import pytest

from partnerdesk.sla.models import FirstResponseBy, SlaPolicy, Unit
from partnerdesk.tickets.models import SlaState
from partnerdesk.tickets.sla_state import ticket_state
from tests.tickets import cairo, move, open_ticket, reload, ticket_pipeline

pytestmark = pytest.mark.django_db

NOW = cairo(2026, 2, 1, 10, 0)  # a Sunday, a working day on the agency calendar


def first_response_within(pipeline_name: str, minutes: int) -> None:
    SlaPolicy.objects.filter(pipeline=ticket_pipeline(pipeline_name)).update(
        first_response_amount=minutes,
        first_response_unit=Unit.CALENDAR,
        first_response_by=FirstResponseBy.REPLY_OR_MOVE,
    )


def test_pauses_after_the_first_response_do_not_move_its_due_time(agent):
    first_response_within("Website Creation", 24 * 60)
    ticket = open_ticket(agent, "Website Creation", now=NOW)
    assert ticket.first_response_due_at == cairo(2026, 2, 2, 10, 0)
    # Leaving the entry stage answers the customer; the stage waits on them (a pause).
    ticket = move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 1, 11, 0))
    ticket = move(ticket, "Working On The Website", by=agent, now=cairo(2026, 2, 1, 15, 0))
    ticket = reload(ticket)
    assert ticket.first_response_at == cairo(2026, 2, 1, 11, 0)
    assert ticket.first_response_due_at == cairo(2026, 2, 2, 10, 0)  # not 14:00
    assert ticket.first_response_met is True
    # The resolution clock did pause: 14 days plus the four paused hours.
    assert ticket.resolution_due_at == cairo(2026, 2, 15, 14, 0)


def test_a_pause_before_the_first_response_still_moves_its_due_time(agent):
    first_response_within("Website Creation", 24 * 60)
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Website Creation")).update(
        first_response_by=FirstResponseBy.REPLY
    )
    ticket = open_ticket(agent, "Website Creation", now=NOW)
    ticket = move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 1, 11, 0))
    ticket = move(ticket, "Working On The Website", by=agent, now=cairo(2026, 2, 1, 15, 0))
    ticket = reload(ticket)
    assert ticket.first_response_at is None  # only a reply counts under this policy
    assert ticket.first_response_due_at == cairo(2026, 2, 2, 14, 0)
    assert ticket_state(ticket, cairo(2026, 2, 2, 13, 0)) != SlaState.BREACHED


def test_closing_without_a_first_response_records_one_at_closing(agent):
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Bug Investigation")).update(
        first_response_by=FirstResponseBy.REPLY
    )
    ticket = open_ticket(agent, "Bug Investigation", now=NOW)
    closed_at = cairo(2026, 2, 1, 12, 0)
    ticket = move(ticket, "Resolved By Support", by=agent, now=closed_at)
    ticket = reload(ticket)
    assert ticket.first_response_at == closed_at
    assert ticket.first_response_met is True
