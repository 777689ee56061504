"""Triggers that give the configuration a new stamp (core.configuration) in the transaction of
every change to a table its cached reads touch, and the first stamp.

As in the running totals' migrations, the SQL is written out as it stood when installed;
tests/core/test_configuration.py checks that every table of core.configuration.TABLES has
its triggers after every migration.
"""

import uuid

from django.db import migrations

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


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise RuntimeError(f"no configuration-stamp triggers for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)
    # The first stamp.
    schema_editor.execute(
        "INSERT INTO core_configurationstamp (id, stamp) VALUES (1, %s)", [uuid.uuid4().hex]
    )


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_configuration_stamp"),
        ("crm", "0010_drop_redundant_indexes"),
        ("sla", "0004_drop_redundant_indexes"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
