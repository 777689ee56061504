"""The staff home's running totals (``core.totals``): each person's open work
(``models.OpenWork``: open tickets owned, client tasks in progress and accepted) and the deals
per pipeline stage and currency with their amounts (``models.DealValue``), kept by the
triggers of migrations 0003 and 0004; and how the pages read them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from partnerdesk.core.totals import Totals, read, register

from .models import DealValue, OpenWork

OPEN_WORK = Totals(
    name="open work",
    table=OpenWork._meta.db_table,
    keys=("person", "kind"),
    sums=("n",),
    recount="""
        SELECT owner_id, 'ticket', COUNT(*) FROM tickets_ticket
        WHERE owner_id IS NOT NULL AND closed_at IS NULL GROUP BY owner_id
        UNION ALL
        SELECT assignee_id, status, COUNT(*) FROM portal_task
        WHERE assignee_id IS NOT NULL AND status IN ('working', 'accepted')
        GROUP BY assignee_id, status
    """,
    live="person IN (SELECT id FROM accounts_user)",
    sources=("tickets_ticket", "portal_task"),
)
DEAL_VALUES = Totals(
    name="deal values",
    table=DealValue._meta.db_table,
    keys=("pipeline_id", "stage_id", "currency"),
    sums=("n", "cents"),
    recount="""
        SELECT pipeline_id, stage_id, currency, COUNT(*),
               SUM(CAST(ROUND(COALESCE(amount, 0) * 100) AS BIGINT))
        FROM crm_deal GROUP BY pipeline_id, stage_id, currency
    """,
    live="stage_id IN (SELECT id FROM crm_stage)",
    sources=("crm_deal",),
)
register(OPEN_WORK)
register(DEAL_VALUES)


# ---------------------------------------------------------------- what the pages read


def open_work_by_person() -> dict[int, dict[str, int]]:
    """Each person's open work by kind (those with none left out): one pass over the rows, a
    few per person between two compactions."""
    found: dict[int, dict[str, int]] = {}
    for (person, kind), (n,) in read(OPEN_WORK, OPEN_WORK.grouped(OPEN_WORK.table)).items():
        found.setdefault(person, {})[kind] = n
    return found


def deal_values(stage_ids) -> dict[int, dict[str, tuple[int, Decimal]]]:
    """Per pipeline, per currency: how many deals are in the given stages and their amounts
    added up, exact, from a few rows per stage and currency."""
    rows = (
        DealValue.objects.filter(stage_id__in=list(stage_ids))
        .values("pipeline_id", "currency")
        .annotate(count=Sum("n"), cents=Sum("cents"))
        .order_by()
    )
    found: dict[int, dict[str, tuple[int, Decimal]]] = {}
    for row in rows:
        if row["count"]:
            value = Decimal(row["cents"]) / 100
            found.setdefault(row["pipeline_id"], {})[row["currency"]] = (row["count"], value)
    return found
