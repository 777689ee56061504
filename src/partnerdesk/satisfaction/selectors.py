"""Reads of surveys: one list selector for the staff page and the API, the client's pending
surveys for the portal, and who hears of a low score."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from partnerdesk.accounts.models import Role, Team, User
from partnerdesk.portal.models import Task

from .models import SCORES, Survey


def surveys_for(user) -> QuerySet[Survey]:
    """The surveys ``user`` may read (staff: all; a client: their company's), with what a row
    shows joined."""
    return Survey.objects.for_user(user).select_related(
        "company", "agent", "recipient", "task", "ticket"
    )


@dataclass(frozen=True)
class SurveyFilters:
    """``answered``: True (the default of the answers page), False (not answered yet, open or
    closed) or None (every survey)."""

    answered: bool | None = True
    score: int | None = None
    kind: str | None = None  # "task" or "ticket"
    company_id: int | None = None
    agent_id: int | None = None
    answered_from: dt.date | None = None
    answered_to: dt.date | None = None


def filter_surveys(user, filters: SurveyFilters) -> QuerySet[Survey]:
    """The one list of surveys the answers page and ``GET /api/satisfaction/surveys`` show:
    newest answers first (then newest sent)."""
    qs = surveys_for(user)
    if filters.answered is True:
        qs = qs.filter(answered_at__isnull=False).order_by("-answered_at", "-id")
    elif filters.answered is False:
        qs = qs.filter(answered_at__isnull=True).order_by("-sent_at", "-id")
    else:
        qs = qs.order_by("-sent_at", "-id")
    if filters.score in SCORES:
        qs = qs.filter(score=filters.score)
    if filters.kind == "task":
        qs = qs.filter(task__isnull=False)
    elif filters.kind == "ticket":
        qs = qs.filter(ticket__isnull=False)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.agent_id:
        qs = qs.filter(agent_id=filters.agent_id)
    if filters.answered_from:
        qs = qs.filter(answered_at__date__gte=filters.answered_from)
    if filters.answered_to:
        qs = qs.filter(answered_at__date__lte=filters.answered_to)
    return qs


def pending_for(user, now: dt.datetime) -> QuerySet[Survey]:
    """A client's open, unanswered surveys (their company's), newest first."""
    if not getattr(user, "is_client", False):
        return Survey.objects.none()
    return surveys_for(user).filter(answered_at__isnull=True, expires_at__gt=now)


def survey_of_task(user, task: Task) -> Survey | None:
    return surveys_for(user).filter(task_id=task.pk).first()


def low_score_recipients(survey: Survey) -> list[User]:
    """Who hears of a low score: the leads of the agent's teams (not the agent themselves);
    when there is none (no agent, no team, or the agent leads every team they are in), the
    agency's admins and managers."""
    leads: list[User] = []
    if survey.agent_id:
        leads = [
            team.lead
            for team in Team.objects.filter(members=survey.agent_id, lead__is_active=True)
            .exclude(lead_id=survey.agent_id)
            .select_related("lead")
            .order_by("name")
            if team.lead is not None
        ]
    if leads:
        return list(dict.fromkeys(leads))
    return list(User.objects.agency_staff().filter(role__in=[Role.ADMIN, Role.MANAGER]))
