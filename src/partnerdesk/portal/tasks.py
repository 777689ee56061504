"""Background work of the task queue: message emails and approval reminders."""

from django.tasks import task

from . import services
from .mail import send_message_emails_task

# The message email task lives in mail.py (which re-enqueues it); this name keeps the jobs
# queued under its former path, ``partnerdesk.portal.tasks.send_message_emails``, running.
send_message_emails = send_message_emails_task


@task
def approval_reminders_task() -> int:
    """The periodic job (core.periodic): reminders to clients who have not approved."""
    return services.send_approval_reminders()
