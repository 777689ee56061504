"""Background work of the task queue: message emails and approval reminders."""

from django.tasks import task


@task
def send_message_emails(message_id: int, attempt: int = 0) -> int:
    """Email one task message to the other side (each recipient once; failures retried with
    backoff; see mail.py)."""
    from . import mail

    return mail.send_message_emails(message_id, attempt)


@task
def approval_reminders_task() -> int:
    """The periodic job (core.periodic): reminders to clients who have not approved."""
    from .services import send_approval_reminders

    return send_approval_reminders()
