"""Notification emails in the background: one task per email, or, for the notifications of a
batch of events (``automation.outbox``), one task for all of them (``emails_in_one_task``)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from partnerdesk.core.queue import enqueue_later

from .delivery import MAX_EMAIL_ATTEMPTS, backoff, email_message, log, mailer, send_email
from .models import Notification

_GATHERED = threading.local()


@contextmanager
def emails_in_one_task():
    """Inside (a transaction, with the database task backend), the emails ``queue_email`` is
    given are sent by one task, enqueued at the end in the same transaction: it commits with the
    notifications or not at all. A notification that a rolled-back savepoint took away is
    skipped by the task."""
    if getattr(_GATHERED, "ids", None) is not None:  # nested: the outer one enqueues
        yield
        return
    _GATHERED.ids = []
    try:
        yield
        ids = list(dict.fromkeys(_GATHERED.ids))
    finally:
        _GATHERED.ids = None
    if ids:
        send_notification_emails.enqueue(notification_ids=ids)


def queue_email(notification_id: int) -> None:
    """Send this notification's email in the background once its transaction commits."""
    gathered = getattr(_GATHERED, "ids", None)
    if gathered is not None:
        gathered.append(notification_id)
        return
    transaction.on_commit(lambda: send_notification_email.enqueue(notification_id=notification_id))


def _claim(ids: list[int]) -> list[Notification]:
    """Lock the notifications whose email is still to send, and count the attempt before it is
    made (a worker killed while sending does not make it one more free try)."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(
                pk__in=ids,
                emailed_at__isnull=True,
                email_wanted=True,
                email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            )
            .order_by("pk")
        )
        Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
            email_attempts=F("email_attempts") + 1
        )
    for notification in rows:
        notification.email_attempts += 1
    return rows


def _failed(notification: Notification, exc: Exception) -> None:
    """Record the failure and retry later with backoff, then leave it failed (listed)."""
    log.warning("email for notification %s failed: %s", notification.pk, exc)
    Notification.objects.filter(pk=notification.pk).update(email_error=str(exc)[:2000])
    if notification.email_attempts < MAX_EMAIL_ATTEMPTS:
        enqueue_later(
            send_notification_email,
            timezone.now() + backoff(notification.email_attempts),
            notification_id=notification.pk,
        )


@task
def send_notification_email(notification_id: int) -> str:
    """Send once; on failure retry with backoff, then leave it failed (listed for admins)."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.emailed_at or not notification.email_wanted:
        return "skipped"
    if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
        return "gave up"
    claimed = _claim([notification_id])
    if not claimed:
        return "skipped"
    try:
        send_email(claimed[0])
    except Exception as exc:  # any transport failure: record it and retry later
        _failed(claimed[0], exc)
        return "failed"
    Notification.objects.filter(pk=notification_id).update(
        emailed_at=timezone.now(), email_error=""
    )
    return "sent"


@task
def send_notification_emails(notification_ids: list[int]) -> dict:
    """Send the emails of several notifications over one mail connection; the sent ones are
    recorded in one UPDATE, each failure is retried on its own (``send_notification_email``)."""
    rows = _claim(notification_ids)
    sent: list[int] = []
    failed = 0
    if rows:
        with mailer() as connection:
            for notification in rows:
                try:
                    connection.send_messages([email_message(notification)])
                except Exception as exc:  # this one failed; the others still go
                    _failed(notification, exc)
                    failed += 1
                else:
                    sent.append(notification.pk)
    if sent:
        Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now(), email_error="")
    return {"sent": len(sent), "failed": failed, "skipped": len(notification_ids) - len(rows)}
