"""The stage history (``TicketStageVisit``) the services write, the elapsed time of each SLA
target in the policy's kind of time, and the migration that backfills both for older tickets."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from partnerdesk.core.models import Event
from partnerdesk.sla.models import Unit
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket, TicketStageVisit
from tests.tickets import cairo, move, open_ticket, reload

pytestmark = pytest.mark.django_db

backfill = importlib.import_module(
    "partnerdesk.tickets.migrations.0008_backfill_stage_visits_sla_elapsed"
)


def visits(ticket):
    return [
        (v.stage.name, v.entered_at, v.left_at, v.seconds)
        for v in TicketStageVisit.objects.filter(ticket=ticket).select_related("stage")
    ]


def website_ticket(agent):
    """Opened Sunday 10:00, waiting on the customer 11:00-15:00, delivered 17:00."""
    ticket = open_ticket(agent, "Website Creation", now=cairo(2026, 2, 1, 10))
    ticket = move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 1, 11))
    ticket = move(ticket, "Working On The Website", by=agent, now=cairo(2026, 2, 1, 15))
    return services.ticket_move(
        ticket=ticket,
        stage=ticket.pipeline.stages.get(name="Website Delivered"),
        by=agent,
        now=cairo(2026, 2, 1, 17),
        properties={"website_domain": "acme-dental.com"},
    )


def test_each_stage_stay_is_recorded_with_its_calendar_seconds(agent):
    ticket = website_ticket(agent)
    assert visits(ticket) == [
        ("New", cairo(2026, 2, 1, 10), cairo(2026, 2, 1, 11), 3600),
        ("On Hold (Customer End)", cairo(2026, 2, 1, 11), cairo(2026, 2, 1, 15), 4 * 3600),
        ("Working On The Website", cairo(2026, 2, 1, 15), cairo(2026, 2, 1, 17), 2 * 3600),
        ("Website Delivered", cairo(2026, 2, 1, 17), None, None),
    ]
    assert {v.pipeline_id for v in TicketStageVisit.objects.filter(ticket=ticket)} == {
        ticket.pipeline_id
    }


def test_the_resolution_time_leaves_out_the_wait_on_the_customer(agent):
    ticket = reload(website_ticket(agent))
    assert ticket.resolution_met is True
    assert ticket.resolution_elapsed == 3 * 3600  # 7 hours open, 4 of them paused
    assert ticket.resolution_elapsed_unit == Unit.CALENDAR
    assert ticket.first_response_elapsed is None  # the policy has no first-response target


def test_working_day_targets_count_working_time(agent):
    # Agency hours: Sunday-Thursday 09:00-17:00 Cairo. Answered Sunday 15:00 (5 working
    # hours after opening); resolved Tuesday 11:00: 2 + 8 + 2 working hours after the answer.
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10))
    services.ticket_note_add(
        ticket=ticket, by=agent, body="Looking", is_public=True, now=cairo(2026, 2, 1, 15)
    )
    ticket = move(ticket, "Investigating", by=agent, now=cairo(2026, 2, 2, 10))
    ticket = reload(move(ticket, "Resolved By Support", by=agent, now=cairo(2026, 2, 3, 11)))
    assert (ticket.first_response_met, ticket.resolution_met) == (True, True)
    assert ticket.first_response_elapsed == 5 * 3600
    assert ticket.first_response_elapsed_unit == Unit.WORKING_DAYS
    assert ticket.resolution_elapsed == 12 * 3600
    assert ticket.resolution_elapsed_unit == Unit.WORKING_DAYS


def test_reopening_clears_the_resolution_time_until_it_closes_again(agent):
    ticket = website_ticket(agent)
    ticket = reload(move(ticket, "Working On The Website", by=agent, now=cairo(2026, 2, 1, 18)))
    assert (ticket.resolution_met, ticket.resolution_elapsed) == (None, None)
    assert ticket.resolution_elapsed_unit == ""
    ticket = services.ticket_move(
        ticket=ticket,
        stage=ticket.pipeline.stages.get(name="Website Delivered"),
        by=agent,
        now=cairo(2026, 2, 1, 19),
    )
    # 9 hours open; paused 4 waiting on the customer and 1 closed.
    assert reload(ticket).resolution_elapsed == 4 * 3600


def test_the_migration_rebuilds_the_history_and_the_times_from_the_events(agent):
    ticket = website_ticket(agent)
    bug = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10))
    services.ticket_note_add(
        ticket=bug, by=agent, body="Looking", is_public=True, now=cairo(2026, 2, 1, 15)
    )
    bug = move(bug, "Resolved By Support", by=agent, now=cairo(2026, 2, 3, 11))
    # Events carry the time they were written: make them the times of the moves.
    for event, at in zip(
        Event.objects.filter(kind="ticket.stage_changed", subject_id=ticket.pk).order_by("id"),
        [cairo(2026, 2, 1, 11), cairo(2026, 2, 1, 15), cairo(2026, 2, 1, 17)],
        strict=True,
    ):
        Event.objects.filter(pk=event.pk).update(occurred_at=at)
    before = visits(ticket), visits(bug)
    stored = list(
        Ticket.objects.order_by("pk").values_list(
            "first_response_elapsed",
            "first_response_elapsed_unit",
            "resolution_elapsed",
            "resolution_elapsed_unit",
        )
    )
    TicketStageVisit.objects.all().delete()
    Ticket.objects.update(
        first_response_elapsed=None,
        first_response_elapsed_unit="",
        resolution_elapsed=None,
        resolution_elapsed_unit="",
    )
    backfill.backfill_visits(apps, None)
    backfill.backfill_elapsed(apps, None)
    assert (visits(ticket), visits(bug)) == before
    assert stored == list(
        Ticket.objects.order_by("pk").values_list(
            "first_response_elapsed",
            "first_response_elapsed_unit",
            "resolution_elapsed",
            "resolution_elapsed_unit",
        )
    )
    # Twice is once.
    backfill.backfill_visits(apps, None)
    assert (visits(ticket), visits(bug)) == before


def test_the_migration_trusts_the_ticket_when_events_are_missing_or_out_of_range(agent):
    ticket = website_ticket(agent)
    Event.objects.filter(kind="ticket.stage_changed", subject_id=ticket.pk).update(
        occurred_at=cairo(2030, 1, 1)  # written long after the backdated moves
    )
    TicketStageVisit.objects.all().delete()
    backfill.backfill_visits(apps, None)
    stays = visits(ticket)
    assert [s[0] for s in stays] == [
        "New",
        "On Hold (Customer End)",
        "Working On The Website",
        "Website Delivered",
    ]
    # Every move clamped to the ticket's own last move: nothing ends after it.
    assert stays[-1][1] == cairo(2026, 2, 1, 17)
    assert all(s[2] <= cairo(2026, 2, 1, 17) for s in stays[:-1])
    Event.objects.filter(kind="ticket.stage_changed", subject_id=ticket.pk).delete()
    TicketStageVisit.objects.all().delete()
    backfill.backfill_visits(apps, None)
    assert visits(ticket) == [
        ("New", cairo(2026, 2, 1, 10), cairo(2026, 2, 1, 17), 7 * 3600),
        ("Website Delivered", cairo(2026, 2, 1, 17), None, None),
    ]
