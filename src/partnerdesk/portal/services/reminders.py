"""Reminders to clients who have not approved delivered work: due a number of working days
after delivery (the portal settings), sent by the periodic job."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy

from partnerdesk.core import clock
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.sla.clock import agency_calendar

from ..events import PortalEvent
from ..models import PortalSettings, Status, Task
from ..recipients import client_recipients
from .common import _event, _notify


def _next_reminder(
    delivered_at: dt.datetime, sent: int, *, days: list | None = None, cal=None
) -> dt.datetime | None:
    """When reminder number ``sent + 1`` is due: that many working days after delivery."""
    if days is None:
        days = PortalSettings.load().approval_reminder_days or []
    if sent >= len(days):
        return None
    return (cal or agency_calendar()).add_working_days(delivered_at, int(days[sent]))


def send_approval_reminders(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Remind clients who have not approved delivered work (the periodic job). Each reminder
    is claimed with a conditional update, so two sweeps never send the same one twice.

    A sweep that runs late (the worker was down) sends one reminder, the latest one due, not
    every missed one in a row."""
    now = now or clock.now()
    due = list(
        Task.objects.filter(
            status=Status.PENDING_APPROVAL,
            next_reminder_at__lte=now,
            delivered_at__isnull=False,
        )
        .select_related("company", "requested_by")
        .order_by("next_reminder_at", "id")[:limit]
    )
    if not due:
        return 0
    days = PortalSettings.load().approval_reminder_days or []
    cal = agency_calendar()
    sent = 0
    for task in due:
        number = task.reminders_sent + 1
        following = _next_reminder(task.delivered_at, number, days=days, cal=cal)
        while following is not None and following <= now:
            number += 1
            following = _next_reminder(task.delivered_at, number, days=days, cal=cal)
        with transaction.atomic():
            claimed = Task.objects.filter(
                pk=task.pk,
                status=Status.PENDING_APPROVAL,
                delivered_at=task.delivered_at,
                reminders_sent=task.reminders_sent,
                next_reminder_at=task.next_reminder_at,
            ).update(reminders_sent=number, next_reminder_at=following)
            if not claimed:
                continue  # another sweep sent it, or the task moved on meanwhile
            _notify(
                client_recipients(task),
                task,
                f"reminder:{task.delivered_at.isoformat()}:{number}",
                gettext_lazy("Reminder: %(title)s is waiting for your approval"),
                staff=False,
            )
            _event(task, PortalEvent.TASK_APPROVAL_REMINDED, SYSTEM, number=number)
            sent += 1
    return sent
