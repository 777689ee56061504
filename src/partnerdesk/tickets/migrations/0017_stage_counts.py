"""The tickets per pipeline stage (tickets.models.StageCount), kept by triggers on the tickets
(core.totals), filled from the tickets there are.

As in dashboard 0003, the triggers' SQL is written out as it stood when installed, and
tests/dashboard/test_totals.py checks every trigger exists after every migration.
"""

from django.db import migrations, models

from partnerdesk.core.totals import install_triggers

OLD = (
    "INSERT INTO tickets_stagecount (pipeline_id, stage_id, n) "
    "VALUES (OLD.pipeline_id, OLD.stage_id, -1);"
)
NEW = (
    "INSERT INTO tickets_stagecount (pipeline_id, stage_id, n) "
    "VALUES (NEW.pipeline_id, NEW.stage_id, 1);"
)
POSTGRESQL = [
    f"""
    CREATE FUNCTION tickets_stage_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {OLD}
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {NEW}
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER tickets_stage_count AFTER INSERT OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_stage_count()
    """,
    """
    CREATE TRIGGER tickets_stage_count_update AFTER UPDATE OF pipeline_id, stage_id
    ON tickets_ticket FOR EACH ROW
    WHEN (OLD.pipeline_id IS DISTINCT FROM NEW.pipeline_id
          OR OLD.stage_id IS DISTINCT FROM NEW.stage_id)
    EXECUTE FUNCTION tickets_stage_count()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS tickets_stage_count ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_stage_count_update ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_stage_count()",
]
SQLITE = [
    f"CREATE TRIGGER tickets_stage_count_insert AFTER INSERT ON tickets_ticket BEGIN {NEW} END",
    f"CREATE TRIGGER tickets_stage_count_delete AFTER DELETE ON tickets_ticket BEGIN {OLD} END",
    "CREATE TRIGGER tickets_stage_count_update AFTER UPDATE OF pipeline_id, stage_id "
    "ON tickets_ticket WHEN OLD.pipeline_id IS NOT NEW.pipeline_id "
    f"OR OLD.stage_id IS NOT NEW.stage_id BEGIN {OLD} {NEW} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS tickets_stage_count_{op}" for op in ("insert", "delete", "update")
]
FILL = """
    INSERT INTO tickets_stagecount (pipeline_id, stage_id, n)
    SELECT pipeline_id, stage_id, COUNT(*) FROM tickets_ticket GROUP BY pipeline_id, stage_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0016_drop_redundant_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="StageCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pipeline_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField()),
                ("n", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["pipeline_id", "stage_id", "n"], name="stage_count")
                ],
            },
        ),
        install_triggers(
            postgresql=POSTGRESQL,
            sqlite=SQLITE,
            drop_postgresql=POSTGRESQL_DROP,
            drop_sqlite=SQLITE_DROP,
            fill=FILL,
        ),
    ]
