from django.db import transaction
from django.tasks import task
from django.utils import timezone

from partnerdesk.core.queue import enqueue_later

from .delivery import MAX_EMAIL_ATTEMPTS, backoff, log, send_email
from .models import Notification


@task
def send_notification_email(notification_id: int) -> str:
    """Send once; on failure retry with backoff, then leave it failed (listed for admins)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at or not notification.email_wanted:
            return "skipped"
        if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
            return "gave up"
        notification.email_attempts += 1
        notification.save(update_fields=["email_attempts"])
    try:
        send_email(notification)
    except Exception as exc:  # any transport failure: record it and retry later
        log.warning("email for notification %s failed: %s", notification_id, exc)
        Notification.objects.filter(pk=notification_id).update(email_error=str(exc)[:2000])
        if notification.email_attempts < MAX_EMAIL_ATTEMPTS:
            enqueue_later(
                send_notification_email,
                timezone.now() + backoff(notification.email_attempts),
                notification_id=notification_id,
            )
        return "failed"
    Notification.objects.filter(pk=notification_id).update(
        emailed_at=timezone.now(), email_error=""
    )
    return "sent"
