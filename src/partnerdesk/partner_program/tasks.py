"""Background work of the partner program: the daily job and the hourly complaint watch
(periodic jobs of core.periodic)."""

from django.tasks import task

from . import accreditation_jobs, jobs


@task
def daily_job() -> dict:
    """Lifecycle, alerts and the January/June review, once a day."""
    return jobs.daily()


@task
def complaints_job() -> int:
    """Complaints waiting on the agency for too many working days, every hour."""
    return accreditation_jobs.complaints_waiting()
