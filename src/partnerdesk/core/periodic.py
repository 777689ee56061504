"""Periodic jobs, enqueued exactly once per period however many schedulers run.

Each job has an interval; the period is the interval-aligned slot of the current time. The
scheduler inserts (job, period start) under a unique constraint in the same transaction that
enqueues the task, so a second scheduler's insert fails and it enqueues nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import PeriodicRun


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    task: str  # dotted path of a django.tasks task taking no arguments


JOBS: list[Job] = [
    Job("sla_sweep", dt.timedelta(minutes=1), "partnerdesk.tickets.tasks.sla_sweep"),
    Job("outbox_sweep", dt.timedelta(minutes=1), "partnerdesk.automation.tasks.outbox_sweep"),
    Job("webhook_sweep", dt.timedelta(minutes=1), "partnerdesk.webhooks.tasks.webhook_sweep"),
    Job(
        "approval_reminders",
        dt.timedelta(minutes=15),
        "partnerdesk.portal.tasks.approval_reminders_task",
    ),
    # Task rows a killed worker left RUNNING (see core.workers: only when the worker is gone).
    Job(
        "reclaim_stale_tasks", dt.timedelta(minutes=5), "partnerdesk.core.tasks.reclaim_stale_tasks"
    ),
    # Sign-in failure counts that have expired (accounts.throttle).
    Job(
        "prune_login_throttles",
        dt.timedelta(hours=1),
        "partnerdesk.accounts.tasks.prune_login_throttles",
    ),
    # Renewal reminders ahead of each renewal deadline, each once (dashboard.reminders);
    # hourly, so a send that failed is tried again the same day.
    Job(
        "renewal_reminders",
        dt.timedelta(hours=1),
        "partnerdesk.dashboard.tasks.renewal_reminders_task",
    ),
    # The rows the triggers added to the running totals (each person's open work, the
    # deals' values and the tickets per stage), folded into one per figure (core.totals), so
    # a page sums a few rows per figure.
    Job("compact_totals", dt.timedelta(minutes=1), "partnerdesk.core.tasks.compact_totals_task"),
    # Managed-relationship lifecycle, partner program alerts and the January/June tier review.
    Job(
        "partner_program_daily",
        dt.timedelta(days=1),
        "partnerdesk.partner_program.tasks.daily_job",
    ),
    # Complaints waiting on the agency for more than the allowed working days.
    Job(
        "partner_program_complaints",
        dt.timedelta(hours=1),
        "partnerdesk.partner_program.tasks.complaints_job",
    ),
]


def period_start(now: dt.datetime, every: dt.timedelta) -> dt.datetime:
    seconds = int(every.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def enqueue_due_jobs(*, now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every job whose current period has no run yet; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs if jobs is not None else JOBS:
        start = period_start(now, job.every)
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(job=job.name, period_start=start)
                import_string(job.task).enqueue()
        except IntegrityError:
            continue  # another scheduler has this period
        enqueued.append(job.name)
    return enqueued


def prune(*, keep: dt.timedelta = dt.timedelta(days=7)) -> int:
    return PeriodicRun.objects.filter(period_start__lt=timezone.now() - keep).delete()[0]
