"""The client tasks per status, waiting-on and assignee, a running total the database keeps
(``core.totals``, ``models.TaskCount``, the triggers of migration 0009): what the triage
list, the API's task list and the triage page's quick filters count for the agency's staff
when nothing but those three filters them, exact, at the cost of a few rows per
combination however many tasks there are."""

from __future__ import annotations

from django.db.models import Sum

from partnerdesk.core.totals import Totals, register

from .models import TaskCount

TASKS_PER_STATE = register(
    Totals(
        name="tasks per status, waiting-on and assignee",
        table=TaskCount._meta.db_table,
        keys=("status", "waiting_on", "assignee_id"),
        sums=("n",),
        recount="""
            SELECT status, waiting_on, assignee_id, COUNT(*) FROM portal_task
            GROUP BY status, waiting_on, assignee_id
        """,
        # Every status and waiting-on is a live figure; a deleted user's rows sum to zero.
        live="assignee_id IS NULL OR assignee_id IN (SELECT id FROM accounts_user)",
        sources=("portal_task",),
    )
)


def task_count(*, statuses=None, waiting_on=None, assignee=None) -> int:
    """The number of tasks with one of ``statuses``, waiting on ``waiting_on`` and assigned
    to ``assignee`` (a user id, or "none" for nobody's); None leaves that one out."""
    rows = TaskCount.objects.all()
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    if waiting_on is not None:
        rows = rows.filter(waiting_on=waiting_on)
    if assignee == "none":
        rows = rows.filter(assignee_id__isnull=True)
    elif assignee is not None:
        rows = rows.filter(assignee_id=assignee)
    return rows.aggregate(n=Sum("n"))["n"] or 0


def waiting_counts(statuses) -> dict[str, int]:
    """The tasks with one of ``statuses`` by what they wait on, in one read."""
    rows = (
        TaskCount.objects.filter(status__in=list(statuses))
        .values("waiting_on")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return {row["waiting_on"]: row["total"] for row in rows}
