"""The partner program's reactions to other apps' events (registered when the app is ready).

Agency work in Partnerdesk records qualifying activities: a portal task reaching Complete
(``task.state_changed`` to ``complete``) whose category is mapped, or a ticket entering a mapped
stage (``ticket.stage_changed``), records the mapped activity for the task's assignee or the
ticket's owner on the client company's HubSpot account (its first one, by creation; nothing
when the company has none), dated the day of the event. Exactly once per event and activity
type (``activity_record_automatic``), however often the event is processed.
"""

from __future__ import annotations

from django.utils import timezone

from partnerdesk.core.events import register_handler
from partnerdesk.core.models import Event
from partnerdesk.portal.events import PortalEvent
from partnerdesk.tickets.events import TicketEvent

from .models import ActivityMapping, HubSpotAccount
from .services import activity_record_automatic

COMPLETE = "complete"


def record_from_work(event: Event, subject) -> None:
    if subject is None:
        return
    if event.kind == PortalEvent.TASK_STATE_CHANGED:
        if event.data.get("to") != COMPLETE:
            return
        mappings = ActivityMapping.objects.filter(task_category_id=subject.category_id)
        employee = subject.assignee
    elif event.kind == TicketEvent.STAGE_CHANGED:
        mappings = ActivityMapping.objects.filter(stage_id=event.data.get("to_stage_id"))
        employee = subject.owner
    else:
        return
    if (
        employee is None
        or not employee.is_agency_staff
        or not employee.is_active
        or not subject.company_id
    ):
        return
    rows = list(mappings.filter(activity_type__is_active=True).select_related("activity_type"))
    if not rows:
        return
    account = HubSpotAccount.objects.filter(company_id=subject.company_id).order_by("pk").first()
    day = timezone.localdate(event.occurred_at)
    if account is None or day < account.opened_on:
        return
    for mapping in rows:
        activity_record_automatic(
            event=event,
            account=account,
            employee=employee,
            activity_type=mapping.activity_type,
            occurred_on=day,
            subject=subject,
        )


register_handler([PortalEvent.TASK_STATE_CHANGED, TicketEvent.STAGE_CHANGED], record_from_work)
