"""What the task desk puts on the CRM's record pages (``crm.record_pages``; crm cannot import
portal): a company's client tasks against its plan, the tasks a contact asked for, and the
tasks' events on the merged timelines."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.crm import record_pages
from partnerdesk.crm.record_pages import Figure, Panel, TimelineSource

from . import selectors
from .models import OPEN_STATUSES, SLOT_STATUSES, Status, Task


def _in_progress(taken: int, plan) -> str:
    if plan is None:
        return _("%(taken)s (no plan)") % {"taken": taken}
    return _("%(taken)s of %(limit)s (%(plan)s plan)") % {
        "taken": taken,
        "limit": plan.concurrent_tasks,
        "plan": plan.name,
    }


def company_tasks(company, user) -> Panel:
    """The open tasks (newest few), counted by status, and the plan's slots in use: three
    queries."""
    counts = selectors.status_counts(company.pk)
    plan = selectors.current_plan(company.pk)
    rows = list(
        selectors.triage_list({"company": company.pk}, base=selectors.tasks_for(user))[
            : record_pages.LATEST
        ]
    )
    return Panel(
        key="tasks",
        title=_("Client tasks"),
        template="portal/staff/_glance_tasks.html",
        count=sum(counts.get(status, 0) for status in OPEN_STATUSES),
        rows=rows,
        figures=[
            Figure(
                _("In progress"),
                _in_progress(sum(counts.get(s, 0) for s in SLOT_STATUSES), plan),
                key="in_progress",
            ),
            Figure(_("Pending approval"), counts.get(Status.PENDING_APPROVAL, 0), key="pending"),
            Figure(_("Accepted (queue)"), counts.get(Status.ACCEPTED, 0), key="accepted"),
            Figure(_("Triage"), counts.get(Status.TRIAGE, 0), key="triage"),
        ],
        view_all_url=f"{reverse('taskdesk:triage')}?{urlencode({'company': company.pk})}",
        view_all_label=_("View all open tasks"),
        empty=_("No open tasks."),
        links=[
            (
                _("Change the plan") if plan else _("Choose a plan"),
                reverse("taskdesk:company_plan", args=[company.pk]),
            )
        ],
    )


def contact_tasks(contact, user) -> Panel:
    """Every task the contact asked for — as the client user with their email address, which
    is how a contact signs in to the portal — newest first (one query)."""
    rows: list[Task] = []
    count = 0
    if contact.email:
        rows, count = record_pages.latest(
            selectors.tasks_for(user)
            .filter(requested_by__email__iexact=contact.email)
            .order_by("-created_at", "-id")
        )
    return Panel(
        key="tasks",
        title=_("Tasks they asked for"),
        template="portal/staff/_glance_tasks.html",
        count=count,
        rows=rows,
        empty=_("No task requests."),
    )


record_pages.register_panel("company", "tasks", company_tasks, order=20)
record_pages.register_panel("contact", "tasks", contact_tasks, order=20)
record_pages.register_timeline_source(
    TimelineSource(
        model=Task,
        label=gettext_lazy("Client task"),
        url_name="taskdesk:detail",
        title="title",
        of_contact=lambda contact: (
            Task.objects.filter(requested_by__email__iexact=contact.email).values("pk")
            if contact.email
            else None
        ),
    )
)
