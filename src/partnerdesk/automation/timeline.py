from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer


def _ran(event) -> str:
    steps = [s for s in event.data.get("steps", []) if s]
    text = _("Workflow “%(w)s” ran") % {"w": event.data.get("workflow", "")}
    return f"{text}: {'; '.join(steps)}" if steps else text


register_describer("workflow.ran", _ran)
register_describer(
    "workflow.failed",
    lambda e: (
        _("Workflow “%(w)s” failed: %(error)s")
        % {"w": e.data.get("workflow", ""), "error": e.data.get("error", "")}
    ),
)
register_describer(
    "ticket.tracker_issue_closed",
    lambda e: _("Issue #%(n)s was closed in the issue tracker") % {"n": e.data.get("number", "")},
)
