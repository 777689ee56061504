"""Shared fixtures of the task-queue tests: plans, categories and tasks in each status."""

from __future__ import annotations

import pytest

from partnerdesk.portal import services
from partnerdesk.portal.models import Plan, TaskCategory
from tests.automation.conftest import mailbox, smtp_server  # noqa: F401 (the real SMTP server)


@pytest.fixture
def duo(db):
    return Plan.objects.get(name="Duo")


@pytest.fixture
def solo(db):
    return Plan.objects.get(name="Solo")


@pytest.fixture
def category(db):
    return TaskCategory.objects.get(name="HubSpot Administration")


@pytest.fixture
def consultation(db):
    return TaskCategory.objects.get(is_consultation=True)


@pytest.fixture
def on_duo(manager, company, duo):
    services.subscription_set(by=manager, company=company, plan=duo)
    return company


def submit(user, title="Clean up the lifecycle stages", category=None, **kw):
    category = category or TaskCategory.objects.get(name="HubSpot Administration")
    return services.task_submit(by=user, title=title, category=category, **kw)


def accepted(client_user, agent, title="Task", estimate="3h"):
    return services.task_accept(
        by=agent, task=submit(client_user, title), estimate_minutes=estimate
    )
