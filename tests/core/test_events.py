"""Domain events: written inside the change's transaction, read as a timeline."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from partnerdesk.core import events as core_events
from partnerdesk.core.events import (
    deferred_events,
    describe,
    record_event,
    register_describer,
    timeline,
)
from partnerdesk.core.models import Event

pytestmark = pytest.mark.django_db(transaction=False)


def test_must_run_inside_a_transaction(company):
    # pytest-django wraps the test in a transaction; leave it to check the guard.
    from django.db import connection

    assert connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the transaction"):
        # Temporarily pretend to be outside any atomic block.
        saved = connection.in_atomic_block
        connection.in_atomic_block = False
        try:
            record_event(kind="x", subject=company)
        finally:
            connection.in_atomic_block = saved


def test_records_fields(company, admin):
    with transaction.atomic():
        event = record_event(
            kind="test.happened", subject=company, actor=admin, data={"a": 1}, company_id=company.pk
        )
    assert event.subject_id == company.pk
    assert event.subject_type.model_class() is type(company)
    assert event.actor == admin
    assert event.data == {"a": 1}
    assert event.processed_at is None


def test_anonymous_actor_is_stored_as_none(company):
    with transaction.atomic():
        event = record_event(kind="x", subject=company, actor=AnonymousUser())
    assert event.actor is None
    assert event.data == {}


def test_timeline_newest_first_and_limited(company, admin):
    with transaction.atomic():
        for i in range(5):
            record_event(kind=f"k{i}", subject=company, actor=admin)
    kinds = [e.kind for e in timeline(company, limit=3)]
    assert kinds == ["k4", "k3", "k2"]
    assert all(e.subject_id == company.pk for e in timeline(company))


def test_timeline_only_for_subject(company, other_company, admin):
    with transaction.atomic():
        record_event(kind="mine", subject=company)
        record_event(kind="theirs", subject=other_company)
    assert "theirs" not in {e.kind for e in timeline(company)}


def test_describe_falls_back_to_kind():
    assert describe(Event(kind="nobody.knows")) == "nobody.knows"
    register_describer("tests.custom", lambda e: f"custom {e.data['n']}")
    assert describe(Event(kind="tests.custom", data={"n": 3})) == "custom 3"


def test_deferred_events_are_written_together_in_order_when_the_block_ends(
    company, admin, monkeypatch, django_capture_on_commit_callbacks
):
    dispatched = []
    monkeypatch.setattr(core_events, "_DISPATCHERS", [dispatched.append])
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        deferred_events(),
    ):
        first = record_event(kind="test.first", subject=company, actor=admin)
        second = record_event(kind="test.second", subject=admin)
        assert first.pk is None and second.pk is None  # not written yet
        assert not Event.objects.filter(kind__startswith="test.").exists()
    assert first.pk is not None and second.pk > first.pk  # in the order they were recorded
    assert list(Event.objects.filter(kind__startswith="test.").order_by("pk")) == [first, second]
    assert dispatched == [first.pk, second.pk]  # handed over once committed, as ever


def test_a_deferred_block_that_raises_writes_no_event(company):
    with pytest.raises(ValueError), transaction.atomic(), deferred_events():
        record_event(kind="test.lost", subject=company)
        raise ValueError("the batch is rolled back")
    with transaction.atomic():
        record_event(kind="test.after", subject=company)  # written at once again
    assert list(Event.objects.filter(kind__startswith="test.").values_list("kind", flat=True)) == [
        "test.after"
    ]
