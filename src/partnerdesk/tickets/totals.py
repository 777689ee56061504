"""The tickets per pipeline stage, a running total the database keeps (``core.totals``,
``models.StageCount``, the triggers of migration 0017): what a board column counts when the
board shows every ticket of its pipeline (no filter), exact, at the cost of a few rows per
stage."""

from __future__ import annotations

from django.db.models import Sum

from partnerdesk.core.totals import Totals, register

from .models import StageCount

TICKETS_PER_STAGE = register(
    Totals(
        name="tickets per stage",
        table=StageCount._meta.db_table,
        keys=("pipeline_id", "stage_id"),
        sums=("n",),
        recount="""
            SELECT pipeline_id, stage_id, COUNT(*) FROM tickets_ticket
            GROUP BY pipeline_id, stage_id
        """,
        live="stage_id IN (SELECT id FROM crm_stage)",
    )
)


def stage_counts(pipeline_id: int) -> dict[int, int]:
    """The number of tickets in each stage of the pipeline (stages without any left out)."""
    rows = (
        StageCount.objects.filter(pipeline_id=pipeline_id)
        .values("stage_id")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return {row["stage_id"]: row["total"] for row in rows if row["total"]}
