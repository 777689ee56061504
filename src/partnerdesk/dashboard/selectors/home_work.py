"""The open work the staff home leads with: an agent's own tickets (by SLA state, the next due
first) and client tasks; for managers and admins, the team's workload per owner.

Flat at any number of tickets (issue 16): the states of an owner's open tickets are sums over
at most COUNT_CAP + 1 of them, read from the index of open tickets by owner that holds every
column a state needs (ticket_open_owner_sla, so the database reads the index alone); the next
due are the first few of two index ranges in due order; the team's workload is what the
database keeps per person (dashboard.totals), and the breached among the open tickets of
the people shown are counted up to WORKLOAD_CAP. tests/dashboard/test_scale_postgres.py checks
the plans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Case, Expression, F, IntegerField, OuterRef, Value, When
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.pagination import COUNT_CAP, capped_counts
from partnerdesk.dashboard import totals
from partnerdesk.dashboard.models import OpenWorkKind
from partnerdesk.portal.models import Status, Task
from partnerdesk.tickets import sla_state
from partnerdesk.tickets.models import SlaState, Ticket

from .capped import CappedSum, Figures, capped_figures, flag

NEXT_DUE = 8  # the agent's tickets listed, the next due first
TASKS_SHOWN = 8
# The breached among a shown person's open tickets are counted up to this many ("100+"), so
# the workload reads at most this many of their tickets, whatever the number of tickets.
WORKLOAD_CAP = 100
WORKLOAD_ROWS = 10  # the busiest owners shown; the team workload report lists them all

STATES = (SlaState.BREACHED, SlaState.DUE_SOON, SlaState.ON_TRACK, SlaState.PAUSED)
TARGET_LABELS = {"first_response": _("First response"), "resolution": _("Resolution")}


def _card(count: int, exact: bool) -> dict:
    return {"count": count, "exact": exact}


def my_ticket_states(user, *, now: dt.datetime, cap: int | None = None) -> dict[str, dict]:
    """The user's open tickets: all of them and those breached (and without a cause of
    delay), due soon, on track, paused and without an SLA, each ``{"count", "exact"}``; one
    statement reading at most ``cap`` + 1 (COUNT_CAP) of their open tickets. Past the cap
    every figure is a lower bound ("exact" False)."""
    cap = COUNT_CAP if cap is None else cap
    sums: dict[str, Expression | str] = {
        str(state): flag(sla_state.state_q(state, now)) for state in STATES
    }
    sums["breached_without_cause"] = flag(sla_state.breached_without_cause_q(now))
    mine = Ticket.objects.filter(owner=user, closed_at__isnull=True)
    figures: Figures = capped_figures({"mine": mine}, cap=cap, sums=sums)["mine"][None]
    states = {name: _card(n, figures.exact) for name, n in figures.sums.items()}
    states["open"] = _card(figures.count, figures.exact)
    states["none"] = _card(
        max(figures.count - sum(figures[state] for state in STATES), 0), figures.exact
    )
    return states


def _next_deadline(ticket: Ticket) -> tuple[str, dt.datetime]:
    """The running target that falls due first: (target, due time)."""
    due = []
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        due.append((ticket.first_response_due_at, 0, "first_response"))
    if ticket.resolution_due_at is not None:
        due.append((ticket.resolution_due_at, 1, "resolution"))
    at, _order, target = min(due)
    return target, at


def next_due(user, *, now: dt.datetime, limit: int = NEXT_DUE) -> list[Ticket]:
    """The user's open tickets whose clock is running, the next due first (overdue ones
    first of all), each with ``next_target`` (its label), ``next_due`` and ``sla`` (state).

    Two index ranges in due order, ``limit`` rows each: the first tickets by resolution due
    time and by first-response due time. The first ``limit`` tickets by the earlier of their
    two due times are among them (a ticket is in the first ``limit`` by that time only if it
    is in the first ``limit`` by the due time that is the earlier one of its own)."""
    running = Ticket.objects.for_user(user).filter(
        owner=user, closed_at__isnull=True, sla_paused_at__isnull=True
    )
    columns = ("pipeline", "company")
    by_resolution = (
        running.filter(resolution_due_at__isnull=False)
        .select_related(*columns)
        .order_by("resolution_due_at", "id")[:limit]
    )
    by_first_response = (
        running.filter(first_response_at__isnull=True, first_response_due_at__isnull=False)
        .select_related(*columns)
        .order_by("first_response_due_at", "id")[:limit]
    )
    tickets = {t.pk: t for t in [*by_resolution, *by_first_response]}
    for ticket in tickets.values():
        target, ticket.next_due = _next_deadline(ticket)
        ticket.next_target = TARGET_LABELS[target]
        ticket.sla = sla_state.ticket_state(ticket, now)
    ordered = sorted(tickets.values(), key=lambda t: (t.next_due, t.pk))
    return ordered[:limit]


def my_tasks(user, *, now: dt.datetime, limit: int = TASKS_SHOWN) -> dict:
    """The client tasks assigned to the user: how many are in progress, waiting for the
    client's approval and accepted (the backlog), each ``{"count", "exact"}`` (one statement
    of capped counts), and the first ``limit`` to work on: those in progress, the soonest
    estimated completion first, then the backlog in the order it was accepted. Each listed
    task has ``overdue`` (in progress past its estimated completion)."""
    mine = Task.objects.filter(assignee=user)
    counts = capped_counts(
        {
            "working": [mine.filter(status=Status.WORKING)],  # task_assignee
            "pending_approval": [mine.filter(status=Status.PENDING_APPROVAL)],
            "accepted": [mine.filter(status=Status.ACCEPTED)],
        }
    )
    order = (
        Case(
            When(status=Status.WORKING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        F("estimated_completion").asc(nulls_last=True),
        F("accepted_at").asc(nulls_last=True),
        "id",
    )
    first = mine.filter(status__in=[Status.WORKING, Status.ACCEPTED]).order_by(*order)
    # The first few by id, then with their companies: joined before the LIMIT, the company
    # table would be read whole (a hash join); one query whatever the data.
    tasks = list(
        Task.objects.filter(pk__in=first.values("pk")[:limit])
        .select_related("company")
        .order_by(*order)
    )
    for task in tasks:
        task.overdue = (  # type: ignore[attr-defined]
            task.status == Status.WORKING
            and task.estimated_completion is not None
            and task.estimated_completion < now
        )
    return {
        **{name: _card(n, exact) for name, (n, exact) in counts.items()},
        "list": tasks,
    }


@dataclass
class OwnerLoad:
    owner: object  # the user
    open: dict  # open tickets, {"count", "exact"}
    breached: dict  # ... of them breached (among the first ``cap`` when there are more)
    working: dict  # client tasks in progress
    accepted: dict  # ... and accepted, not started


def team_workload(*, now: dt.datetime, cap: int = WORKLOAD_CAP, rows: int = WORKLOAD_ROWS) -> dict:
    """The ``rows`` busiest active agency users (their open tickets plus their client tasks in
    progress and accepted, then by name) with those figures, exact, as the database keeps them
    (``dashboard.totals``: a few rows per person, whatever the number of tickets); how many
    of each one's open tickets are breached, counted up to ``cap`` (a capped sum over their
    open tickets, for the rows shown only); and how many people there are. Three queries: the
    kept figures grouped by person, the staff (from the index ``user_active_staff``), the
    people shown with their breached tickets."""
    kept = totals.open_work_by_person()
    staff = list(get_user_model().objects.agency_staff().values_list("pk", "full_name", "email"))

    def load(pk: int) -> int:
        return sum(kept.get(pk, {}).values())

    staff.sort(key=lambda u: (-load(u[0]), (u[1] or u[2]).lower(), u[2]))
    shown = [pk for pk, _name, _email in staff[:rows]]
    tickets = Ticket.objects.filter(owner=OuterRef("pk"), closed_at__isnull=True)
    people = (
        get_user_model()
        .objects.filter(pk__in=shown)
        .annotate(breached_n=CappedSum(tickets, sla_state.state_q(SlaState.BREACHED, now), cap=cap))
    )
    by_pk = {u.pk: u for u in people}
    loads = []
    for pk in shown:
        figures, user = kept.get(pk, {}), by_pk[pk]
        loads.append(
            OwnerLoad(
                owner=user,
                open=_card(figures.get(OpenWorkKind.TICKETS, 0), True),
                breached=_card(
                    min(user.breached_n, cap), figures.get(OpenWorkKind.TICKETS, 0) <= cap
                ),
                working=_card(figures.get(OpenWorkKind.WORKING, 0), True),
                accepted=_card(figures.get(OpenWorkKind.ACCEPTED, 0), True),
            )
        )
    return {"rows": loads, "owners": len(staff), "cap": cap}
