"""Warnings about workflows that cannot run as set up, logged when ``migrate`` installs or
updates the defaults (a fresh install's teams are empty until people join them)."""

from __future__ import annotations

import logging

from .selectors import EmptyTeamStep, empty_team_steps_of, workflows_with_actions

log = logging.getLogger(__name__)


def warn_about_empty_teams() -> list[EmptyTeamStep]:
    """Log one warning per step of an enabled workflow whose team is empty."""
    workflows = list(workflows_with_actions().filter(enabled=True))
    names = {w.pk: w.name for w in workflows}
    steps = empty_team_steps_of(workflows)
    for step in steps:
        log.warning(
            "Workflow “%s”, step “%s”: %s",
            names[step.workflow_id],
            step.action_label,
            step.message,
        )
    return steps


def warn_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        warn_about_empty_teams()
