"""Sentences for the task timeline (the task, session and company events of the portal)."""

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer

from .events import PortalEvent
from .models import Status


def _minutes(event) -> str:
    minutes = int(event.data.get("estimate_minutes") or 0)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def _when(value) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "?"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _status(value) -> str:
    return str(Status(value).label) if value in Status.values else "—"


SENTENCES = {
    PortalEvent.TASK_STATE_CHANGED: lambda e: (
        _("Status: %(from)s → %(to)s")
        % {"from": _status(e.data.get("from")), "to": _status(e.data.get("to"))}
    ),
    PortalEvent.TASK_SUBMITTED: lambda e: (
        _("Request submitted (%(category)s)") % {"category": e.data.get("category", "")}
    ),
    PortalEvent.TASK_ACCEPTED: lambda e: (
        _("Accepted with an estimate of %(estimate)s, place %(position)s")
        % {"estimate": _minutes(e), "position": e.data.get("position")}
    ),
    PortalEvent.TASK_DECLINED: lambda e: (
        _("Declined: %(reason)s") % {"reason": e.data.get("reason", "")}
    ),
    PortalEvent.TASK_WITHDRAWN: lambda e: _("Withdrawn by the client"),
    PortalEvent.TASK_STARTED: lambda e: (
        _("Started automatically when a slot freed")
        if e.data.get("automatic")
        else _("Work started")
    ),
    PortalEvent.TASK_ESTIMATE_ADJUSTED: lambda e: (
        _("Estimated completion moved: %(reason)s") % {"reason": e.data.get("reason", "")}
    ),
    PortalEvent.TASK_DELIVERED: lambda e: _("Delivered for approval"),
    PortalEvent.TASK_APPROVED: lambda e: _("Approved by the client"),
    PortalEvent.TASK_CHANGES_REQUESTED: lambda e: _("The client asked for changes"),
    PortalEvent.TASK_APPROVAL_REMINDED: lambda e: (
        _("Approval reminder %(n)s sent") % {"n": e.data.get("number")}
    ),
    PortalEvent.TASK_MESSAGE: lambda e: (
        _("Message by email") if e.data.get("via") == "email" else _("Message")
    ),
    PortalEvent.SESSION_BOOKED: lambda e: (
        _("Consultation session booked for %(when)s") % {"when": _when(e.data.get("starts_at"))}
    ),
    PortalEvent.SESSION_RESCHEDULED: lambda e: (
        _("Consultation session moved from %(previous)s to %(when)s")
        % {
            "previous": _when(e.data.get("previous_starts_at")),
            "when": _when(e.data.get("starts_at")),
        }
    ),
    PortalEvent.SESSION_CANCELLED: lambda e: (
        _("Consultation session of %(when)s cancelled") % {"when": _when(e.data.get("starts_at"))}
    ),
    PortalEvent.PLAN_CHANGED: lambda e: (
        _("Plan changed to %(plan)s") % {"plan": e.data.get("plan")}
    ),
    PortalEvent.QUEUE_REORDERED: lambda e: _("Task queue reordered"),
}

for _kind, _describe in SENTENCES.items():
    register_describer(_kind, _describe)
