"""The satisfaction app's reactions to events (registered when the app is ready).

- A task reaching Complete (``task.state_changed`` to ``complete``) or a ticket entering a
  closed stage (``ticket.stage_changed`` with ``closed``) sends its survey, once
  (``services.survey_create_for_task`` / ``survey_create_for_ticket``).
- A score at or below the settings' threshold (``csat.answered``) notifies the team lead(s) of
  the agent asked about (``selectors.low_score_recipients``), once per survey.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from partnerdesk.core.events import register_handler
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import Status
from partnerdesk.tickets.events import TicketEvent

from . import selectors, services
from .events import CsatEvent
from .models import Survey, SurveySettings


def survey_after_work(event: Event, subject) -> None:
    if subject is None:
        return
    if event.kind == PortalEvent.TASK_STATE_CHANGED:
        if event.data.get("to") == Status.COMPLETE:
            services.survey_create_for_task(task=subject, by=SYSTEM)
    elif event.kind == TicketEvent.STAGE_CHANGED and event.data.get("closed"):
        services.survey_create_for_ticket(ticket=subject, by=SYSTEM)


def staff_url(survey: Survey) -> str:
    if survey.task_id:
        return reverse("taskdesk:detail", kwargs={"pk": survey.task_id})
    return reverse("tickets:detail", kwargs={"pk": survey.ticket_id})


def alert_low_score(event: Event, subject) -> None:
    survey = (
        Survey.objects.select_related("task", "ticket", "company", "agent")
        .filter(pk=event.data.get("survey_id"))
        .first()
    )
    if survey is None or survey.score is None:
        return
    if survey.score > SurveySettings.load().low_score_threshold:
        return
    agent = survey.agent.display_name if survey.agent else _("nobody")

    def title(user):
        return _("Low satisfaction score (%(score)s/5) from %(company)s: %(title)s") % {
            "score": survey.score,
            "company": survey.company.name,
            "title": survey.subject_title,
        }

    def body(user):
        text = _("Handled by %(agent)s.") % {"agent": agent}
        if survey.comment:
            text += "\n\n" + survey.comment
        return text

    notify(
        users=selectors.low_score_recipients(survey),
        kind=Kind.CSAT_LOW,
        title=title,
        body=body,  # type: ignore[arg-type]  # a callable: each recipient's language
        url=staff_url(survey),
        dedupe_key=f"csat:{survey.pk}:low",
    )


register_handler([PortalEvent.TASK_STATE_CHANGED, TicketEvent.STAGE_CHANGED], survey_after_work)
register_handler([CsatEvent.ANSWERED], alert_low_score)
