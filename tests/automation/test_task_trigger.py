"""*Task request state changed*: every status transition of a task records
``task.state_changed`` with ``from`` and ``to``; a workflow on this trigger runs once per move,
optionally only for moves to one status, and its conditions and texts see the task."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import ActionType, RunStatus, Trigger, WorkflowRun
from partnerdesk.core.errors import DomainError
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.portal import services as portal
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import TaskCategory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]


def on_task_moved(admin, notified, trigger_config=None, conditions=None, name="On task moves"):
    return automation_services.workflow_create(
        by=admin,
        name=name,
        trigger=Trigger.TASK_STATE_CHANGED,
        trigger_config=trigger_config or {},
        conditions_tree=conditions or {},
        actions=[
            automation_services.ActionSpec(
                type=ActionType.NOTIFY,
                config={
                    "user_ids": [notified.pk],
                    "title": "{{ task.title }}: {{ event.from }} → {{ event.to }}",
                },
            )
        ],
    )


def submit(client_user, title="Clean up the lifecycle stages"):
    category = TaskCategory.objects.get(name="HubSpot Administration")
    return portal.task_submit(by=client_user, title=title, category=category)


def test_a_workflow_on_the_trigger_runs_once_when_a_task_moves(
    admin, agent, client_user, committed
):
    to_accepted = on_task_moved(admin, agent, {"to_status": "accepted"}, name="Accepted")
    every_move = on_task_moved(admin, agent, name="Every move")

    with committed():
        task = submit(client_user)
    with committed():
        portal.task_accept(by=agent, task=task, estimate_minutes="2h")

    run = WorkflowRun.objects.select_related("event").get(workflow=to_accepted)
    assert run.status == RunStatus.SUCCEEDED
    assert run.event.kind == PortalEvent.TASK_STATE_CHANGED
    assert (run.event.data["from"], run.event.data["to"]) == ("triage", "accepted")
    moves = WorkflowRun.objects.filter(workflow=every_move).order_by("pk")
    assert [(r.event.data["from"], r.event.data["to"]) for r in moves] == [
        (None, "triage"),
        ("triage", "accepted"),
    ]
    assert [r.status for r in moves] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    titles = sorted(
        Notification.objects.filter(user=agent, kind=Kind.WORKFLOW).values_list("title", flat=True)
    )
    assert titles == sorted(
        [
            "Clean up the lifecycle stages: None → triage",
            "Clean up the lifecycle stages: triage → accepted",
            "Clean up the lifecycle stages: triage → accepted",
        ]
    )
    note = Notification.objects.filter(user=agent, kind=Kind.WORKFLOW).first()
    assert note.url == reverse("taskdesk:detail", kwargs={"pk": task.pk})


def test_conditions_see_the_task_and_its_move(admin, agent, client_user, committed):
    declined = on_task_moved(
        admin,
        agent,
        conditions={
            "all": [
                {"field": "event.from", "op": "equals", "value": "triage"},
                {"field": "task.status", "op": "equals", "value": "declined"},
            ]
        },
    )

    with committed():
        task = submit(client_user)
    with committed():
        portal.task_decline(by=agent, task=task, reason="Out of scope")

    statuses = list(
        WorkflowRun.objects.filter(workflow=declined)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [RunStatus.SKIPPED, RunStatus.SUCCEEDED]


def test_the_narrowing_is_checked(admin):
    with pytest.raises(DomainError) as refused:
        automation_services.workflow_create(
            by=admin,
            name="Bad",
            trigger=Trigger.TASK_STATE_CHANGED,
            trigger_config={"to_status": "finished"},
        )
    assert refused.value.field == "to_status"
    with pytest.raises(DomainError) as refused:
        automation_services.workflow_create(
            by=admin,
            name="Bad",
            trigger=Trigger.TASK_STATE_CHANGED,
            trigger_config={"target": "resolution"},
        )
    assert (refused.value.code, refused.value.field) == ("not_applicable", "target")
    with pytest.raises(DomainError) as refused:
        automation_services.workflow_create(
            by=admin,
            name="Bad",
            trigger=Trigger.TICKET_CREATED,
            trigger_config={"to_status": "accepted"},
        )
    assert (refused.value.code, refused.value.field) == ("not_applicable", "to_status")


def test_a_step_that_changes_a_deal_or_ticket_fails_clearly_on_a_task(
    admin, agent, client_user, committed
):
    workflow = automation_services.workflow_create(
        by=admin,
        name="Assign",
        trigger=Trigger.TASK_STATE_CHANGED,
        actions=[
            automation_services.ActionSpec(
                type=ActionType.ASSIGN_OWNER, config={"user_id": agent.pk}
            )
        ],
    )

    with committed():
        submit(client_user)

    run = WorkflowRun.objects.get(workflow=workflow)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Step 1 (Assign an owner): This step changes a deal or a ticket")
