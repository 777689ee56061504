"""Background work of the dashboard: renewal reminders (a periodic job of core.periodic)."""

from django.tasks import task

from . import reminders


@task
def renewal_reminders_task() -> int:
    """Email the renewal reminders due today (each once); returns how many were sent."""
    return reminders.send_renewal_reminders()
