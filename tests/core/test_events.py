"""Domain events: written inside the change's transaction, read as a timeline."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from partnerdesk.core.events import describe, record_event, register_describer, timeline
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
