"""The configuration a process keeps between requests (core.configuration): every cached read
touches only tables whose triggers give the configuration a new stamp, every kind of write to
those tables does (a service, a bulk update, a many-to-many add, a deletion), a kept value is
read again after a change (of this transaction, of another connection, or rolled back), and
nothing is kept while there is no stamp.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from partnerdesk.core import configuration
from partnerdesk.core.models import ConfigurationStamp
from partnerdesk.crm import properties as props
from partnerdesk.crm.models import Pipeline, PropertyDefinition, Stage
from partnerdesk.sla.clock import agency_calendar
from partnerdesk.sla.models import Calendar, Holiday, SlaPolicy
from partnerdesk.tickets.clocks import policy_for
from partnerdesk.tickets.services import entry_stages_of

pytestmark = pytest.mark.django_db

STAMP_TABLE = "core_configurationstamp"


@pytest.fixture(autouse=True)
def nothing_kept():
    configuration.forget()
    yield
    configuration.forget()


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.filter(object_type="ticket").order_by("order").first()


@pytest.fixture
def entry(pipeline) -> Stage:
    return entry_stages_of(pipeline)[0]


@pytest.fixture
def calendar(db) -> Calendar:
    """A calendar with a holiday, the policy of the first ticket pipeline's entry stage."""
    calendar = Calendar.objects.create(
        name="Cairo office", timezone="Africa/Cairo", week={"6": [["09:00", "17:00"]]}
    )
    Holiday.objects.create(calendar=calendar, date=dt.date(2026, 12, 24), name="Closed")
    return calendar


def read_everything(pipeline: Pipeline, entry: Stage) -> list:
    """Every read through ``configuration``, as services make them."""
    policy = policy_for(pipeline, entry)
    return [
        *(props.definition_list(t) for t in ("ticket", "deal", "company", "contact")),
        props.required_properties(entry),
        entry_stages_of(pipeline),
        policy,
        agency_calendar(policy),
        agency_calendar(),
    ]


def tables_read(queries) -> set[str]:
    return {
        name
        for query in queries
        for name in re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"], flags=re.IGNORECASE)
    }


def triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = c.relname || '_configuration' AND NOT t.tgisinternal "
                "AND t.tgtype & 60 = 60"  # insert, delete, update and truncate
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names = cursor.fetchall()
    return {
        table
        for table, _ in names
        if all(
            (table, f"{table}_configuration_{op}") in names for op in ("insert", "update", "delete")
        )
    }


def test_every_table_a_cached_read_touches_changes_the_stamp(pipeline, entry, calendar):
    SlaPolicy.objects.filter(pipeline=pipeline).update(calendar=calendar)
    with CaptureQueriesContext(connection) as queries:
        read_everything(pipeline, entry)
    read = tables_read(queries.captured_queries) - {STAMP_TABLE}
    assert {"crm_propertydefinition", "crm_stage", "sla_slapolicy", "sla_holiday"} <= read
    assert read <= set(configuration.TABLES)
    assert set(configuration.TABLES) <= triggered_tables()


def test_a_second_read_is_the_stamp_alone(pipeline, entry):
    first = read_everything(pipeline, entry)
    with CaptureQueriesContext(connection) as queries:
        again = read_everything(pipeline, entry)
    assert again == first
    assert {q["sql"] for q in queries.captured_queries} == {configuration._STAMP_SQL}


def test_under_one_stamp_the_reads_ask_for_it_once(pipeline, entry):
    read_everything(pipeline, entry)
    with CaptureQueriesContext(connection) as queries, configuration.one_stamp():
        read_everything(pipeline, entry)
        with configuration.one_stamp():  # nested: the outer one's stamp
            read_everything(pipeline, entry)
    assert [q["sql"] for q in queries.captured_queries] == [configuration._STAMP_SQL]
    with CaptureQueriesContext(connection) as queries:
        read_everything(pipeline, entry)
    assert len(queries.captured_queries) > 1  # left, each read asks again


def row_of(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id) FROM {table}")  # noqa: S608 (a name from TABLES)
        return cursor.fetchone()[0]


@pytest.mark.parametrize("table", configuration.TABLES)
def test_any_write_to_a_configuration_table_changes_the_stamp(table, entry, calendar):
    entry.required_properties.add(PropertyDefinition.objects.filter(object_type="ticket")[0])
    before = configuration.stamp()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET id = id WHERE id = %s",  # noqa: S608 (a name from TABLES)
            [row_of(table)],
        )
    assert configuration.stamp() not in (None, before)


def test_a_many_to_many_add_changes_the_stamp(entry):
    # Django adds with INSERT OR IGNORE on SQLite, whose conflict clause the trigger's own
    # statements then take: an upsert there would be ignored.
    before = props.required_properties(entry)
    definition = PropertyDefinition.objects.filter(object_type="ticket").exclude(
        pk__in=[d.pk for d in before]
    )[0]
    entry.required_properties.add(definition)
    assert set(props.required_properties(entry)) == {*before, definition}


def test_a_bulk_update_is_seen_by_the_next_read(pipeline, entry, calendar):
    assert policy_for(pipeline, entry).calendar_id is None
    SlaPolicy.objects.filter(pipeline=pipeline).update(calendar=calendar)
    assert policy_for(pipeline, entry).calendar_id == calendar.pk
    assert not agency_calendar(policy_for(pipeline, entry)).is_holiday(dt.date(2026, 12, 19))
    Holiday.objects.create(calendar=calendar, date=dt.date(2026, 12, 19))
    assert agency_calendar(policy_for(pipeline, entry)).is_holiday(dt.date(2026, 12, 19))


def test_a_deletion_is_seen_by_the_next_read(pipeline, entry):
    stages = entry_stages_of(pipeline)
    Stage.objects.filter(pk=stages[-1].pk).update(is_entry=False)
    assert entry_stages_of(pipeline) == stages[:-1]
    PropertyDefinition.objects.filter(object_type="ticket", is_builtin=False).delete()
    assert props.definition_list("ticket") == []


def test_what_a_rolled_back_transaction_read_is_never_served(pipeline, entry):
    kept = entry_stages_of(pipeline)
    with pytest.raises(RuntimeError), transaction.atomic():
        Stage.objects.filter(pipeline=pipeline).update(is_entry=False)
        assert entry_stages_of(pipeline) == []
        raise RuntimeError
    assert entry_stages_of(pipeline) == kept


def test_without_a_stamp_every_read_loads_and_the_next_change_makes_one(pipeline, entry):
    ConfigurationStamp.objects.all().delete()
    entry_stages_of(pipeline)
    with CaptureQueriesContext(connection) as queries:
        entry_stages_of(pipeline)
    assert len(queries.captured_queries) == 2  # the stamp, then the stages
    Stage.objects.filter(pk=entry.pk).update(name="Renamed")
    assert configuration.stamp() is not None
    assert entry_stages_of(pipeline)[0].name == "Renamed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_connections_commit_is_seen_by_the_next_read(pipeline, entry):
    if connection.vendor != "postgresql":
        pytest.skip("another connection's commit between two reads: PostgreSQL")
    assert entry_stages_of(pipeline)[0].pk == entry.pk

    def rename():
        try:
            Stage.objects.filter(pk=entry.pk).update(name="Renamed elsewhere")
        finally:
            connection.close()

    other = threading.Thread(target=rename)
    other.start()
    other.join()
    assert entry_stages_of(pipeline)[0].name == "Renamed elsewhere"
