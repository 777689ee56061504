"""A step whose team has nobody in it (a fresh install without demo data: every default team is
empty) says so where the admin sets it up and when migrate installs the defaults, and fails its
run with a message naming the team, never silently or with a trace."""

from __future__ import annotations

import logging

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.utils import timezone

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import ActionType, RunStatus, Trigger, WorkflowRun
from partnerdesk.automation.selectors import empty_team_steps
from partnerdesk.crm.models import Pipeline
from partnerdesk.notifications.models import Notification
from tests.automation import email_deal, win, workflow
from tests.conftest import login, make_user
from tests.tickets import open_ticket

pytestmark = pytest.mark.django_db

EMPTY = "Team “Nobody” has no active members: this step fails until someone joins the team."


@pytest.fixture
def nobody(db):
    return Team.objects.create(name="Nobody")


def on_bug_created(admin, *steps):
    bugs = Pipeline.objects.get(object_type="ticket", name="Bug Investigation")
    return automation_services.workflow_create(
        by=admin,
        name="Bugs",
        trigger=Trigger.TICKET_CREATED,
        trigger_config={"pipeline_id": bugs.pk},
        actions=[automation_services.ActionSpec(type=t, config=c) for t, c in steps],
    )


# ---------------------------------------------------------------- where the admin sets it up


def test_the_workflow_page_warns_on_the_step_whose_team_is_empty(admin, agent, nobody):
    staffed = Team.objects.create(name="Staffed")
    staffed.members.add(agent)
    wf = on_bug_created(
        admin,
        (ActionType.NOTIFY, {"team_id": staffed.pk, "title": "Bug"}),
        (ActionType.ASSIGN_OWNER, {"team_id": nobody.pk, "mode": "round_robin"}),
    )

    body = login(admin).get(f"/app/settings/automations/{wf.pk}/").content.decode()

    assert body.count(EMPTY) == 1
    step = "<strong>2.</strong> Assign to the next member of <strong>Nobody</strong> (round-robin)"
    assert body.index(step) < body.index(EMPTY)


def test_saving_a_step_with_an_empty_team_warns_the_admin(admin, nobody):
    wf = on_bug_created(admin)
    web = login(admin)
    page = f"/app/settings/automations/{wf.pk}/"

    for step in (
        {"type": ActionType.ASSIGN_OWNER, "team_id": nobody.pk, "mode": "round_robin"},
        {"type": ActionType.NOTIFY, "team_id": nobody.pk, "title": "Bug"},
    ):
        response = web.post(page, {"action": "add_action", **step}, follow=True)
        assert response.status_code == 200
        messages = [str(m) for m in response.context["messages"]]
        assert messages == ["Action added.", EMPTY]  # saved, and told it cannot run yet
    assert wf.actions.count() == 2


def test_the_automations_list_flags_the_workflow(admin, agent, nobody):
    on_bug_created(admin, (ActionType.NOTIFY, {"team_id": nobody.pk, "title": "Bug"}))
    staffed = Team.objects.create(name="Staffed")
    staffed.members.add(agent)
    fine = on_bug_created(admin, (ActionType.NOTIFY, {"team_id": staffed.pk, "title": "Bug"}))
    fine.name = "Fine"
    fine.save()

    response = login(admin).get("/app/settings/automations/")

    flagged = [w.name for w, _text, empty in response.context["workflows"] if empty]
    assert "Bugs" in flagged and "Fine" not in flagged
    assert "empty team" in response.content.decode()


def test_a_team_lead_is_enough_for_assign_the_lead(admin, nobody):
    lead = make_user("boss@agency.test", Role.AGENT)
    nobody.lead = lead
    nobody.save()
    wf = on_bug_created(admin, (ActionType.ASSIGN_OWNER, {"team_id": nobody.pk, "mode": "lead"}))
    assert empty_team_steps(wf.actions.all()) == []

    lead.is_active = False
    lead.save()
    assert [s.team_name for s in empty_team_steps(wf.actions.all())] == ["Nobody"]


# ---------------------------------------------------------------- at install


def test_migrate_warns_about_default_steps_whose_team_is_empty(caplog):
    """A fresh install: the default teams have nobody in them yet."""
    with caplog.at_level(logging.WARNING, logger="partnerdesk.automation"):
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    warnings = [r.getMessage() for r in caplog.records if r.name == "partnerdesk.automation.health"]
    assert (
        f"Workflow “{workflow('email-won-new-client').name}”, step “Assign an owner”: "
        "Team “Support Team” has no active members: this step fails until someone joins the team."
    ) in warnings
    assert any("Team “Email Provisioning”" in w for w in warnings)


def test_migrate_is_quiet_once_the_teams_have_people(
    caplog, support_lead, provisioning, website_team
):
    with caplog.at_level(logging.WARNING, logger="partnerdesk.automation"):
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert [r for r in caplog.records if r.name == "partnerdesk.automation.health"] == []


# ---------------------------------------------------------------- at run time


@pytest.mark.usefixtures("dispatch")
def test_the_default_assign_step_fails_its_run_naming_the_team(admin, company, committed):
    deal = email_deal(admin, company)

    with committed():
        win(deal, by=admin)

    run = WorkflowRun.objects.get(workflow__key="email-won-new-client")
    assert run.status == RunStatus.FAILED
    assert run.error == (
        "Step 2 (Assign an owner): Team “Support Team” has no active members: "
        "add someone to the team, or change this step."
    )
    assert run.step == 1  # the ticket was created; only the assignment waits for a person
    page = login(admin).get("/app/settings/automations/runs/?status=failed").content.decode()
    assert "Team “Support Team” has no active members" in page
    assert "Traceback" not in run.error


@pytest.mark.usefixtures("dispatch")
def test_notifying_an_empty_team_fails_the_run_instead_of_notifying_nobody(
    admin, agent, company, nobody, committed
):
    wf = on_bug_created(admin, (ActionType.NOTIFY, {"team_id": nobody.pk, "title": "Bug"}))

    with committed():
        open_ticket(agent, "Bug Investigation", now=timezone.now(), company=company)

    run = WorkflowRun.objects.get(workflow=wf)
    assert run.status == RunStatus.FAILED
    assert run.error == (
        "Step 1 (Notify users or a team): Team “Nobody” has no active members: "
        "add someone to the team, or change this step."
    )
    assert not Notification.objects.exists()
