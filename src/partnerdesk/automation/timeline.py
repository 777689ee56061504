"""Sentences for the automation app's timeline entries (one per AutomationEvent); a run's steps
and error read in the reader's language (``describe``)."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer

from .describe import run_error, step_summary
from .events import AutomationEvent


def _ran(event) -> str:
    steps = [step_summary(s) for s in event.data.get("steps", []) if s]
    text = _("Workflow “%(w)s” ran") % {"w": event.data.get("workflow", "")}
    return f"{text}: {'; '.join(steps)}" if steps else text


def _updated(event) -> str:
    data = event.data
    if "added_action" in data:
        return _("Workflow step added: %(a)s") % {"a": data["added_action"]}
    if "removed_action" in data:
        return _("Workflow step removed: %(a)s") % {"a": data["removed_action"]}
    if "conditions" in data:
        return _("Workflow conditions changed")
    if "name" not in data and "enabled" in data:
        return _("Workflow enabled") if data["enabled"] else _("Workflow disabled")
    return _("Workflow updated")


register_describer(
    AutomationEvent.WORKFLOW_CREATED,
    lambda e: _("Workflow “%(w)s” created") % {"w": e.data.get("name", "")},
)
register_describer(AutomationEvent.WORKFLOW_UPDATED, _updated)
register_describer(AutomationEvent.WORKFLOW_RAN, _ran)
register_describer(
    AutomationEvent.WORKFLOW_FAILED,
    lambda e: (
        _("Workflow “%(w)s” failed: %(error)s")
        % {"w": e.data.get("workflow", ""), "error": run_error(e.data.get("error", ""))}
    ),
)
register_describer(
    AutomationEvent.TRACKER_ISSUE_CLOSED,
    lambda e: _("Issue #%(n)s was closed in the issue tracker") % {"n": e.data.get("number", "")},
)
register_describer(
    AutomationEvent.INTEGRATIONS_UPDATED,
    lambda e: _("Integrations changed: %(s)s") % {"s": ", ".join(e.data.get("changed", []))},
)
