"""Running totals the database keeps (``models.OpenWork``, ``models.DealValue``): read,
compacted, checked.

Triggers (migrations 0003 and 0004) add a row per change of what a total counts, in the
transaction of the change, whatever wrote it (a service, a bulk update, a deletion): +1 for
the figure that gains a record, −1 for the one that loses it (and the amount, for deal
values). Rows are only ever inserted, so two writers never wait for, or deadlock on, one
figure's row; ``compact`` folds them into one row per figure every minute
(``core.periodic``), so a page reads a few rows per figure however many records there are.
``differences`` recomputes every figure from the records and compares (``manage.py
check_totals``); ``rebuild`` replaces them with the recount (after a bulk load that bypassed
the triggers, ``manage.py scale_data``).
"""

# The SQL here is put together from the table and column names of the Totals below, never
# from input: nothing for S608 (string-built SQL) to find.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum

from .models import DealValue, OpenWork


@dataclass(frozen=True)
class Totals:
    """One table of running totals: the columns that name a figure (``keys``) and those
    summed (``sums``); ``recount``, a SELECT of the keys and sums as they are now;
    ``live``, the condition of the figures that still exist (on SQLite a test database's
    flush deletes the records row by row, and their triggers leave rows for records gone)."""

    name: str
    table: str
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    recount: str
    live: str

    @property
    def columns(self) -> str:
        return ", ".join((*self.keys, *self.sums))

    def grouped(self, source: str, where: str = "") -> str:
        sums = ", ".join(f"SUM({s})" for s in self.sums)
        nonzero = " OR ".join(f"SUM({s}) <> 0" for s in self.sums)
        keys = ", ".join(self.keys)
        return f"SELECT {keys}, {sums} FROM {source} {where} GROUP BY {keys} HAVING {nonzero}"


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
)
ALL = (OPEN_WORK, DEAL_VALUES)


def compact(totals: tuple[Totals, ...] = ALL) -> int:
    """Fold each figure's rows into one (none when they sum to zero); returns the rows left.
    On PostgreSQL one statement a table, so two compactions at once never count a row twice
    (the second's DELETE skips the rows the first took) and a change committed meanwhile
    keeps its row."""
    left = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for t in totals:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"WITH gone AS (DELETE FROM {t.table} RETURNING {t.columns}) "
                    f"INSERT INTO {t.table} ({t.columns}) {t.grouped('gone')}"
                )
            else:  # SQLite: one writer at a time, the transaction holds the lock
                cursor.execute(f"SELECT MAX(id) FROM {t.table}")
                top = cursor.fetchone()[0] or 0
                cursor.execute(
                    f"INSERT INTO {t.table} ({t.columns}) " + t.grouped(t.table, "WHERE id <= %s"),
                    [top],
                )
                cursor.execute(f"DELETE FROM {t.table} WHERE id <= %s", [top])
            cursor.execute(f"SELECT COUNT(*) FROM {t.table}")
            left += cursor.fetchone()[0]
    return left


def rebuild(totals: tuple[Totals, ...] = ALL) -> None:
    """Replace every row with the recount. On PostgreSQL one statement a table (one
    snapshot): a change committed meanwhile is either in the recount or keeps its own row,
    never both."""
    with transaction.atomic(), connection.cursor() as cursor:
        for t in totals:
            refill = f"INSERT INTO {t.table} ({t.columns}) {t.recount}"
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH gone AS (DELETE FROM {t.table}) {refill}")
            else:
                cursor.execute(f"DELETE FROM {t.table}")
                cursor.execute(refill)


def kept(t: Totals) -> dict[tuple, tuple[int, ...]]:
    """The figures the rows sum to, those not zero, of the records that still exist."""
    return _read(t, t.grouped(t.table, f"WHERE {t.live}"))


def recounted(t: Totals) -> dict[tuple, tuple[int, ...]]:
    return _read(t, t.recount)


def _read(t: Totals, sql: str) -> dict[tuple, tuple[int, ...]]:
    width = len(t.keys)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {
            tuple(row[:width]): tuple(int(v) for v in row[width:])
            for row in cursor.fetchall()
            if any(row[width:])
        }


def differences(t: Totals) -> dict[tuple, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Where the kept figures and a recount disagree: key → (kept, recounted). Empty when
    they agree."""
    have, want = kept(t), recounted(t)
    zero = (0,) * len(t.sums)
    return {
        key: (have.get(key, zero), want.get(key, zero))
        for key in have.keys() | want.keys()
        if have.get(key, zero) != want.get(key, zero)
    }


# ---------------------------------------------------------------- what the pages read


def open_work_by_person() -> dict[int, dict[str, int]]:
    """Each person's open work by kind (those with none left out): one pass over the rows, a
    few per person between two compactions."""
    found: dict[int, dict[str, int]] = {}
    for (person, kind), (n,) in _read(OPEN_WORK, OPEN_WORK.grouped(OPEN_WORK.table)).items():
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
