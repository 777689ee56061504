"""Reads for tickets: lists, board columns and filters as indexed queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q

from partnerdesk.core.converters import parse_id
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm.models import Pipeline, Stage

from . import sla_state
from .models import SavedView, SlaState, Ticket

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
    """Each stage with its ticket count and newest tickets: one index range scan per column."""
    stages = list(pipeline.stages.order_by("order", "id"))
    qs, _active = filter_tickets(
        Ticket.objects.for_user(user).filter(pipeline=pipeline), params or {}, now=now
    )
    counts = dict(
        qs.order_by().values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    columns = []
    for stage in stages:
        tickets = list(
            qs.filter(stage=stage)
            .select_related("owner", "company")
            .order_by("-created_at", "-id")[:per_column]
        )
        for ticket in tickets:
            ticket.sla = sla_state.ticket_state(ticket, now)
        columns.append({"stage": stage, "tickets": tickets, "count": counts.get(stage.pk, 0)})
    return columns


def saved_views_for(user):
    return SavedView.objects.filter(Q(user=user) | Q(shared=True)).select_related("user")


def attention_counts(user, *, now: dt.datetime) -> dict[str, int]:
    """What an agent's home page points at: open tickets breached, due soon, theirs, and
    nobody's. One aggregate over the open tickets (the closed history is not read)."""
    breached = sla_state.state_q(SlaState.BREACHED, now)
    due_soon = sla_state.state_q(SlaState.DUE_SOON, now)
    return Ticket.objects.filter(closed_at__isnull=True).aggregate(
        breached=Count("id", filter=breached),
        breached_without_cause=Count("id", filter=sla_state.breached_without_cause_q(now)),
        due_soon=Count("id", filter=due_soon),
        mine=Count("id", filter=Q(owner=user)),
        unassigned=Count("id", filter=Q(owner__isnull=True)),
    )
