"""The tickets per pipeline stage, owner and open or closed, a running total the database
keeps (``core.totals``, ``models.TicketCount``, the triggers of migration 0018): what a
board column and a list count for the agency's staff when nothing but a pipeline, a stage,
an owner and open or closed filters them (``KEPT_FILTERS``), exact, at the cost of a few
rows per combination however many tickets there have ever been."""

from __future__ import annotations

from django.db.models import Sum

from partnerdesk.core.totals import Totals, register

from .models import TicketCount

TICKETS_PER_STAGE = register(
    Totals(
        name="tickets per stage, owner and state",
        table=TicketCount._meta.db_table,
        keys=("pipeline_id", "stage_id", "owner_id", "is_open"),
        sums=("n",),
        recount="""
            SELECT pipeline_id, stage_id, owner_id, closed_at IS NULL, COUNT(*)
            FROM tickets_ticket GROUP BY pipeline_id, stage_id, owner_id, closed_at IS NULL
        """,
        live="stage_id IN (SELECT id FROM crm_stage)",
        sources=("tickets_ticket",),
    )
)

# The filters of ``tickets.selectors.filter_tickets`` the kept total answers (its ``active``).
KEPT_FILTERS = frozenset({"pipeline", "stage", "owner", "status"})


def _rows(active: dict):
    rows = TicketCount.objects.all()
    if "pipeline" in active:
        rows = rows.filter(pipeline_id=active["pipeline"])
    if "stage" in active:
        rows = rows.filter(stage_id=active["stage"])
    if active.get("owner") == "none":
        rows = rows.filter(owner_id__isnull=True)
    elif "owner" in active:
        rows = rows.filter(owner_id=active["owner"])
    if "status" in active:
        rows = rows.filter(is_open=active["status"] == "open")
    return rows


def ticket_count(active: dict) -> int:
    """The number of tickets with the filters ``active`` (keys of KEPT_FILTERS, values as
    ``filter_tickets`` gives them)."""
    return _rows(active).aggregate(n=Sum("n"))["n"] or 0


def stage_counts(pipeline_id: int, active: dict | None = None) -> dict[int, int]:
    """The number of tickets in each stage of the pipeline with the filters ``active``
    (as ``ticket_count``); stages without any left out."""
    rows = (
        _rows({"pipeline": pipeline_id, **(active or {})})  # (a filter of another: none)
        .values("stage_id")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return {row["stage_id"]: row["total"] for row in rows if row["total"]}
