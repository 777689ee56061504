"""The outbox's claim costs the same however long the backlog (PostgreSQL plans).

A claim takes the oldest waiting events that are the first waiting event of their record. Written
as "no earlier waiting event of the same record exists", PostgreSQL joined every candidate with
every unprocessed event: claiming 80 of a backlog of 2,000 compared 160,000 pairs (11 ms), and
the work grew with the square of the backlog, just when workers fall behind. Now each candidate
is one probe of ``event_unprocessed_subject``.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from partnerdesk.automation import outbox
from partnerdesk.core.models import Event
from partnerdesk.crm.models import Company

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans"),
]

HISTORY = 100_000
BACKLOG = 3_000
CLAIMED = 80


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def test_a_claim_probes_one_index_entry_per_candidate_whatever_the_backlog():
    company = ContentType.objects.get_for_model(Company)
    # A history of processed events (the plan depends on it), then the backlog: three events
    # for each of 1,000 records, of which only a record's first may be claimed.
    done = timezone.now()
    Event.objects.bulk_create(
        (
            Event(kind="test.done", subject_type=company, subject_id=n, data={}, processed_at=done)
            for n in range(HISTORY)
        ),
        batch_size=10_000,
    )
    Event.objects.bulk_create(
        Event(kind="test.waiting", subject_type=company, subject_id=n % 1_000, data={})
        for n in range(BACKLOG)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_event")
    with transaction.atomic():
        claim = outbox.claimable().order_by("pk").select_for_update(skip_locked=True, of=("self",))
        sql, params = claim[:CLAIMED].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]["Plan"]
        claimed = list(claim[:CLAIMED])

    assert len(claimed) == CLAIMED
    assert len({e.subject_id for e in claimed}) == CLAIMED  # one per record, the first
    assert all(e.pk < BACKLOG // 3 + claimed[0].pk for e in claimed)  # ... of the first 1,000
    compared = sum(n.get("Rows Removed by Join Filter", 0) for n in nodes(plan))
    assert compared < BACKLOG, f"{compared} rows compared to claim {CLAIMED}"
    probes = [n for n in nodes(plan) if n.get("Index Name") == "event_unprocessed_subject"]
    assert probes and all(n["Actual Rows"] <= 1 for n in probes)
