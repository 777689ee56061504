"""Rows in bulk, for any model: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

The generator gives every row its primary key itself (counting on from the table's largest id),
so rows can point at each other before anything is written, and a block of the agency is one
transaction: its tickets, their stage visits, notes and events go in together. Sequences are
set past the ids used at the end (``reset_sequences``), as ``loaddata`` does.

A row is given as keyword arguments; every column it does not name takes the field's default
(``Model()``'s value), so a new nullable column never breaks the generator.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection as default_connection
from django.db import models


class Table:
    """One model's columns, defaults and buffered rows."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
        for f in self.fields:  # ``ticket`` as well as ``ticket_id``
            self.position.setdefault(f.name, self.position[f.attname])
        self.json = {i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)}
        self.template = [self._default(f) for f in self.fields]
        pk = model._meta.pk
        self.auto_pk = isinstance(pk, models.AutoField)
        self.pk_position = self.position[pk.attname]
        self.rows: list[list] = []

    @staticmethod
    def _default(field) -> object:
        if field.primary_key:
            return None
        if field.has_default() and callable(field.default):
            value = field.default()
            # dict/list are a JSON field's empty value; a callable like timezone.now is not a
            # default a reproducible row may take: leave it None (the row has to name it).
            return value if isinstance(value, dict | list | str | bool | int) else None
        return field.get_default()

    def row(self, values: dict) -> list:
        row = list(self.template)
        position = self.position
        for name, value in values.items():
            row[position[name]] = value
        for i in self.json:
            value = row[i]
            if value is not None and not isinstance(value, str):
                row[i] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return row


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return str(value)  # what Django's SQLite backend stores
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Writer:
    """Buffers rows per model and writes them in one go (``flush``), inside the caller's
    transaction. Foreign keys are deferred to the commit on both databases (Django creates them
    ``DEFERRABLE INITIALLY DEFERRED``), so the order of the tables does not matter."""

    def __init__(self, connection=None):
        self.connection = connection or default_connection
        self.postgres = self.connection.vendor == "postgresql"
        self.tables: dict[type[models.Model], Table] = {}
        self.next_ids: dict[type[models.Model], int] = {}
        self.written: Counter[str] = Counter()

    def table(self, model: type[models.Model]) -> Table:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = Table(model)
        return table

    def new_id(self, model: type[models.Model]) -> int:
        """The next free primary key of ``model`` (one more than the largest, at first)."""
        next_id = self.next_ids.get(model)
        if next_id is None:
            with self.connection.cursor() as cursor:
                pk = model._meta.pk.column
                cursor.execute(
                    f'SELECT MAX("{pk}") FROM "{model._meta.db_table}"'  # noqa: S608 (names from the model)
                )
                next_id = (cursor.fetchone()[0] or 0) + 1
        self.next_ids[model] = next_id + 1
        return next_id

    def add(self, model: type[models.Model], **values) -> int:
        """Buffer one row; returns its primary key (a new one unless ``id`` is given)."""
        table = self.table(model)
        if table.auto_pk and "id" not in values:
            values["id"] = self.new_id(model)
        table.rows.append(table.row(values))
        return int(values["id" if "id" in values else model._meta.pk.attname])

    def pending(self) -> int:
        return sum(len(t.rows) for t in self.tables.values())

    def take(self) -> list[tuple[Table, list[list]]]:
        """The buffered rows, per table, leaving the buffers empty (to ``write`` them later,
        perhaps from another thread while the next block is made)."""
        batch = [(table, table.rows) for table in self.tables.values() if table.rows]
        for table, _rows in batch:
            table.rows = []
        return batch

    def write(self, batch: list[tuple[Table, list[list]]]) -> int:
        """Write rows ``take`` returned, on this thread's connection; returns how many."""
        total = 0
        for table, rows in batch:
            if self.postgres:
                self._copy(table, rows)
            else:
                self._insert(table, rows)
            self.written[table.model._meta.label] += len(rows)
            total += len(rows)
        return total

    def flush(self) -> int:
        """Write every buffered row now; returns how many."""
        return self.write(self.take())

    def skip_foreign_key_checks(self) -> bool:
        """On PostgreSQL as a superuser: don't fire the foreign-key triggers for the rows of
        this transaction (``session_replication_role = replica``, as pg_restore can); with a
        million tickets they cost more than the COPY itself. The generator's references are
        checked on SQLite, which keeps its checks (tests/devtools). Returns whether it did."""
        if not self.postgres:
            return False
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser')")
            if cursor.fetchone()[0] != "on":
                return False
            cursor.execute("SET LOCAL session_replication_role = replica")
        return True

    def _copy(self, table: Table, rows: list[list]) -> None:
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.model._meta.db_table),
            sql.SQL(", ").join([sql.Identifier(str(c)) for c in table.columns]),
        )
        with self.connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def _insert(self, table: Table, rows: list[list]) -> None:
        quote = self.connection.ops.quote_name
        statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
            quote(table.model._meta.db_table),
            ", ".join(quote(c) for c in table.columns),
            ", ".join(["%s"] * len(table.columns)),
        )
        with self.connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                chunk = [[_sqlite_value(v) for v in row] for row in rows[start : start + 5000]]
                cursor.executemany(statement, chunk)

    def reset_sequences(self) -> None:
        """Move each sequence past the ids written (PostgreSQL; SQLite's AUTOINCREMENT follows
        the largest id inserted by itself)."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(self.tables))
        if statements:
            with self.connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
