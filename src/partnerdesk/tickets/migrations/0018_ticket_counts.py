"""The tickets per pipeline stage, owner and open or closed (tickets.models.TicketCount), kept
by triggers on the tickets (core.totals), filled from the tickets there are. It takes the
place of the tickets per stage (0017), which it also answers: 0017's triggers go first.

As in dashboard 0003, the triggers' SQL is written out as it stood when installed, and
tests/dashboard/test_totals.py checks every trigger exists after every migration.
"""

import importlib

from django.db import migrations, models

from partnerdesk.core.totals import install_triggers

per_stage = importlib.import_module("partnerdesk.tickets.migrations.0017_stage_counts")
# 0017's triggers, dropped; reversed, installed again with their fill.
per_stage_installed = install_triggers(
    postgresql=per_stage.POSTGRESQL,
    sqlite=per_stage.SQLITE,
    drop_postgresql=per_stage.POSTGRESQL_DROP,
    drop_sqlite=per_stage.SQLITE_DROP,
    fill=per_stage.FILL,
)

OLD = (
    "INSERT INTO tickets_ticketcount (pipeline_id, stage_id, owner_id, is_open, n) "
    "VALUES (OLD.pipeline_id, OLD.stage_id, OLD.owner_id, OLD.closed_at IS NULL, -1);"
)
NEW = (
    "INSERT INTO tickets_ticketcount (pipeline_id, stage_id, owner_id, is_open, n) "
    "VALUES (NEW.pipeline_id, NEW.stage_id, NEW.owner_id, NEW.closed_at IS NULL, 1);"
)
POSTGRESQL = [
    f"""
    CREATE FUNCTION tickets_ticket_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE TRIGGER tickets_ticket_count AFTER INSERT OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_count()
    """,
    """
    CREATE TRIGGER tickets_ticket_count_update
    AFTER UPDATE OF pipeline_id, stage_id, owner_id, closed_at ON tickets_ticket FOR EACH ROW
    WHEN (OLD.pipeline_id IS DISTINCT FROM NEW.pipeline_id
          OR OLD.stage_id IS DISTINCT FROM NEW.stage_id
          OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
          OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL))
    EXECUTE FUNCTION tickets_ticket_count()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS tickets_ticket_count ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_ticket_count_update ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_ticket_count()",
]
SQLITE = [
    f"CREATE TRIGGER tickets_ticket_count_insert AFTER INSERT ON tickets_ticket BEGIN {NEW} END",
    f"CREATE TRIGGER tickets_ticket_count_delete AFTER DELETE ON tickets_ticket BEGIN {OLD} END",
    "CREATE TRIGGER tickets_ticket_count_update "
    "AFTER UPDATE OF pipeline_id, stage_id, owner_id, closed_at ON tickets_ticket "
    "WHEN OLD.pipeline_id IS NOT NEW.pipeline_id OR OLD.stage_id IS NOT NEW.stage_id "
    "OR OLD.owner_id IS NOT NEW.owner_id OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL) "
    f"BEGIN {OLD} {NEW} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS tickets_ticket_count_{op}" for op in ("insert", "delete", "update")
]
FILL = """
    INSERT INTO tickets_ticketcount (pipeline_id, stage_id, owner_id, is_open, n)
    SELECT pipeline_id, stage_id, owner_id, closed_at IS NULL, COUNT(*) FROM tickets_ticket
    GROUP BY pipeline_id, stage_id, owner_id, closed_at IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_stage_counts"),
    ]

    operations = [
        migrations.RunPython(per_stage_installed.reverse_code, per_stage_installed.code),
        migrations.DeleteModel(name="StageCount"),
        migrations.CreateModel(
            name="TicketCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pipeline_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField()),
                ("owner_id", models.BigIntegerField(null=True)),
                ("is_open", models.BooleanField()),
                ("n", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["pipeline_id", "stage_id", "owner_id", "is_open", "n"],
                        name="ticket_count",
                    ),
                    models.Index(fields=["owner_id", "is_open", "n"], name="ticket_count_owner"),
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
