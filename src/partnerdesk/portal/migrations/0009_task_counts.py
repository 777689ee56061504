"""The client tasks per status, waiting-on and assignee (portal.models.TaskCount), kept by
triggers on the tasks (core.totals), filled from the tasks there are.

As in dashboard 0003, the triggers' SQL is written out as it stood when installed, and
tests/dashboard/test_totals.py checks every trigger exists after every migration.
"""

from django.db import migrations, models

from partnerdesk.core.totals import install_triggers

OLD = (
    "INSERT INTO portal_taskcount (status, waiting_on, assignee_id, n) "
    "VALUES (OLD.status, OLD.waiting_on, OLD.assignee_id, -1);"
)
NEW = (
    "INSERT INTO portal_taskcount (status, waiting_on, assignee_id, n) "
    "VALUES (NEW.status, NEW.waiting_on, NEW.assignee_id, 1);"
)
POSTGRESQL = [
    f"""
    CREATE FUNCTION portal_task_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE TRIGGER portal_task_count AFTER INSERT OR DELETE ON portal_task
    FOR EACH ROW EXECUTE FUNCTION portal_task_count()
    """,
    """
    CREATE TRIGGER portal_task_count_update AFTER UPDATE OF status, waiting_on, assignee_id
    ON portal_task FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.waiting_on IS DISTINCT FROM NEW.waiting_on
          OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION portal_task_count()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS portal_task_count ON portal_task",
    "DROP TRIGGER IF EXISTS portal_task_count_update ON portal_task",
    "DROP FUNCTION IF EXISTS portal_task_count()",
]
SQLITE = [
    f"CREATE TRIGGER portal_task_count_insert AFTER INSERT ON portal_task BEGIN {NEW} END",
    f"CREATE TRIGGER portal_task_count_delete AFTER DELETE ON portal_task BEGIN {OLD} END",
    "CREATE TRIGGER portal_task_count_update AFTER UPDATE OF status, waiting_on, assignee_id "
    "ON portal_task WHEN OLD.status IS NOT NEW.status OR OLD.waiting_on IS NOT NEW.waiting_on "
    f"OR OLD.assignee_id IS NOT NEW.assignee_id BEGIN {OLD} {NEW} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS portal_task_count_{op}" for op in ("insert", "delete", "update")
]
FILL = """
    INSERT INTO portal_taskcount (status, waiting_on, assignee_id, n)
    SELECT status, waiting_on, assignee_id, COUNT(*) FROM portal_task
    GROUP BY status, waiting_on, assignee_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_drop_redundant_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=16)),
                ("waiting_on", models.CharField(max_length=8)),
                ("assignee_id", models.BigIntegerField(null=True)),
                ("n", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["status", "waiting_on", "assignee_id", "n"], name="task_count"
                    )
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
