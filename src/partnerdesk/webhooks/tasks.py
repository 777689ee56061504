"""Background work: send a delivery (then schedule its retry), and the sweep that picks up
deliveries whose task was lost."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from partnerdesk.core.queue import enqueue_later, pending

from . import sending


@task
def send_delivery(delivery_id: int) -> str:
    """One attempt; on failure the next is deferred with backoff (or left to the sweep when
    the task backend cannot defer)."""
    outcome = sending.attempt(delivery_id)
    if outcome.retry_at is not None:
        enqueue_later(send_delivery, outcome.retry_at, delivery_id=delivery_id)
    return str(outcome.status)


def enqueue_after_commit(delivery_ids: list[int]) -> None:
    """Send these deliveries once the transaction that made them commits (at once when none
    is open)."""
    if delivery_ids:
        transaction.on_commit(
            lambda: [send_delivery.enqueue(delivery_id=pk) for pk in delivery_ids]
        )


def sweep(*, older_than: dt.timedelta = dt.timedelta(seconds=60)) -> int:
    ids = sending.due_for_sweep(older_than=older_than)
    queued = pending(
        send_delivery, "delivery_id", ids, running_since=timezone.now() - sending.STUCK_AFTER
    )
    ids = [pk for pk in ids if pk not in queued]
    for pk in ids:
        send_delivery.enqueue(delivery_id=pk)
    return len(ids)


@task
def webhook_sweep() -> int:
    """The periodic job (core.periodic)."""
    return sweep()
