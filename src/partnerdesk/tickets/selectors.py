"""Reads for tickets: lists, board columns and filters as indexed queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from partnerdesk.core.converters import parse_id
from partnerdesk.core.pagination import capped_count, capped_counts, within_cap
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm import boards
from partnerdesk.crm.models import Pipeline, Stage

from . import sla_state, totals
from .models import OPEN_BREACHED, SavedView, SlaState, Ticket

LIST_FILTERS = (
    "pipeline",
    "stage",
    "owner",
    "team",
    "sla",
    "breached_without_cause",
    "priority",
    "q",
    "company",
    "deal",
)


def tickets_for(user):
    return Ticket.objects.for_user(user).select_related("pipeline", "stage", "owner", "company")


def ticket_detail(user, pk):
    qs = (
        tickets_for(user)
        .select_related("deal", "contact", "sla_policy", "entry_stage")
        .prefetch_related("pauses")
    )
    return get_object_for_user_or_404(qs, user, pk=pk)


def ticket_pipelines():
    stages = Prefetch(
        "stages",
        queryset=Stage.objects.order_by("order", "id").prefetch_related("required_properties"),
    )
    return (
        Pipeline.objects.filter(object_type="ticket", archived=False)
        .select_related("team")
        .prefetch_related(stages)
    )


def filter_tickets(qs, params, *, now: dt.datetime):
    """Apply the list filters (shared by the page, the API and saved views)."""
    active = {}

    def ident(name):
        return parse_id(params.get(name))

    for name, lookup in (
        ("pipeline", "pipeline_id"),
        ("stage", "stage_id"),
        ("owner", "owner_id"),
        ("team", "pipeline__team_id"),
        ("company", "company_id"),
    ):
        value = ident(name)
        if value:
            qs = qs.filter(**{lookup: value})
            active[name] = value
    deal = ident("deal")
    if deal:  # opened from the deal or associated with it since (the deal page's list)
        qs = qs.filter(pk__in=Ticket.deals.through.objects.filter(deal_id=deal).values("ticket_id"))
        active["deal"] = deal
    if str(params.get("owner") or "") == "none":
        qs = qs.filter(owner__isnull=True)
        active["owner"] = "none"
    priority = params.get("priority")
    if priority:
        qs = qs.filter(priority=priority)
        active["priority"] = priority
    state = params.get("sla")
    if state in SlaState.values:
        qs = qs.filter(sla_state.state_q(state, now))
        active["sla"] = state
    if str(params.get("breached_without_cause") or "").lower() in ("1", "true", "on"):
        qs = qs.filter(sla_state.breached_without_cause_q(now))
        active["breached_without_cause"] = "1"
    status = params.get("status")
    if status == "open":
        qs = qs.filter(closed_at__isnull=True)
        active["status"] = status
    elif status == "closed":
        qs = qs.filter(closed_at__isnull=False)
        active["status"] = status
    q = str(params.get("q") or "").strip()[:200]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(company__name__icontains=q))
        active["q"] = q
    return qs, active


# Cards per column: the newest of each stage; "See all N" under a column opens the list of
# that stage. Each card costs ~0.25 ms to load and draw, and a board of nine columns draws
# nine times this many (at 20, the Website Creation board's p95 was 110-117 ms through
# gunicorn at 100,000 and 1,000,000 tickets; docs/performance.md).
BOARD_PER_COLUMN = 15

# What a board card reads (``as_board_card`` and tickets/_board_card.html): the other columns
# of a ticket, its company and its owner (descriptions, properties, …) are not loaded for the
# hundreds of cards of a board. tests/tickets/test_board.py counts the board's queries, so a
# card that reads another field (one query per card) fails there.
CARD_FIELDS = (
    *("name", "pipeline_id", "stage_id", "created_at", "priority", "closed_at"),
    *("has_delay_cause", "sla_policy_id", "sla_paused_at", "first_response_at"),
    *(f"{target}_{what}" for target in sla_state.TARGETS for what in ("due_at", "warn_at", "met")),
    *("owner__full_name", "owner__email", "company__name"),
)


def list_count(user, active: dict, qs: QuerySet[Ticket]) -> tuple[int, bool]:
    """How many tickets a list of ``qs`` (``filter_tickets`` of what ``user`` may see, with
    its ``active`` filters) has, as a list shows it (``core.pagination.within_cap``). For
    the agency's staff, filtered by pipeline, stage, owner and open or closed alone (or not
    at all): the running total the database keeps (``tickets.totals``), a few rows whatever
    the number of tickets. Otherwise counted up to the cap."""
    if user.is_agency_staff and set(active) <= totals.KEPT_FILTERS:
        return within_cap(totals.ticket_count(active))
    return capped_count(qs)


def board_columns(
    user,
    pipeline: Pipeline,
    *,
    per_column: int = BOARD_PER_COLUMN,
    params=None,
    now: dt.datetime,
    cards: bool = True,
):
    """Each stage with its ticket count and, with ``cards``, its newest tickets (one index range
    scan per column), each with its SLA state and the instant the card counts to or from
    (``sla_due``, see ``sla_countdown``). For the agency's staff, filtered by owner and open
    or closed alone (or not at all): each count exact, the running total the database keeps
    (``tickets.totals``, a few rows a stage). Otherwise, or a client's: up to COUNT_CAP
    (``exact`` False past it: "10,000+"), all columns counted in one statement of index range
    scans that stop at the cap, so a column of closed history costs what an open one does."""
    stages = list(pipeline.stages.order_by("order", "id"))
    qs, active = filter_tickets(
        Ticket.objects.for_user(user).filter(pipeline=pipeline), params or {}, now=now
    )
    if user.is_agency_staff and set(active) <= totals.KEPT_FILTERS:
        kept = totals.stage_counts(pipeline.pk, active)
        counts: dict[Any, tuple[int, bool]] = {
            stage.pk: (kept.get(stage.pk, 0), True) for stage in stages
        }
    else:
        newest = qs.order_by("-created_at", "-id")  # the order of ticket_board
        counts = capped_counts({stage.pk: [newest.filter(stage=stage)] for stage in stages})
    columns = []
    links = card_links()
    for stage in stages:
        tickets = []
        if cards:
            tickets = list(
                qs.filter(stage=stage)
                .select_related("owner", "company")
                .only(*CARD_FIELDS)
                .order_by("-created_at", "-id")[:per_column]
            )
        for ticket in tickets:
            as_board_card(ticket, now, links)
        count, exact = counts[stage.pk]
        columns.append({"stage": stage, "tickets": tickets, "count": count, "exact": exact})
    return columns


def card_links() -> boards.CardLinks:
    return boards.card_links("tickets:detail", "tickets:move")


def as_board_card(ticket: Ticket, now: dt.datetime, links=None) -> Ticket:
    """Set what a board card shows besides the ticket's fields: ``sla`` (its SLA state),
    ``sla_due`` (see ``sla_countdown``), ``sort`` (its place in a column, newest first: the
    creation instant in microseconds, which the board's script compares), and its ids, links
    and labels (``crm.boards.as_card``; ``links``: ``card_links()``, once for a board)."""
    card: Any = ticket  # the card's attributes are no model fields
    card.sla = sla_state.ticket_state(ticket, now)
    card.sla_due = sla_countdown(ticket, card.sla, now)
    created = ticket.created_at
    card.sort = f"{int(created.timestamp())}{created.microsecond:06d}"
    boards.as_card(ticket, links or card_links())
    return ticket


def sla_countdown(ticket: Ticket, state: str, now: dt.datetime) -> dt.datetime | None:
    """The instant a card counts to ("due in 3 h") or from ("breached 2 days ago"): the
    earliest due time of the targets still running, or, breached, of those overdue. None when
    no clock runs (paused, met, closed) or a target was missed already (the state says it)."""
    running = [
        getattr(ticket, f"{target}_due_at")
        for target in sla_state.TARGETS
        if getattr(ticket, f"{target}_due_at") is not None
        and getattr(ticket, f"{target}_met") is None
        and ticket.closed_at is None
        and not (target == "first_response" and ticket.first_response_at is not None)
    ]
    if state == SlaState.BREACHED:
        overdue = [due for due in running if due <= (ticket.sla_paused_at or now)]
        return min(overdue, default=None)
    if state in (SlaState.DUE_SOON, SlaState.ON_TRACK):
        return min(running, default=None)
    return None


def saved_views_for(user):
    return SavedView.objects.filter(Q(user=user) | Q(shared=True)).select_related("user")


def _open_in(state_q: Q, *parts: tuple[Q, str]) -> list[QuerySet]:
    """The open tickets in a state, in disjoint parts: each part is what one partial index
    finds (a condition, and the field it is read in order of) less what the parts before it
    found. The state's condition is kept as a filter, so the parts together are exactly the
    state's open tickets as long as their conditions cover it
    (tests/tickets/test_capped_counts.py compares with one aggregate over the open tickets)."""
    open_in_state = Ticket.objects.filter(state_q, closed_at__isnull=True)
    querysets = []
    for n, (condition, order) in enumerate(parts):
        qs = open_in_state.filter(condition)
        for before, _order in parts[:n]:
            qs = qs.exclude(before)
        querysets.append(qs.order_by(order))
    return querysets


def attention_counts(user, *, now: dt.datetime, cap: int | None = None) -> dict[str, dict]:
    """What an agent's home page points at: open tickets breached (and without a cause of
    delay), due soon, theirs, and nobody's; each ``{"count", "exact"}``, counted up to
    COUNT_CAP like the lists, in one statement.

    Never a scan of the open tickets: the open ones already number hundreds of thousands at a
    million tickets. Each count is a sum of index-only range scans that stop at the cap
    (tests/tickets/test_scale_postgres.py checks the plans): breached is resolution overdue
    while running (ticket_resolution_due, up to now), else first response overdue while
    running (ticket_first_response_due), else breached whatever now is: overdue before a pause
    or a target missed (ticket_open_breached); due soon is a running target due after now;
    mine and nobody's are ticket_open_owner."""
    overdue = [  # ticket_resolution_due, ticket_first_response_due, ticket_open_breached
        (sla_state.unpaused_overdue_q("resolution", now), "resolution_due_at"),
        (sla_state.unpaused_overdue_q("first_response", now), "first_response_due_at"),
        (OPEN_BREACHED, "id"),
    ]
    due_soon = [
        (sla_state.due_soon_q("resolution", now), "resolution_due_at"),
        (sla_state.due_soon_q("first_response", now), "first_response_due_at"),
    ]
    open_tickets = Ticket.objects.filter(closed_at__isnull=True).order_by("-created_at", "-id")
    counts = capped_counts(
        {
            "breached": _open_in(sla_state.state_q(SlaState.BREACHED, now), *overdue),
            "breached_without_cause": _open_in(sla_state.breached_without_cause_q(now), *overdue),
            "due_soon": _open_in(sla_state.state_q(SlaState.DUE_SOON, now), *due_soon),
            "mine": [open_tickets.filter(owner=user)],  # ticket_open_owner
            # (IS NULL is no equality to the planner: in the order of the index, it would sort)
            "unassigned": [open_tickets.filter(owner__isnull=True).order_by()],
        },
        cap,
    )
    return {name: {"count": n, "exact": exact} for name, (n, exact) in counts.items()}
