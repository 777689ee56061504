"""SLA states: the SQL conditions (state_q, breached_without_cause_q, overdue_q, due_soon_q) and
the Python functions (ticket_state, target_state) must agree on every ticket at every instant.

ticket_state never returns MISSED: a closed ticket that missed a target is BREACHED, and
state_q(BREACHED) likewise includes closed missed tickets.
"""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.crm.models import Stage
from partnerdesk.sla.models import FirstResponseBy, SlaPolicy
from partnerdesk.tickets import services
from partnerdesk.tickets.models import SlaState, Ticket
from partnerdesk.tickets.sla_state import (
    TARGETS,
    breached_without_cause_q,
    due_soon_q,
    overdue_q,
    state_q,
    target_state,
    ticket_state,
)
from tests.tickets import cairo, move, open_ticket, reload, ticket_pipeline

pytestmark = pytest.mark.django_db

STATES = [
    SlaState.NONE,
    SlaState.ON_TRACK,
    SlaState.DUE_SOON,
    SlaState.BREACHED,
    SlaState.PAUSED,
    SlaState.MET,
]

# Instants at which every ticket is classified (Tuesday 2026-02-10 and around it).
INSTANTS = [
    cairo(2026, 2, 1, 9, 0),
    cairo(2026, 2, 2, 12, 0),
    cairo(2026, 2, 8, 21, 0),
    cairo(2026, 2, 10, 8, 0),  # exactly a warn instant (ticket "due soon")
    cairo(2026, 2, 10, 12, 0),
    cairo(2026, 2, 10, 14, 0),
    cairo(2026, 2, 10, 17, 0),  # exactly a due instant (ticket "fr due")
    cairo(2026, 2, 10, 20, 0),  # exactly a due instant (ticket "due soon")
    cairo(2026, 3, 31, 12, 0),
]


def note(ticket, when, *, public=True, cause=False):
    services.ticket_note_add(
        ticket=ticket,
        by=ticket.owner,
        body="cause" if cause else "reply",
        is_public=public,
        is_delay_cause=cause,
        now=when,
    )


def build_world(agent) -> dict[str, Ticket]:
    """Tickets in varied situations, all made with the services at fixed instants."""
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Email Related Requests")).delete()
    t = {}

    def email(label, opened, closed=None, cause=False):
        ticket = open_ticket(agent, "Email Creation", now=opened, owner=agent)
        if cause:
            note(ticket, opened, public=False, cause=True)
        if closed:
            move(ticket, "Emails Delivered", by=agent, now=closed)
        t[label] = ticket

    email("on track", cairo(2026, 2, 10, 10, 0))  # due Feb 12 10:00
    email("due soon", cairo(2026, 2, 8, 20, 0))  # warn Feb 10 08:00, due Feb 10 20:00
    email("breached", cairo(2026, 2, 1, 10, 0))  # due Feb 3 10:00
    email("breached with cause", cairo(2026, 2, 1, 10, 0), cause=True)
    email("met", cairo(2026, 2, 1, 10, 0), closed=cairo(2026, 2, 2, 10, 0))
    email("missed", cairo(2026, 2, 1, 10, 0), closed=cairo(2026, 2, 5, 10, 0))
    email("missed with cause", cairo(2026, 2, 1, 10, 0), closed=cairo(2026, 2, 5, 10), cause=True)

    def website(label, opened, *steps):
        ticket = open_ticket(agent, "Website Creation", now=opened, owner=agent)
        for stage, when in steps:
            move(ticket, stage, by=agent, now=when)
        t[label] = ticket

    hold = "On Hold (Customer End)"
    # paused before its due time (Feb 15 10:00): paused, however long
    website("paused", cairo(2026, 2, 1, 10, 0), (hold, cairo(2026, 2, 2, 9, 0)))
    # paused after its due time (Jan 15 10:00): breached
    website("paused after due", cairo(2026, 1, 1, 10, 0), (hold, cairo(2026, 1, 20, 9, 0)))
    # paused exactly at the due time: breached
    website("paused at due", cairo(2026, 1, 1, 10, 0), (hold, cairo(2026, 1, 15, 10, 0)))
    website(
        "resumed",
        cairo(2026, 1, 30, 10, 0),  # due Feb 13 10:00 + 72 h paused = Feb 16 10:00
        (hold, cairo(2026, 2, 2, 9, 0)),
        ("Working On The Website", cairo(2026, 2, 5, 9, 0)),
    )
    website(
        "paused then closed",
        cairo(2026, 2, 1, 10, 0),
        (hold, cairo(2026, 2, 2, 9, 0)),
        ("Working On The Website", cairo(2026, 2, 3, 9, 0)),
    )
    services.ticket_update(
        ticket=t["paused then closed"], by=agent, properties={"website_domain": "acme.com"}
    )
    move(t["paused then closed"], "Website Delivered", by=agent, now=cairo(2026, 2, 9, 9, 0))

    def bug(label, opened, replied=None):
        ticket = open_ticket(agent, "Bug Investigation", now=opened, owner=agent)
        if replied:
            note(ticket, replied)
        t[label] = ticket

    bug("fr due", cairo(2026, 2, 9, 10, 0))  # fr warn Feb 10 13:15, due Feb 10 17:00
    bug("fr met, res breached", cairo(2026, 2, 1, 10, 0), cairo(2026, 2, 1, 12, 0))
    bug("fr missed, res open", cairo(2026, 2, 8, 10, 0), cairo(2026, 2, 10, 11, 0))
    bug("fr met, res on track", cairo(2026, 2, 10, 10, 0), cairo(2026, 2, 10, 11, 0))

    t["no policy"] = open_ticket(
        agent, "Email Related Requests", "Cancel Emails", now=cairo(2026, 2, 1), owner=agent
    )
    t["no policy, closed"] = open_ticket(
        agent, "Email Related Requests", "Cancel Emails", now=cairo(2026, 2, 1), owner=agent
    )
    move(t["no policy, closed"], "Done", by=agent, now=cairo(2026, 2, 2))
    return {label: reload(ticket) for label, ticket in t.items()}


def sql_set(q) -> set[int]:
    return set(Ticket.objects.filter(q).values_list("pk", flat=True))


def python_set(tickets, predicate) -> set[int]:
    return {t.pk for t in tickets if predicate(t)}


def names(world, pks) -> list[str]:
    return sorted(label for label, t in world.items() if t.pk in pks)


def assert_agree(world, now):
    tickets = list(world.values())
    for state in STATES:
        sql = sql_set(state_q(state, now))
        python = python_set(tickets, lambda t, s=state: ticket_state(t, now) == s)
        assert sql == python, (
            f"{state} at {now}: only SQL {names(world, sql - python)}, "
            f"only Python {names(world, python - sql)}"
        )
    sql = sql_set(breached_without_cause_q(now))
    python = python_set(
        tickets, lambda t: ticket_state(t, now) == SlaState.BREACHED and not t.has_delay_cause
    )
    assert sql == python, f"breached without cause at {now}: {names(world, sql ^ python)}"
    for target in TARGETS:
        for state, q in ((SlaState.BREACHED, overdue_q), (SlaState.DUE_SOON, due_soon_q)):
            sql = sql_set(q(target, now))
            python = python_set(tickets, lambda t, s=state, g=target: target_state(t, g, now) == s)
            assert sql == python, f"{target} {state} at {now}: {names(world, sql ^ python)}"


def test_sql_and_python_states_agree_at_every_instant(agent):
    world = build_world(agent)
    for now in INSTANTS:
        assert_agree(world, now)


def test_states_partition_the_tickets(agent):
    world = build_world(agent)
    for now in INSTANTS:
        seen: dict[int, str] = {}
        for state in STATES:
            for pk in sql_set(state_q(state, now)):
                assert pk not in seen, f"{names(world, {pk})} is {seen[pk]} and {state} at {now}"
                seen[pk] = state
        assert set(seen) == {t.pk for t in world.values()}


def test_the_world_covers_every_state(agent):
    world = build_world(agent)
    now = cairo(2026, 2, 10, 14, 0)
    states = {label: ticket_state(t, now) for label, t in world.items()}
    assert states == {
        "on track": SlaState.ON_TRACK,
        "due soon": SlaState.DUE_SOON,
        "breached": SlaState.BREACHED,
        "breached with cause": SlaState.BREACHED,
        "met": SlaState.MET,
        "missed": SlaState.BREACHED,
        "missed with cause": SlaState.BREACHED,
        "paused": SlaState.PAUSED,
        "paused after due": SlaState.BREACHED,
        "paused at due": SlaState.BREACHED,
        "resumed": SlaState.ON_TRACK,
        "paused then closed": SlaState.MET,
        "fr due": SlaState.DUE_SOON,
        "fr met, res breached": SlaState.BREACHED,
        "fr missed, res open": SlaState.BREACHED,
        "fr met, res on track": SlaState.ON_TRACK,
        "no policy": SlaState.NONE,
        "no policy, closed": SlaState.NONE,
    }
    assert target_state(world["missed"], "resolution", now) == SlaState.MISSED
    assert target_state(world["met"], "resolution", now) == SlaState.MET
    assert target_state(world["fr missed, res open"], "first_response", now) == SlaState.MISSED
    assert target_state(world["fr missed, res open"], "resolution", now) == SlaState.ON_TRACK
    assert target_state(world["paused"], "resolution", now) == SlaState.PAUSED
    assert target_state(world["paused"], "first_response", now) == SlaState.NONE
    assert world["resumed"].resolution_due_at == cairo(2026, 2, 16, 10, 0)
    assert sql_set(breached_without_cause_q(now)) == {
        world[label].pk
        for label in (
            "breached",
            "missed",
            "paused after due",
            "paused at due",
            "fr met, res breached",
            "fr missed, res open",
        )
    }


def test_paused_long_after_its_due_time_is_still_paused(agent):
    ticket = open_ticket(agent, "Website Creation", now=cairo(2026, 2, 1, 10, 0))
    move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 15, 9, 59))
    ticket = reload(ticket)
    for now in (cairo(2026, 2, 15, 10, 0), cairo(2026, 12, 31), cairo(2030, 1, 1)):
        assert ticket_state(ticket, now) == SlaState.PAUSED
        assert ticket.pk in sql_set(state_q(SlaState.PAUSED, now))
        assert ticket.pk not in sql_set(state_q(SlaState.BREACHED, now))


def test_unknown_state_raises():
    with pytest.raises(ValueError):
        state_q("late", cairo(2026, 2, 1))


# ---------------------------------------------------------------- edge cases of the definitions


def test_paused_ticket_without_a_policy_is_in_one_state_only(agent):
    """A pipeline without an SLA policy can still have a waiting-on-customer stage."""
    pipeline = ticket_pipeline("Email Related Requests")
    SlaPolicy.objects.filter(pipeline=pipeline).delete()
    Stage.objects.create(
        pipeline=pipeline, name="Waiting On Customer", order=10, waiting_on_customer=True
    )
    ticket = open_ticket(agent, "Email Related Requests", "Cancel Emails", now=cairo(2026, 2, 1))
    ticket = move(ticket, "Waiting On Customer", by=agent, now=cairo(2026, 2, 2))
    ticket = reload(ticket)
    now = cairo(2026, 2, 3)
    assert ticket.sla_policy_id is None and ticket.sla_paused_at is not None
    assert ticket_state(ticket, now) == SlaState.NONE
    in_sql = [s for s in STATES if ticket.pk in sql_set(state_q(s, now))]
    assert in_sql == [SlaState.NONE]


def test_closed_ticket_with_an_unanswered_first_response_is_in_one_state_only(agent):
    """Policy "first response = a public reply"; the ticket is closed without one."""
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Bug Investigation")).update(
        first_response_by=FirstResponseBy.REPLY
    )
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 9, 10, 0))
    move(ticket, "Resolved By Support", by=agent, now=cairo(2026, 2, 9, 11, 0))
    ticket = reload(ticket)
    now = cairo(2026, 2, 10, 14, 0)  # inside the first response's "due soon" window
    in_sql = [s for s in STATES if ticket.pk in sql_set(state_q(s, now))]
    assert in_sql == [ticket_state(ticket, now)]


def test_closed_missed_ticket_after_its_policy_is_deleted_is_in_one_state_only(agent):
    ticket = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    move(ticket, "Emails Delivered", by=agent, now=cairo(2026, 2, 5, 10, 0))
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Email Creation")).delete()
    ticket = reload(ticket)
    now = cairo(2026, 2, 10)
    assert ticket.sla_policy_id is None and ticket.resolution_met is False
    in_sql = [s for s in STATES if ticket.pk in sql_set(state_q(s, now))]
    assert in_sql == [ticket_state(ticket, now)]


def test_state_at_due_and_warn_boundaries(agent):
    ticket = reload(open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0)))
    warn, due = ticket.resolution_warn_at, ticket.resolution_due_at
    tiny = dt.timedelta(microseconds=1)
    expected = [
        (warn - tiny, SlaState.ON_TRACK),
        (warn, SlaState.DUE_SOON),
        (due - tiny, SlaState.DUE_SOON),
        (due, SlaState.BREACHED),
    ]
    for now, state in expected:
        assert ticket_state(ticket, now) == state
        assert sql_set(state_q(state, now)) == {ticket.pk}
