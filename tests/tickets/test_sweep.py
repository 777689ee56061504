"""The SLA sweep: one ticket.sla_due_soon and one ticket.sla_breached event per ticket and target,
however often (and however concurrently) it runs."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from partnerdesk.core.models import Event
from partnerdesk.sla.models import FirstResponseBy, SlaPolicy
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket
from tests.tickets import cairo, move, open_ticket, reload, ticket_pipeline

SWEEP_KINDS = ("ticket.sla_due_soon", "ticket.sla_breached")


def sweep_events() -> Counter:
    return Counter(
        (e.subject_id, e.kind, e.data["target"]) for e in Event.objects.filter(kind__in=SWEEP_KINDS)
    )


@pytest.mark.django_db
def test_due_soon_then_breached_once_each_per_target(agent, company):
    email = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0), company=company)
    bug = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0), company=company)
    # email: warn Feb 2 22:00, due Feb 3 10:00; bug first response: warn Feb 2 13:15, due Feb 2 17:00

    counts = services.sla_sweep(now=cairo(2026, 2, 2, 14, 0))
    assert counts["ticket.sla_due_soon:first_response"] == 1
    assert sum(counts.values()) == 1
    for _ in range(3):
        services.sla_sweep(now=cairo(2026, 2, 2, 14, 0))
    assert sweep_events() == {(bug.pk, "ticket.sla_due_soon", "first_response"): 1}

    for _ in range(2):
        services.sla_sweep(now=cairo(2026, 2, 2, 23, 0))
    assert sweep_events() == {
        (bug.pk, "ticket.sla_due_soon", "first_response"): 1,
        (bug.pk, "ticket.sla_breached", "first_response"): 1,
        (email.pk, "ticket.sla_due_soon", "resolution"): 1,
    }
    for _ in range(3):
        counts = services.sla_sweep(now=cairo(2026, 3, 1))
    assert sum(counts.values()) == 0
    assert sweep_events() == {
        (bug.pk, "ticket.sla_due_soon", "first_response"): 1,
        (bug.pk, "ticket.sla_breached", "first_response"): 1,
        (email.pk, "ticket.sla_due_soon", "resolution"): 1,
        (email.pk, "ticket.sla_breached", "resolution"): 1,
    }
    event = Event.objects.get(kind="ticket.sla_breached", subject_id=email.pk)
    assert event.company_id == company.pk
    assert event.data == {"target": "resolution", "due_at": "2026-02-03T08:00:00+00:00"}
    flags = reload(email)
    assert flags.resolution_due_soon_sent and flags.resolution_breach_sent
    assert not flags.first_response_due_soon_sent and not flags.first_response_breach_sent


@pytest.mark.django_db
def test_a_resolution_target_is_swept_after_the_first_response(agent):
    bug = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    services.ticket_note_add(
        ticket=bug, by=agent, body="hi", is_public=True, now=cairo(2026, 2, 1, 11, 0)
    )
    # resolution due Wed Feb 4 17:00
    for _ in range(2):
        services.sla_sweep(now=cairo(2026, 2, 5, 9, 0))
    assert sweep_events() == {(bug.pk, "ticket.sla_breached", "resolution"): 1}


@pytest.mark.django_db
def test_paused_tickets_are_not_swept_for_due_soon(agent):
    paused = open_ticket(agent, "Website Creation", now=cairo(2026, 2, 1, 10, 0))
    move(paused, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 2, 10, 0))
    # warn would be Feb 11 22:00, due Feb 15 10:00 (as of the pause)
    for now in (cairo(2026, 2, 12), cairo(2026, 2, 20), cairo(2026, 6, 1)):
        services.sla_sweep(now=now)
    assert sweep_events() == {}


@pytest.mark.django_db
def test_paused_after_the_due_time_is_swept_as_breached_once(agent):
    ticket = open_ticket(agent, "Website Creation", now=cairo(2026, 1, 1, 10, 0))
    move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 1, 20, 10, 0))
    for _ in range(2):
        services.sla_sweep(now=cairo(2026, 2, 1))
    assert sweep_events() == {(ticket.pk, "ticket.sla_breached", "resolution"): 1}


@pytest.mark.django_db
def test_closed_tickets_are_not_swept(agent):
    met = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    move(met, "Emails Delivered", by=agent, now=cairo(2026, 2, 2, 10, 0))
    missed = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    move(missed, "Emails Delivered", by=agent, now=cairo(2026, 2, 4, 10, 0))
    bug = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    move(bug, "Resolved By Support", by=agent, now=cairo(2026, 2, 1, 11, 0))
    for now in (cairo(2026, 2, 2, 23, 0), cairo(2026, 3, 1)):
        services.sla_sweep(now=now)
    assert sweep_events() == {}


@pytest.mark.django_db
def test_closed_ticket_without_a_reply_is_not_swept(agent):
    """With "first response = a public reply", a ticket closed without a reply is still closed."""
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Bug Investigation")).update(
        first_response_by=FirstResponseBy.REPLY
    )
    bug = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    move(bug, "Resolved By Support", by=agent, now=cairo(2026, 2, 1, 11, 0))
    for now in (cairo(2026, 2, 2, 14, 0), cairo(2026, 3, 1)):
        services.sla_sweep(now=now)
    assert sweep_events() == {}


@pytest.mark.django_db
def test_sweep_in_small_batches_reaches_every_ticket_once(agent):
    tickets = [open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, i)) for i in range(7)]
    for _ in range(2):
        counts = services.sla_sweep(now=cairo(2026, 3, 1), batch=3)
    assert sweep_events() == {(t.pk, "ticket.sla_breached", "resolution"): 1 for t in tickets}
    assert counts == {
        "ticket.sla_due_soon:first_response": 0,
        "ticket.sla_breached:first_response": 0,
        "ticket.sla_due_soon:resolution": 0,
        "ticket.sla_breached:resolution": 0,
    }


@pytest.mark.django_db
def test_task_runs_the_sweep(agent):
    from partnerdesk.tickets.tasks import sla_sweep

    open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    result = sla_sweep.enqueue()
    assert result.return_value["ticket.sla_breached:resolution"] == 1


# ---------------------------------------------------------------- concurrency (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_never_emit_duplicates(agent):
    if connection.vendor != "postgresql":
        pytest.skip("SELECT … FOR UPDATE SKIP LOCKED needs PostgreSQL (SQLite serialises writers)")
    template = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    bug = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Ticket._meta.concrete_fields
        if not f.primary_key
    }
    Ticket.objects.bulk_create([Ticket(**fields) for _ in range(1200)], batch_size=500)
    expected = Ticket.objects.count()
    errors: list[BaseException] = []
    reported: Counter = Counter()
    lock = threading.Lock()

    def run(barrier, now):
        try:
            barrier.wait()
            counts = services.sla_sweep(now=now, batch=50)
            with lock:
                reported.update(counts)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    for now in (cairo(2026, 2, 2, 23, 0), cairo(2026, 3, 1)):
        barrier = threading.Barrier(3)
        threads = [threading.Thread(target=run, args=(barrier, now)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
    events = sweep_events()
    assert max(events.values()) == 1
    assert sum(1 for k in events if k[1] == "ticket.sla_breached" and k[2] == "resolution") == (
        expected - 1
    )
    assert sum(1 for k in events if k[1] == "ticket.sla_due_soon" and k[2] == "resolution") == (
        expected - 1
    )
    assert events[(bug.pk, "ticket.sla_breached", "first_response")] == 1
    # the sweeps' own counts add up to the events: no row was reported by two of them
    assert reported["ticket.sla_breached:resolution"] == expected - 1
    assert reported["ticket.sla_due_soon:resolution"] == expected - 1
    assert sum(reported.values()) == sum(events.values())
    assert not Ticket.objects.filter(
        resolution_due_at__isnull=False, resolution_breach_sent=False
    ).exists()
