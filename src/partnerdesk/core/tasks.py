"""Background jobs of the plumbing itself (enqueued by the scheduler, see ``core.periodic``)."""

from django.tasks import task

from . import workers


@task
def reclaim_stale_tasks() -> dict:
    """Fail the task rows that killed workers left RUNNING; forget long-gone workers."""
    return {
        "reclaimed": workers.reclaim_stale_tasks(),
        "heartbeats_pruned": workers.prune_heartbeats(),
    }


@task
def compact_totals_task() -> int:
    """Fold the rows the triggers added to the running totals into one per figure."""
    from . import totals

    return totals.compact()
