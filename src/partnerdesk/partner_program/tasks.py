"""Background work of the partner program: the daily job (a periodic job of core.periodic)."""

from django.tasks import task

from . import jobs


@task
def daily_job() -> dict:
    """Lifecycle, alerts and the January/June review, once a day."""
    return jobs.daily()
