"""Running totals the database keeps: figures a page shows that triggers maintain in the
transaction of every change, instead of a count at each request (``docs/architecture.md``,
*Running totals*). Each app defines its tables of totals as :class:`Totals` (what names a
figure, what is summed, the recount) and ``register``s them; this module compacts, rebuilds
and checks every registered one.

Triggers add a row per change of what a total counts, whatever wrote it (a service, a bulk
update, a deletion): +1 for the figure that gains a record, −1 for the one that loses it (and
the amount, where one is summed). Rows are only ever inserted, so two writers never wait for,
or deadlock on, one figure's row; ``compact`` folds them into one row per figure every
minute (``core.periodic``), so a page reads a few rows per figure however many records there
are. ``differences`` recomputes every figure from the records and compares (``manage.py
check_totals``); ``rebuild`` replaces them with the recount (after a bulk load that bypassed
the triggers, ``manage.py scale_data``).
"""

# The SQL here is put together from the table and column names of registered Totals, never
# from input: nothing for S608 (string-built SQL) to find.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, migrations, transaction

_REGISTERED: list[Totals] = []


@dataclass(frozen=True)
class Totals:
    """One table of running totals: the columns that name a figure (``keys``) and those
    summed (``sums``); ``recount``, a SELECT of the keys and sums as they are now;
    ``live``, the condition of the figures that still exist (on SQLite a test database's
    flush deletes the records row by row, and their triggers leave rows for records gone);
    ``sources``, the tables of the records counted (with none left, no figure is left:
    ``forget_emptied``)."""

    name: str
    table: str
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    recount: str
    live: str
    sources: tuple[str, ...] = ()

    @property
    def columns(self) -> str:
        return ", ".join((*self.keys, *self.sums))

    def grouped(self, source: str, where: str = "") -> str:
        sums = ", ".join(f"SUM({s})" for s in self.sums)
        nonzero = " OR ".join(f"SUM({s}) <> 0" for s in self.sums)
        keys = ", ".join(self.keys)
        return f"SELECT {keys}, {sums} FROM {source} {where} GROUP BY {keys} HAVING {nonzero}"


def register(totals: Totals) -> Totals:
    if all(t.table != totals.table for t in _REGISTERED):
        _REGISTERED.append(totals)
    return totals


def registered() -> tuple[Totals, ...]:
    return tuple(_REGISTERED)


def compact(totals: tuple[Totals, ...] | None = None) -> int:
    """Fold each figure's rows into one (none when they sum to zero); returns the rows left.
    On PostgreSQL one statement a table, so two compactions at once never count a row twice
    (the second's DELETE skips the rows the first took) and a change committed meanwhile
    keeps its row."""
    left = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for t in registered() if totals is None else totals:
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


def forget_emptied() -> None:
    """Delete the rows of every table of totals whose records are all gone (a flush: a test
    database's, or ``manage.py flush``). On SQLite the flush deletes row by row, in no set
    order: a table of totals emptied before its records keeps the rows their deletion's
    triggers added, which would be read as figures of records that no longer exist, under
    keys (a status, say) that new records share. Run after every flush and migration
    (``core.apps``): one look at each source table."""
    tables = set(connection.introspection.table_names())  # (a migration back: not all exist)
    with transaction.atomic(), connection.cursor() as cursor:
        for t in registered():
            if t.sources and {t.table, *t.sources} <= tables:
                empty = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {s})" for s in t.sources)
                cursor.execute(f"DELETE FROM {t.table} WHERE {empty}")


def rebuild(totals: tuple[Totals, ...] | None = None) -> None:
    """Replace every row with the recount. On PostgreSQL one statement a table (one
    snapshot): a change committed meanwhile is either in the recount or keeps its own row,
    never both."""
    with transaction.atomic(), connection.cursor() as cursor:
        for t in registered() if totals is None else totals:
            refill = f"INSERT INTO {t.table} ({t.columns}) {t.recount}"
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH gone AS (DELETE FROM {t.table}) {refill}")
            else:
                cursor.execute(f"DELETE FROM {t.table}")
                cursor.execute(refill)


def kept(t: Totals) -> dict[tuple, tuple[int, ...]]:
    """The figures the rows sum to, those not zero, of the records that still exist."""
    return read(t, t.grouped(t.table, f"WHERE {t.live}"))


def recounted(t: Totals) -> dict[tuple, tuple[int, ...]]:
    return read(t, t.recount)


def read(t: Totals, sql: str) -> dict[tuple, tuple[int, ...]]:
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


def install_triggers(
    *,
    postgresql: list[str],
    sqlite: list[str],
    drop_postgresql: list[str],
    drop_sqlite: list[str],
    fill: str,
) -> migrations.RunPython:
    """A migration's operation that installs triggers (the statements for the database at
    hand) and then runs ``fill`` (a table of totals: its recount; the configuration's stamp,
    ``core.configuration``: its first value); reversed, it drops them. The migration writes
    its SQL out, as it stood when installed."""

    def install(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        statements = {"postgresql": postgresql, "sqlite": sqlite}.get(vendor)
        if statements is None:
            raise RuntimeError(f"no triggers written for {vendor}")
        for statement in [*statements, fill]:
            schema_editor.execute(statement)

    def uninstall(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in drop_postgresql if vendor == "postgresql" else drop_sqlite:
            schema_editor.execute(statement)

    return migrations.RunPython(install, uninstall)
