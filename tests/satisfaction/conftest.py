"""Shared fixtures of the satisfaction tests: a completed task, a closed ticket with a contact,
and helpers that run what the outbox would (the survey handlers) inline."""

from __future__ import annotations

import pytest

from partnerdesk.core.events import run_handlers
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline, StageKind
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import Plan, TaskCategory
from partnerdesk.satisfaction.models import Survey
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.events import TicketEvent


@pytest.fixture
def on_duo(manager, company):
    portal_services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name="Duo"))
    return company


def complete_task(client_user, agent, title="Clean up the lifecycle stages"):
    """A task of ``client_user``'s company taken to Complete (assigned to ``agent``)."""
    category = TaskCategory.objects.get(name="HubSpot Administration")
    task = portal_services.task_submit(by=client_user, title=title, category=category)
    task = portal_services.task_accept(by=agent, task=task, estimate_minutes="2h")
    task = portal_services.task_start(by=agent, task=task)
    task = portal_services.task_deliver(by=agent, task=task)
    return portal_services.task_approve(by=client_user, task=task)


def process(kind, subject) -> None:
    """Run the built-in reactions to the latest ``kind`` event of ``subject`` (what the worker
    does after commit), without the automations."""
    event = Event.objects.for_subject(subject).filter(kind=kind).order_by("-id").first()
    assert event is not None, f"no {kind} event"
    run_handlers(event, subject)


def survey_for_task(client_user, agent, title="Clean up the lifecycle stages") -> Survey:
    task = complete_task(client_user, agent, title)
    process(PortalEvent.TASK_STATE_CHANGED, task)
    return Survey.objects.get(task=task)


@pytest.fixture
def completed_task(on_duo, client_user, agent):
    return complete_task(client_user, agent)


@pytest.fixture
def survey(completed_task):
    process(PortalEvent.TASK_STATE_CHANGED, completed_task)
    return Survey.objects.get(task=completed_task)


@pytest.fixture
def ticket_pipeline(db):
    return Pipeline.objects.get(object_type="ticket", name="Website Creation")


@pytest.fixture
def contact(admin, company):
    return crm_services.contact_create(
        by=admin,
        first_name="Amal",
        last_name="Client",
        email="Client@Acme-Dental.com",  # the client user's address, written differently
        company=company,
    )


def closed_stage(pipeline):
    return pipeline.stages.exclude(kind=StageKind.OPEN).order_by("order", "id").first()


def close_ticket(ticket, by):
    stage = closed_stage(ticket.pipeline)
    ticket = ticket_services.ticket_move(
        ticket=ticket, stage=stage, by=by, properties={"website_domain": "acme-dental.com"}
    )
    process(TicketEvent.STAGE_CHANGED, ticket)
    return ticket


@pytest.fixture
def ticket(admin, agent, company, ticket_pipeline, contact):
    return ticket_services.ticket_create(
        by=admin,
        pipeline=ticket_pipeline,
        company=company,
        contact=contact,
        owner=agent,
        name="Acme website",
    )
