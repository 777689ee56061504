"""The deals per pipeline stage and currency, counted and valued (dashboard.models.DealValue),
kept by triggers on the deals, filled from the deals there are.

As in 0003, the triggers' SQL is written out as it stood when installed, and
tests/dashboard/test_totals.py checks every trigger exists after every migration.
"""

from django.db import migrations, models

from partnerdesk.core.totals import install_triggers

CENTS = "CAST(ROUND(COALESCE({row}.amount, 0) * 100) AS BIGINT)"
OLD_DEAL = (
    "INSERT INTO dashboard_dealvalue (pipeline_id, stage_id, currency, n, cents) "
    f"VALUES (OLD.pipeline_id, OLD.stage_id, OLD.currency, -1, -{CENTS.format(row='OLD')});"
)
NEW_DEAL = (
    "INSERT INTO dashboard_dealvalue (pipeline_id, stage_id, currency, n, cents) "
    f"VALUES (NEW.pipeline_id, NEW.stage_id, NEW.currency, 1, {CENTS.format(row='NEW')});"
)

POSTGRESQL = [
    f"""
    CREATE FUNCTION dashboard_deal_value() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {OLD_DEAL}
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {NEW_DEAL}
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER dashboard_deal_value AFTER INSERT OR DELETE ON crm_deal
    FOR EACH ROW EXECUTE FUNCTION dashboard_deal_value()
    """,
    """
    CREATE TRIGGER dashboard_deal_value_update
    AFTER UPDATE OF pipeline_id, stage_id, currency, amount ON crm_deal FOR EACH ROW
    WHEN (OLD.pipeline_id IS DISTINCT FROM NEW.pipeline_id
          OR OLD.stage_id IS DISTINCT FROM NEW.stage_id
          OR OLD.currency IS DISTINCT FROM NEW.currency
          OR OLD.amount IS DISTINCT FROM NEW.amount)
    EXECUTE FUNCTION dashboard_deal_value()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_deal_value ON crm_deal",
    "DROP TRIGGER IF EXISTS dashboard_deal_value_update ON crm_deal",
    "DROP FUNCTION IF EXISTS dashboard_deal_value()",
]
SQLITE = [
    f"CREATE TRIGGER dashboard_deal_value_insert AFTER INSERT ON crm_deal BEGIN {NEW_DEAL} END",
    f"CREATE TRIGGER dashboard_deal_value_delete AFTER DELETE ON crm_deal BEGIN {OLD_DEAL} END",
    "CREATE TRIGGER dashboard_deal_value_update "
    "AFTER UPDATE OF pipeline_id, stage_id, currency, amount ON crm_deal "
    "WHEN OLD.pipeline_id IS NOT NEW.pipeline_id OR OLD.stage_id IS NOT NEW.stage_id "
    "OR OLD.currency IS NOT NEW.currency OR OLD.amount IS NOT NEW.amount "
    f"BEGIN {OLD_DEAL} {NEW_DEAL} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS dashboard_deal_value_{op}" for op in ("insert", "delete", "update")
]
FILL = f"""
    INSERT INTO dashboard_dealvalue (pipeline_id, stage_id, currency, n, cents)
    SELECT pipeline_id, stage_id, currency, COUNT(*), SUM({CENTS.format(row="crm_deal")})
    FROM crm_deal GROUP BY pipeline_id, stage_id, currency
"""


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_open_work"),
        ("crm", "0010_drop_redundant_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="DealValue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pipeline_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField()),
                ("currency", models.CharField(max_length=3)),
                ("n", models.IntegerField()),
                ("cents", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["stage_id", "currency"], name="deal_value_stage")],
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
