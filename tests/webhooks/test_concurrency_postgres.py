"""Several workers handling the same event at once still make one delivery per endpoint, and
several workers sending the same delivery at once POST it once (PostgreSQL: real concurrent
writers from threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from partnerdesk.webhooks import sending, services
from partnerdesk.webhooks.models import Delivery

WORKERS = 8


def _race(fn) -> list:
    barrier = threading.Barrier(WORKERS)
    results, errors, lock = [], [], threading.Lock()

    def worker():
        try:
            barrier.wait()
            value = fn()
            with lock:
                results.append(value)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_handlers_and_senders_make_and_send_one_delivery(
    make_endpoint, receiver, admin, company, email_pipeline
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    first, _secret = make_endpoint(name="First")
    second, _secret = make_endpoint(name="Second")
    with transaction.atomic():
        crm.deal_create(by=admin, name="Race deal", pipeline=email_pipeline, company=company)
    event = Event.objects.get(kind="deal.created")

    made = _race(lambda: services.deliveries_for_event(event))
    deliveries = Delivery.objects.filter(event=event)
    assert sorted(deliveries.values_list("endpoint_id", flat=True)) == [first.pk, second.pk]
    assert sorted(pk for ids in made for pk in ids) == sorted(d.pk for d in deliveries)

    delivery = deliveries.get(endpoint=first)
    outcomes = _race(lambda: str(sending.attempt(delivery.pk).status))
    assert sorted(outcomes) == ["skipped"] * (WORKERS - 1) + ["succeeded"]
    assert len(receiver.received()) == 1
    assert delivery.attempt_log.count() == 1
