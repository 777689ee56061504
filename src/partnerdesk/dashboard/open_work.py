"""Open work per person, kept by the database (``models.OpenWork``): read, compacted, checked.

The triggers (migration 0003) add a row per change of a ticket's owner or open state and of a
client task's assignee or status, in the transaction of the change, whatever wrote it (a
service, a bulk update, a deletion). Rows are only ever inserted there, so two writers never
wait for one person's row; ``compact`` folds them into one row per person and kind, every
minute (``core.periodic``). ``differences`` recomputes the figures from the tickets and tasks
and compares (``manage.py check_open_work``); ``rebuild`` replaces them with the recomputed
ones (after a bulk load that bypassed the triggers, ``manage.py scale_data``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, Sum

from .models import OpenWork, OpenWorkKind

# What is open now, per person and kind: the figures the rows must sum to.
RECOUNT = """
    SELECT owner_id, 'ticket', COUNT(*) FROM tickets_ticket
    WHERE owner_id IS NOT NULL AND closed_at IS NULL GROUP BY owner_id
    UNION ALL
    SELECT assignee_id, status, COUNT(*) FROM portal_task
    WHERE assignee_id IS NOT NULL AND status IN ('working', 'accepted')
    GROUP BY assignee_id, status
"""
REFILL = "INSERT INTO dashboard_openwork (person, kind, n) " + RECOUNT
# PostgreSQL: the old rows go and the recount comes in one statement, one snapshot.
REBUILD = "WITH gone AS (DELETE FROM dashboard_openwork) " + REFILL  # noqa: S608 (constants)


def by_person() -> dict[int, dict[str, int]]:
    """Each person's open work by kind (those with none left out): one pass over the rows, a
    few per person between two compactions."""
    sums = OpenWork.objects.values("person", "kind").annotate(total=Sum("n")).order_by()
    found: dict[int, dict[str, int]] = {}
    for row in sums:
        if row["total"]:
            found.setdefault(row["person"], {})[row["kind"]] = row["total"]
    return found


def compact() -> int:
    """Fold every person's rows of a kind into one (none when they sum to zero); returns the
    rows left. On PostgreSQL one statement, so two compactions at once never count a row
    twice (the second's DELETE skips the rows the first took) and a change committed
    meanwhile keeps its row."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "WITH gone AS (DELETE FROM dashboard_openwork RETURNING person, kind, n) "
                    "INSERT INTO dashboard_openwork (person, kind, n) "
                    "SELECT person, kind, SUM(n) FROM gone GROUP BY person, kind "
                    "HAVING SUM(n) <> 0"
                )
        else:  # SQLite: one writer at a time, the transaction holds the lock
            top = OpenWork.objects.aggregate(top=Max("pk"))["top"] or 0
            sums = (
                OpenWork.objects.filter(pk__lte=top)
                .values("person", "kind")
                .annotate(total=Sum("n"))
                .exclude(total=0)
                .order_by()
            )
            OpenWork.objects.bulk_create(
                OpenWork(person=s["person"], kind=s["kind"], n=s["total"]) for s in sums
            )
            OpenWork.objects.filter(pk__lte=top).delete()
        return OpenWork.objects.count()


def rebuild() -> None:
    """Replace every row with the figures recomputed from the tickets and tasks. On PostgreSQL
    one statement (one snapshot): a change committed meanwhile is either in the recount or
    keeps its own row, never both."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(REBUILD)
        else:
            cursor.execute("DELETE FROM dashboard_openwork")
            cursor.execute(REFILL)


def kept() -> dict[tuple[int, str], int]:
    """The figures the rows sum to, per (person, kind), for the people who exist (a user
    deleted with open work leaves rows that sum to zero at the next compaction)."""
    users = get_user_model()._default_manager.values("pk")
    sums = (
        OpenWork.objects.filter(person__in=users)
        .values("person", "kind")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return {(s["person"], s["kind"]): s["total"] for s in sums if s["total"]}


def recounted() -> dict[tuple[int, str], int]:
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT)
        return {(person, kind): n for person, kind, n in cursor.fetchall()}


def differences() -> dict[tuple[int, str], tuple[int, int]]:
    """Where the kept figures and a recount disagree: (person, kind) → (kept, recounted).
    Empty when they agree."""
    have, want = kept(), recounted()
    return {
        key: (have.get(key, 0), want.get(key, 0))
        for key in have.keys() | want.keys()
        if have.get(key, 0) != want.get(key, 0)
    }


__all__ = ["OpenWorkKind", "by_person", "compact", "differences", "kept", "rebuild", "recounted"]
