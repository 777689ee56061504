"""Open work per person (dashboard.models.OpenWork), kept by triggers on the tickets and the
client tasks, filled from what is open now.

The triggers' SQL is written out here, as it stood when installed (a later change of the model
or of dashboard.open_work must come with a migration of its own). On SQLite a table that a
later migration rebuilds loses its triggers: tests/dashboard/test_open_work.py checks they are
all there after every migration.
"""

from django.db import migrations, models

from partnerdesk.core.totals import install_triggers

POSTGRESQL = [
    """
    CREATE FUNCTION dashboard_open_work_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF OLD.owner_id IS NOT NULL AND OLD.closed_at IS NULL THEN
                INSERT INTO dashboard_openwork (person, kind, n) VALUES (OLD.owner_id, 'ticket', -1);
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.owner_id IS NOT NULL AND NEW.closed_at IS NULL THEN
                INSERT INTO dashboard_openwork (person, kind, n) VALUES (NEW.owner_id, 'ticket', 1);
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER dashboard_open_work_ticket AFTER INSERT OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION dashboard_open_work_ticket()
    """,
    """
    CREATE TRIGGER dashboard_open_work_ticket_update AFTER UPDATE OF owner_id, closed_at
    ON tickets_ticket FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id
          OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL))
    EXECUTE FUNCTION dashboard_open_work_ticket()
    """,
    """
    CREATE FUNCTION dashboard_open_work_task() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF OLD.assignee_id IS NOT NULL AND OLD.status IN ('working', 'accepted') THEN
                INSERT INTO dashboard_openwork (person, kind, n)
                VALUES (OLD.assignee_id, OLD.status, -1);
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.assignee_id IS NOT NULL AND NEW.status IN ('working', 'accepted') THEN
                INSERT INTO dashboard_openwork (person, kind, n)
                VALUES (NEW.assignee_id, NEW.status, 1);
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER dashboard_open_work_task AFTER INSERT OR DELETE ON portal_task
    FOR EACH ROW EXECUTE FUNCTION dashboard_open_work_task()
    """,
    """
    CREATE TRIGGER dashboard_open_work_task_update AFTER UPDATE OF assignee_id, status
    ON portal_task FOR EACH ROW
    WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.status <> NEW.status)
    EXECUTE FUNCTION dashboard_open_work_task()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_open_work_ticket ON tickets_ticket",
    "DROP TRIGGER IF EXISTS dashboard_open_work_ticket_update ON tickets_ticket",
    "DROP TRIGGER IF EXISTS dashboard_open_work_task ON portal_task",
    "DROP TRIGGER IF EXISTS dashboard_open_work_task_update ON portal_task",
    "DROP FUNCTION IF EXISTS dashboard_open_work_ticket()",
    "DROP FUNCTION IF EXISTS dashboard_open_work_task()",
]

_OLD_TICKET = (
    "INSERT INTO dashboard_openwork (person, kind, n) SELECT OLD.owner_id, 'ticket', -1 "
    "WHERE OLD.owner_id IS NOT NULL AND OLD.closed_at IS NULL;"
)
_NEW_TICKET = (
    "INSERT INTO dashboard_openwork (person, kind, n) SELECT NEW.owner_id, 'ticket', 1 "
    "WHERE NEW.owner_id IS NOT NULL AND NEW.closed_at IS NULL;"
)
_OLD_TASK = (
    "INSERT INTO dashboard_openwork (person, kind, n) SELECT OLD.assignee_id, OLD.status, -1 "
    "WHERE OLD.assignee_id IS NOT NULL AND OLD.status IN ('working', 'accepted');"
)
_NEW_TASK = (
    "INSERT INTO dashboard_openwork (person, kind, n) SELECT NEW.assignee_id, NEW.status, 1 "
    "WHERE NEW.assignee_id IS NOT NULL AND NEW.status IN ('working', 'accepted');"
)

SQLITE = [
    f"CREATE TRIGGER dashboard_open_work_ticket_insert AFTER INSERT ON tickets_ticket "
    f"BEGIN {_NEW_TICKET} END",
    f"CREATE TRIGGER dashboard_open_work_ticket_delete AFTER DELETE ON tickets_ticket "
    f"BEGIN {_OLD_TICKET} END",
    "CREATE TRIGGER dashboard_open_work_ticket_update AFTER UPDATE OF owner_id, closed_at "
    "ON tickets_ticket WHEN OLD.owner_id IS NOT NEW.owner_id "
    "OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL) "
    f"BEGIN {_OLD_TICKET} {_NEW_TICKET} END",
    f"CREATE TRIGGER dashboard_open_work_task_insert AFTER INSERT ON portal_task "
    f"BEGIN {_NEW_TASK} END",
    f"CREATE TRIGGER dashboard_open_work_task_delete AFTER DELETE ON portal_task "
    f"BEGIN {_OLD_TASK} END",
    "CREATE TRIGGER dashboard_open_work_task_update AFTER UPDATE OF assignee_id, status "
    "ON portal_task WHEN OLD.assignee_id IS NOT NEW.assignee_id OR OLD.status <> NEW.status "
    f"BEGIN {_OLD_TASK} {_NEW_TASK} END",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS dashboard_open_work_{table}_{op}"
    for table in ("ticket", "task")
    for op in ("insert", "delete", "update")
]

FILL = """
    INSERT INTO dashboard_openwork (person, kind, n)
    SELECT owner_id, 'ticket', COUNT(*) FROM tickets_ticket
    WHERE owner_id IS NOT NULL AND closed_at IS NULL GROUP BY owner_id
    UNION ALL
    SELECT assignee_id, status, COUNT(*) FROM portal_task
    WHERE assignee_id IS NOT NULL AND status IN ('working', 'accepted')
    GROUP BY assignee_id, status
"""


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_drop_redundant_indexes"),
        ("tickets", "0016_drop_redundant_indexes"),
        ("portal", "0008_drop_redundant_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenWork",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("person", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("ticket", "Open tickets"),
                            ("working", "Client tasks in progress"),
                            ("accepted", "Client tasks accepted"),
                        ],
                        max_length=8,
                    ),
                ),
                ("n", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["person", "kind", "n"], name="open_work_person")
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
