"""SLA states from the stored clocks: one definition as SQL conditions and one in Python.

A target is *overdue* when its due time has passed; while a ticket is paused its stored due
time is as of the pause, so it is overdue only if the due time came before the pause began.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from .models import SlaState, Ticket

TARGETS = ("first_response", "resolution")


def _open(target: str) -> Q:
    """The target's clock is still running (a closed ticket's clocks all stopped)."""
    if target == "first_response":
        return Q(
            first_response_at__isnull=True,
            closed_at__isnull=True,
            first_response_due_at__isnull=False,
        )
    return Q(closed_at__isnull=True, resolution_due_at__isnull=False)


def unpaused_overdue_q(target: str, now: dt.datetime) -> Q:
    """Overdue and running: the branch the sweep uses, matching a partial index."""
    return _open(target) & Q(sla_paused_at__isnull=True, **{f"{target}_due_at__lte": now})


def overdue_q(target: str, now: dt.datetime) -> Q:
    due = f"{target}_due_at"
    return _open(target) & (
        Q(sla_paused_at__isnull=True, **{f"{due}__lte": now})
        | Q(sla_paused_at__isnull=False, **{f"{due}__lte": F("sla_paused_at")})
    )


def paused_overdue_q(target: str, now: dt.datetime) -> Q:
    """Overdue before the pause began (rare: the sweep checks it separately)."""
    return _open(target) & Q(
        sla_paused_at__isnull=False, **{f"{target}_due_at__lte": F("sla_paused_at")}
    )


def due_soon_q(target: str, now: dt.datetime) -> Q:
    return _open(target) & Q(
        sla_paused_at__isnull=True, **{f"{target}_warn_at__lte": now, f"{target}_due_at__gt": now}
    )


def state_q(state: str, now: dt.datetime) -> Q:
    """Tickets in ``state`` (one of SlaState) at ``now``. Each ticket is in exactly one of
    none / on track / due soon / paused / breached / met; "missed" is the closed part of
    breached."""
    has_sla = Q(sla_policy__isnull=False)
    missed = Q(first_response_met=False) | Q(resolution_met=False)
    breached = has_sla & (overdue_q("first_response", now) | overdue_q("resolution", now) | missed)
    due_soon = due_soon_q("first_response", now) | due_soon_q("resolution", now)
    if state == SlaState.BREACHED:
        return breached
    if state == SlaState.MISSED:
        return has_sla & Q(closed_at__isnull=False) & missed
    if state == SlaState.DUE_SOON:
        return due_soon & ~breached
    if state == SlaState.PAUSED:
        return has_sla & Q(sla_paused_at__isnull=False, closed_at__isnull=True) & ~breached
    if state == SlaState.ON_TRACK:
        return (
            has_sla & Q(closed_at__isnull=True, sla_paused_at__isnull=True) & ~breached & ~due_soon
        )
    if state == SlaState.MET:
        return has_sla & Q(closed_at__isnull=False) & ~breached
    if state == SlaState.NONE:
        return Q(sla_policy__isnull=True)
    raise ValueError(state)


def breached_without_cause_q(now: dt.datetime) -> Q:
    return state_q(SlaState.BREACHED, now) & Q(has_delay_cause=False)


def _overdue(ticket: Ticket, target: str, now: dt.datetime) -> bool:
    due = getattr(ticket, f"{target}_due_at")
    if due is None:
        return False
    if ticket.closed_at is not None or (
        target == "first_response" and ticket.first_response_at is not None
    ):
        return False
    return due <= (ticket.sla_paused_at or now)


def _due_soon(ticket: Ticket, target: str, now: dt.datetime) -> bool:
    due, warn = getattr(ticket, f"{target}_due_at"), getattr(ticket, f"{target}_warn_at")
    if due is None or ticket.sla_paused_at is not None or ticket.closed_at is not None:
        return False
    if target == "first_response" and ticket.first_response_at is not None:
        return False
    return warn <= now < due


def target_state(ticket: Ticket, target: str, now: dt.datetime) -> str:
    met = getattr(ticket, f"{target}_met")
    if met is not None:
        return SlaState.MET if met else SlaState.MISSED
    if getattr(ticket, f"{target}_due_at") is None:
        return SlaState.NONE
    if _overdue(ticket, target, now):
        return SlaState.BREACHED
    if ticket.sla_paused_at is not None:
        return SlaState.PAUSED
    if _due_soon(ticket, target, now):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


def ticket_state(ticket: Ticket, now: dt.datetime) -> str:
    """The ticket's overall state, as the list filter defines it."""
    if ticket.sla_policy_id is None:
        return SlaState.NONE
    if any(_overdue(ticket, t, now) for t in TARGETS) or False in (
        ticket.first_response_met,
        ticket.resolution_met,
    ):
        return SlaState.BREACHED
    if ticket.closed_at is not None:
        return SlaState.MET
    if ticket.sla_paused_at is not None:
        return SlaState.PAUSED
    if any(_due_soon(ticket, t, now) for t in TARGETS):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK
