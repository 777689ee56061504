"""No index that the database keeps up to date for nothing.

An index whose key columns begin another index's, with no condition on either, answers no
query the longer one cannot: PostgreSQL and SQLite both read the longer index by its leading
columns. Each such index still costs every INSERT, every UPDATE that changes a column it
holds, and every DELETE (issue 16: a new ticket wrote 38 indexes, four of them doubles of
another). A foreign key whose lookups an index already serves says ``db_index=False``.

Left out: the tables Django makes for a many-to-many field without a ``through`` model (their
foreign-key indexes are Django's to make) and the tables of other packages.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # key columns, in order
    unique: bool
    plain: bool  # no condition, no expression, no INCLUDE, default operator classes


def _postgres(table: str) -> list[Index]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ic.relname, i.indisunique,
                   i.indpred IS NULL AND i.indexprs IS NULL AND i.indnatts = i.indnkeyatts
                   AND NOT EXISTS (
                       SELECT 1 FROM unnest(i.indclass::oid[]) cls
                       JOIN pg_opclass o ON o.oid = cls WHERE NOT o.opcdefault
                   ),
                   ARRAY(
                       SELECT a.attname FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1])
                           WITH ORDINALITY k(attnum, n)
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                       ORDER BY k.n
                   )
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass
            """,
            [connection.ops.quote_name(table)],
        )
        return [Index(name, tuple(keys), unique, plain) for name, unique, plain, keys in cursor]


def _sqlite(table: str) -> list[Index]:
    # SQLite has no INCLUDE: Django makes such an index (a covering one on PostgreSQL) of its
    # key columns alone. It is not the index the model asks for, and is left out.
    covering = {
        index.name for model in apps.get_models() for index in model._meta.indexes if index.include
    }
    indexes = []
    with connection.cursor() as cursor:
        listed = cursor.execute(f"PRAGMA index_list({connection.ops.quote_name(table)})")
        for _seq, name, unique, _origin, partial in listed.fetchall():
            columns = cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(name)})")
            keys = tuple(column for _rank, _cid, column in columns.fetchall())
            plain = not partial and None not in keys and name not in covering
            indexes.append(Index(name, keys, bool(unique), plain))
    return indexes


def redundant(indexes: list[Index]) -> list[str]:
    """The plain, non-unique indexes whose keys begin another plain index's (or equal them)."""
    found = []
    for short in indexes:
        if short.unique or not short.plain:
            continue
        for long in indexes:
            if long is short or not long.plain or long.keys[: len(short.keys)] != short.keys:
                continue
            if len(long.keys) > len(short.keys) or long.unique or long.name < short.name:
                found.append(f"{short.name} {short.keys} is served by {long.name} {long.keys}")
                break
    return found


def our_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("partnerdesk.")
        and not model._meta.auto_created  # a many-to-many field's own table
        and model._meta.managed
        and not model._meta.proxy
    )


def test_no_table_keeps_an_index_another_index_serves():
    read = _postgres if connection.vendor == "postgresql" else _sqlite
    found = [f"{table}: {line}" for table in our_tables() for line in redundant(read(table))]
    assert not found, "\n".join(found)


def test_redundant_finds_a_prefix_and_a_double_but_not_a_partial_or_unique_index():
    a = Index("a", ("owner_id",), False, True)
    b = Index("b", ("owner_id", "created_at"), False, True)
    partial = Index("p", ("owner_id", "created_at"), False, False)
    unique = Index("u", ("owner_id",), True, True)
    double = Index("z", ("owner_id",), False, True)
    assert redundant([a, b]) == ["a ('owner_id',) is served by b ('owner_id', 'created_at')"]
    assert redundant([a, partial, unique]) == ["a ('owner_id',) is served by u ('owner_id',)"]
    assert redundant([partial]) == []
    assert len(redundant([a, double])) == 1  # one of two equal indexes


def test_every_index_and_constraint_the_models_declare_is_in_the_database():
    # A migration can lose one the model still declares: Django's AlterField that turns a
    # foreign key's db_index off drops every plain b-tree index on the column, a partial unique
    # constraint on it included (sla 0004 lost one_pipeline_policy that way on PostgreSQL).
    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model.__module__.startswith("partnerdesk.") or not model._meta.managed:
                continue
            table = model._meta.db_table
            present = set(connection.introspection.get_constraints(cursor, table))
            declared = [*model._meta.indexes, *model._meta.constraints]
            missing += [f"{table}.{item.name}" for item in declared if item.name not in present]
    assert not missing, missing
