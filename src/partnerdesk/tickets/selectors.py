"""Reads for tickets: lists, board columns and filters as indexed queries."""

from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import Prefetch, Q, QuerySet

from partnerdesk.core.converters import parse_id
from partnerdesk.core.pagination import COUNT_CAP
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm.models import Pipeline, Stage

from . import sla_state
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


def board_columns(user, pipeline: Pipeline, *, per_column: int = 25, params=None, now: dt.datetime):
    """Each stage with its newest tickets (one index range scan per column) and its ticket
    count up to COUNT_CAP (``exact`` False past it: "10,000+"), all columns counted in one
    statement of index range scans that stop at the cap, so a column of closed history costs
    what an open one does."""
    stages = list(pipeline.stages.order_by("order", "id"))
    qs, _active = filter_tickets(
        Ticket.objects.for_user(user).filter(pipeline=pipeline), params or {}, now=now
    )
    newest = qs.order_by("-created_at", "-id")  # the order of ticket_board
    counts = capped_union_counts({stage.pk: [newest.filter(stage=stage)] for stage in stages})
    columns = []
    for stage in stages:
        tickets = list(
            qs.filter(stage=stage)
            .select_related("owner", "company")
            .order_by("-created_at", "-id")[:per_column]
        )
        for ticket in tickets:
            ticket.sla = sla_state.ticket_state(ticket, now)
        count, exact = counts[stage.pk]
        columns.append({"stage": stage, "tickets": tickets, "count": count, "exact": exact})
    return columns


def saved_views_for(user):
    return SavedView.objects.filter(Q(user=user) | Q(shared=True)).select_related("user")


def capped_union_counts(unions: dict, cap: int | None = None) -> dict[object, tuple[int, bool]]:
    """For each key, the number of distinct tickets in the union of its querysets, counted
    up to ``cap`` (COUNT_CAP) and whether that is exact; all in one SQL statement.

    Each queryset is read up to cap + 1 rows (``LIMIT``), so each is one index range scan that
    stops early; ordered by its index (``order_by``), it stays one even where the planner thinks
    the table cheaper to read (a read in another order would sort every match first). If one alone passes the cap, so does the union, and the union is not formed
    (``CASE``: the database evaluates a subquery only when it needs its value); else the rows
    of the union are counted once each. Written as derived tables (``SELECT * FROM (… LIMIT n)
    UNION …``), which SQLite and PostgreSQL both accept."""
    cap = COUNT_CAP if cap is None else cap
    if not unions:
        return {}
    alias = next(iter(next(iter(unions.values())))).db
    # The ORM's SQL of each queryset, its values passed as parameters (hence the noqa).
    columns, params = [], []
    for i, querysets in enumerate(unions.values()):
        arms = [
            (qs if qs.query.order_by else qs.order_by())  # an explicit order is kept
            .values("pk")[: cap + 1]
            .query.get_compiler(using=alias)
            .as_sql()
            for qs in querysets
        ]
        arm_params = [p for _sql, values in arms for p in values]
        counts = [
            f"(SELECT COUNT(*) FROM ({sql}) arm_{i}_{j})"  # noqa: S608
            for j, (sql, _) in enumerate(arms)
        ]
        if len(arms) == 1:
            columns.append(counts[0])
            params.extend(arm_params)
            continue
        passed = " OR ".join(f"{count} > {cap:d}" for count in counts)
        union = " UNION ".join(
            f"SELECT * FROM ({sql}) member_{i}_{j}"  # noqa: S608
            for j, (sql, _) in enumerate(arms)
        )
        columns.append(
            f"CASE WHEN {passed} THEN {cap + 1:d} "  # noqa: S608
            f"ELSE (SELECT COUNT(*) FROM ({union}) union_{i}) END"
        )
        params.extend(arm_params * 2)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        row = cursor.fetchone()
    return {key: (cap, False) if n > cap else (n, True) for key, n in zip(unions, row, strict=True)}


def _open_in(state_q: Q, *arms: tuple[Q, str]) -> list[QuerySet]:
    """The open tickets in a state, as querysets whose union it is: each arm is the part of
    the state one partial index finds, read in the order of that index (a condition and a
    field). The state's condition is kept as a filter, so the union is exactly the state's
    open tickets as long as the arms cover it (tests/tickets/test_capped_counts.py)."""
    open_in_state = Ticket.objects.filter(state_q, closed_at__isnull=True)
    return [open_in_state.filter(arm).order_by(order) for arm, order in arms]


def attention_counts(user, *, now: dt.datetime, cap: int | None = None) -> dict[str, dict]:
    """What an agent's home page points at: open tickets breached (and without a cause of
    delay), due soon, theirs, and nobody's; each ``{"count", "exact"}``, counted up to
    COUNT_CAP like the lists, in one statement.

    Never a scan of the open tickets: the open ones already number hundreds of thousands at a
    million tickets. Each count is a union of partial-index range scans that stop at the cap
    (tests/tickets/test_scale_postgres.py checks the plans): breached is resolution or first
    response overdue while running (the due-time indexes, up to now), or overdue before a pause
    or a first response missed (``ticket_open_breached``, whatever now is); due soon is a
    running target's due time after now; mine and nobody's ``ticket_open_owner``."""
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
    counts = capped_union_counts(
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
