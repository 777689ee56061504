"""Triggers that give the configuration a new stamp (core.configuration) in the transaction of
every change to a table its cached reads touch, and the first stamp.

As in the running totals' migrations, the SQL is written out as it stood when installed;
tests/core/test_configuration.py checks that every table of core.configuration.TABLES has
its triggers after every migration.
"""

import uuid

from django.db import migrations

from partnerdesk.core.totals import install_triggers

TABLES = (
    "crm_pipeline",
    "crm_stage",
    "crm_stage_required_properties",
    "crm_propertydefinition",
    "sla_slapolicy",
    "sla_calendar",
    "sla_holiday",
)

POSTGRESQL = [
    """
    CREATE FUNCTION core_configuration_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO core_configurationstamp (id, stamp)
        VALUES (1, replace(gen_random_uuid()::text, '-', ''))
        ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
        RETURN NULL;
    END $$
    """,
    *(
        f"CREATE TRIGGER {table}_configuration AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION core_configuration_changed()"
        for table in TABLES
    ),
]
POSTGRESQL_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_configuration ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS core_configuration_changed()",
]
# An UPDATE, and an INSERT only where the row is missing (a flushed test database): in a
# trigger SQLite applies the outer statement's conflict clause to the body's statements, so an
# upsert would be ignored under the INSERT OR IGNORE with which Django adds to a many-to-many.
NEW_STAMP = (
    "UPDATE core_configurationstamp SET stamp = lower(hex(randomblob(16))) WHERE id = 1; "
    "INSERT INTO core_configurationstamp (id, stamp) SELECT 1, lower(hex(randomblob(16))) "
    "WHERE NOT EXISTS (SELECT 1 FROM core_configurationstamp WHERE id = 1);"
)
OPERATIONS = ("insert", "update", "delete")
SQLITE = [
    f"CREATE TRIGGER {table}_configuration_{op} AFTER {op.upper()} ON {table} "
    f"BEGIN {NEW_STAMP} END"
    for table in TABLES
    for op in OPERATIONS
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_configuration_{op}" for table in TABLES for op in OPERATIONS
]


# The first stamp: random, drawn when the migration is loaded (one per migrate run); an
# upsert, as the row outlives the migration's reversal.
FIRST_STAMP = (
    "INSERT INTO core_configurationstamp (id, stamp) "  # noqa: S608 (a uuid's hex)
    f"VALUES (1, '{uuid.uuid4().hex}') "
    "ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp"
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_configuration_stamp"),
        ("crm", "0010_drop_redundant_indexes"),
        ("sla", "0004_drop_redundant_indexes"),
    ]

    operations = [
        install_triggers(
            postgresql=POSTGRESQL,
            sqlite=SQLITE,
            drop_postgresql=POSTGRESQL_DROP,
            drop_sqlite=SQLITE_DROP,
            fill=FIRST_STAMP,
        )
    ]
