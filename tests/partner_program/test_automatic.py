"""Qualifying activities recorded automatically from agency work, through the outbox, once
per event."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partnerdesk.automation import engine
from partnerdesk.core.models import Event
from partnerdesk.crm.models import Pipeline
from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import ActivitySource, ActivityType, QualifyingActivity
from partnerdesk.portal import services as portal
from partnerdesk.portal.models import Plan, TaskCategory
from partnerdesk.tickets import services as tickets

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]


@pytest.fixture
def workflow_build(admin, db):
    category = TaskCategory.objects.get(key="workflows-automation")
    services.mapping_add(
        by=admin,
        activity_type=ActivityType.objects.get(key="operations-workflow"),
        task_category=category,
    )
    return category


def complete_task(client_user, agent, manager, category, run):
    with run():
        portal.subscription_set(
            by=manager, company=client_user.company, plan=Plan.objects.get(key="solo")
        )
        task = portal.task_submit(by=client_user, title="Lead routing workflow", category=category)
        task = portal.task_accept(by=agent, task=task, estimate_minutes="2h", assignee=agent)
        task = portal.task_start(by=agent, task=task)
        task = portal.task_deliver(by=agent, task=task)
    with run():
        portal.task_approve(by=client_user, task=task)
    return task


def test_a_completed_task_of_a_mapped_category_records_one_activity_once(
    client_user, agent, manager, account, workflow_build, django_capture_on_commit_callbacks
):
    def run():
        return django_capture_on_commit_callbacks(execute=True)

    task = complete_task(client_user, agent, manager, workflow_build, run)
    activity = QualifyingActivity.objects.get()
    event = Event.objects.get(kind="task.state_changed", data__to="complete")
    assert (
        activity.employee,
        activity.account,
        activity.activity_type.key,
        activity.source,
        activity.source_event,
        activity.subject_id,
        activity.occurred_on,
    ) == (
        agent,
        account,
        "operations-workflow",
        ActivitySource.AUTOMATIC,
        event,
        task.pk,
        timezone.localdate(event.occurred_at),  # the day the work was done
    )
    # The event processed again (a retried worker): still one activity.
    Event.objects.filter(pk=event.pk).update(processed_at=None)
    with run():
        engine.process_event(event.pk)
    assert QualifyingActivity.objects.count() == 1
    # It started the managed relationship.
    assert account.relationships.get().automatic


def test_unmapped_work_or_a_company_without_account_records_nothing(
    client_user, agent, manager, company, set_today, django_capture_on_commit_callbacks
):
    def run():
        return django_capture_on_commit_callbacks(execute=True)

    complete_task(
        client_user, agent, manager, TaskCategory.objects.get(key="workflows-automation"), run
    )
    assert not QualifyingActivity.objects.exists()  # no mapping, no account


def test_a_ticket_entering_a_mapped_stage_records_the_activity_for_its_owner(
    admin, agent, company, account, django_capture_on_commit_callbacks
):
    pipeline = Pipeline.objects.get(object_type="ticket", key="bug-investigation")
    entry = pipeline.stages.get(name="New")
    target = pipeline.stages.get(name="Resolved By Support")
    services.mapping_add(
        by=admin,
        activity_type=ActivityType.objects.get(key="cms-website-page"),
        stage=target,
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.ticket_create(
            by=agent,
            name="Website",
            description="The contact form fails",
            properties={"backoffice_link": "https://backoffice.example/acme"},
            pipeline=pipeline,
            stage=entry,
            company=company,
            owner=agent,
        )
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_move(ticket=ticket, stage=target, by=agent)
    activity = QualifyingActivity.objects.get()
    assert (activity.employee, activity.activity_type.key, activity.subject_id) == (
        agent,
        "cms-website-page",
        ticket.pk,
    )
