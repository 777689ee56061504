"""Reads for the automation pages: workflows with their actions, run history, and the steps whose
team has nobody to assign or notify (a fresh install's teams are empty until people join them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Team
from partnerdesk.core.converters import parse_id

from .models import Action, ActionType, Workflow, WorkflowRun

# The steps that reach people through a team.
TEAM_STEPS = (ActionType.ASSIGN_OWNER, ActionType.NOTIFY)


def workflows_with_actions() -> QuerySet[Workflow]:
    return Workflow.objects.prefetch_related("actions")


def run_history(
    *, workflow: Workflow | None = None, status: str | None = None
) -> QuerySet[WorkflowRun]:
    """Runs, newest first, with their workflow and event (whose record ``describe`` names)."""
    runs = WorkflowRun.objects.select_related("workflow", "event").order_by("-created_at", "-id")
    if workflow is not None:
        runs = runs.filter(workflow=workflow)
    if status:
        runs = runs.filter(status=status)
    return runs


@dataclass(frozen=True)
class EmptyTeamStep:
    """A step that will fail at run time: its team has no active member (and, for "assign the
    team lead", no active lead)."""

    workflow_id: int
    action_id: int
    action_label: str
    team_name: str

    @property
    def message(self) -> str:
        return _(
            "Team “%(t)s” has no active members: this step fails until someone joins the team."
        ) % {"t": self.team_name}


def team_is_empty_for(action: Action, team: Team, active_members: int) -> bool:
    """Whether ``action`` would find nobody in ``team`` (the rule the run itself follows)."""
    if (
        action.type == ActionType.ASSIGN_OWNER
        and action.config.get("mode") == "lead"
        and team.lead is not None
        and team.lead.is_active
    ):
        return False
    return active_members == 0


def empty_team_steps(actions: Iterable[Action]) -> list[EmptyTeamStep]:
    """The assign and notify steps among ``actions`` whose team is empty; one query for all."""
    steps = [a for a in actions if a.type in TEAM_STEPS and parse_id(a.config.get("team_id"))]
    if not steps:
        return []
    teams = {
        team.pk: team
        for team in Team.objects.filter(pk__in={parse_id(a.config["team_id"]) for a in steps})
        .select_related("lead")
        .annotate(active=Count("members", filter=Q(members__is_active=True)))
    }
    found = []
    for action in steps:
        team = teams.get(parse_id(action.config["team_id"]) or 0)
        if team is not None and team_is_empty_for(action, team, team.active):
            found.append(
                EmptyTeamStep(action.workflow_id, action.pk, action.get_type_display(), team.name)
            )
    return found


def empty_team_steps_of(workflows: Iterable[Workflow]) -> list[EmptyTeamStep]:
    """Same, for workflows whose actions are prefetched."""
    return empty_team_steps(a for w in workflows for a in w.actions.all())
