"""Each action on its own: assign (a user, round-robin skipping inactive members, an empty team),
set a property, notify users / a team / the owner, move a deal's stage."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import ActionType, RunStatus, Trigger, WorkflowRun
from partnerdesk.crm.models import Pipeline
from partnerdesk.notifications.models import Kind, Notification
from tests.automation import deal_pipeline, deal_stage, email_deal, move_deal
from tests.conftest import make_user
from tests.tickets import open_ticket, reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]


def make_workflow(admin, trigger, trigger_config, *actions, conditions=None):
    wf = automation_services.workflow_save(
        by=admin,
        name="Test workflow",
        trigger=trigger,
        trigger_config=trigger_config,
        conditions_tree=conditions or {},
    )
    for type_, config in actions:
        automation_services.action_add(by=admin, workflow=wf, type=type_, config=config)
    return wf


def on_bug_created(admin, *actions):
    bugs = Pipeline.objects.get(object_type="ticket", name="Bug Investigation")
    return make_workflow(admin, Trigger.TICKET_CREATED, {"pipeline_id": bugs.pk}, *actions)


def open_bug(agent, company, **fields):
    return open_ticket(agent, "Bug Investigation", now=timezone.now(), company=company, **fields)


def test_assign_a_user_set_a_property_and_notify_the_owner(admin, agent, company, committed):
    specialist = make_user("specialist@agency.test", Role.AGENT)
    wf = on_bug_created(
        admin,
        (ActionType.ASSIGN_OWNER, {"user_id": specialist.pk}),
        (ActionType.SET_PROPERTY, {"name": "domain_name", "value": "{{ company.domain }}"}),
        (
            ActionType.NOTIFY,
            {
                "include_owner": True,
                "user_ids": [agent.pk],
                "title": "New bug: {{ ticket.name }}",
                "message": "{{ company.name }} reported it ({{ ticket.priority }}).",
            },
        ),
    )

    with committed():
        ticket = open_bug(agent, company, priority="high")

    ticket = reload(ticket)
    assert ticket.owner == specialist
    assert ticket.properties["domain_name"] == "acme-dental.com"
    run = WorkflowRun.objects.get(workflow=wf)
    assert run.status == RunStatus.SUCCEEDED and run.step == 3
    assigned = Notification.objects.get(user=specialist, kind=Kind.ASSIGNED)
    assert assigned.title == f"Assigned to you: {ticket.name}"
    for user in (specialist, agent):  # the owner (after the assignment) and the user
        note = Notification.objects.get(user=user, kind=Kind.WORKFLOW)
        assert note.title == f"New bug: {ticket.name}"
        assert note.body == "Acme Dental reported it (high)."
        assert note.url == f"/app/tickets/{ticket.pk}/"


def test_round_robin_skips_inactive_members(admin, agent, company, committed):
    team = Team.objects.create(name="Triage")
    a, b, c = (make_user(f"triage-{n}@agency.test", Role.AGENT) for n in "abc")
    team.members.add(a, b, c)
    b.is_active = False
    b.save()
    on_bug_created(admin, (ActionType.ASSIGN_OWNER, {"team_id": team.pk, "mode": "round_robin"}))

    tickets = []
    for _ in range(3):
        with committed():
            tickets.append(open_bug(agent, company))

    assert [reload(t).owner for t in tickets] == [a, c, a]


def test_assigning_from_an_empty_team_fails_with_a_message(admin, agent, company, committed):
    team = Team.objects.create(name="Nobody")
    wf = on_bug_created(admin, (ActionType.ASSIGN_OWNER, {"team_id": team.pk}))

    with committed():
        ticket = open_bug(agent, company)

    run = WorkflowRun.objects.get(workflow=wf)
    assert run.status == RunStatus.FAILED
    assert run.error == (
        "Step 1 (Assign an owner): Team “Nobody” has no active members: "
        "add someone to the team, or change this step."
    )
    assert reload(ticket).owner is None


def test_the_team_lead_mode_assigns_the_lead(admin, agent, company, committed):
    team = Team.objects.create(name="Leads")
    lead, member = (make_user(f"{n}@agency.test", Role.AGENT) for n in ("boss", "member"))
    team.members.add(member)
    team.lead = lead
    team.save()
    on_bug_created(admin, (ActionType.ASSIGN_OWNER, {"team_id": team.pk, "mode": "lead"}))

    with committed():
        ticket = open_bug(agent, company)

    assert reload(ticket).owner == lead


def test_move_a_deal_and_notify_a_team(admin, agent, company, committed):
    team = Team.objects.create(name="Sales")
    seller = make_user("seller@agency.test", Role.AGENT)
    team.members.add(seller)
    wf = make_workflow(
        admin,
        Trigger.DEAL_STAGE_ENTERED,
        {
            "pipeline_id": deal_pipeline("Email Subscription").pk,
            "stage_id": deal_stage("Email Subscription", "Qualified").pk,
        },
        (ActionType.MOVE_STAGE, {"stage_id": deal_stage("Email Subscription", "Proposal Sent").pk}),
        (ActionType.NOTIFY, {"team_id": team.pk, "title": "Send the proposal: {{ deal.name }}"}),
    )
    deal = email_deal(admin, company)

    with committed():
        move_deal(deal, "Qualified", by=admin)

    deal.refresh_from_db()
    assert deal.stage.name == "Proposal Sent"
    assert WorkflowRun.objects.get(workflow=wf).status == RunStatus.SUCCEEDED
    assert Notification.objects.get(user=seller).title == f"Send the proposal: {deal.name}"
    assert Notification.objects.get(user=seller).url == f"/app/deals/{deal.pk}/"
