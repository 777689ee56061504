"""Sentences for the task timeline (the task.* and plan events of the portal)."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer


def _minutes(event) -> str:
    minutes = int(event.data.get("estimate_minutes") or 0)
    return f"{minutes // 60}h {minutes % 60:02d}m"


SENTENCES = {
    "task.submitted": lambda e: (
        _("Request submitted (%(category)s)") % {"category": e.data.get("category", "")}
    ),
    "task.accepted": lambda e: (
        _("Accepted with an estimate of %(estimate)s, place %(position)s")
        % {"estimate": _minutes(e), "position": e.data.get("position")}
    ),
    "task.declined": lambda e: _("Declined: %(reason)s") % {"reason": e.data.get("reason", "")},
    "task.withdrawn": lambda e: _("Withdrawn by the client"),
    "task.started": lambda e: (
        _("Started automatically when a slot freed")
        if e.data.get("automatic")
        else _("Work started")
    ),
    "task.estimate_adjusted": lambda e: (
        _("Estimated completion moved: %(reason)s") % {"reason": e.data.get("reason", "")}
    ),
    "task.delivered": lambda e: _("Delivered for approval"),
    "task.approved": lambda e: _("Approved by the client"),
    "task.changes_requested": lambda e: _("The client asked for changes"),
    "task.approval_reminded": lambda e: (
        _("Approval reminder %(n)s sent") % {"n": e.data.get("number")}
    ),
    "task.message": lambda e: (
        _("Message by email") if e.data.get("via") == "email" else _("Message")
    ),
    "company.plan_changed": lambda e: _("Plan changed to %(plan)s") % {"plan": e.data.get("plan")},
    "company.queue_reordered": lambda e: _("Task queue reordered"),
}

for _kind, _describe in SENTENCES.items():
    register_describer(_kind, _describe)
