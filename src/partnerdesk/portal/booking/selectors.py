"""Reads of consultation sessions: as a user may see them, and the sessions of one task."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from partnerdesk.core.tenancy import get_object_for_user_or_404, scope_for_user

from ..models import CLOSED_STATUSES, ConsultationSession, Task
from .slots import BOOKED


def sessions_for(user) -> QuerySet[ConsultationSession]:
    return scope_for_user(ConsultationSession, user).select_related(
        "task__company", "task__category", "consultant", "booked_by"
    )


def session_for(user, pk) -> ConsultationSession:
    return get_object_for_user_or_404(sessions_for(user), user, pk=pk)


@dataclass
class TaskSessions:
    """What the task pages show: the booked session (if any) and the earlier ones."""

    task: Task
    booked: ConsultationSession | None
    history: list[ConsultationSession]

    @property
    def can_book(self) -> bool:
        return (
            self.booked is None
            and self.task.category.is_consultation
            and self.task.status not in CLOSED_STATUSES
        )


def task_sessions(task: Task) -> TaskSessions:
    """One query, whatever the number of sessions."""
    rows = list(
        ConsultationSession.objects.filter(task=task)
        .select_related("consultant", "booked_by")
        .order_by("-starts_at", "-id")
    )
    booked = next((s for s in rows if s.status == BOOKED), None)
    return TaskSessions(task, booked, [s for s in rows if s is not booked])
