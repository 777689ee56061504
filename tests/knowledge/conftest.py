"""Shared fixtures of the knowledge base tests: a category and helpers that write articles
through the services."""

from __future__ import annotations

import pytest

from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.knowledge import services
from partnerdesk.knowledge.models import ArticleStatus
from partnerdesk.portal.models import TaskCategory


@pytest.fixture
def category(manager):
    return services.category_create(by=manager, name="Email & domains", description="Mailboxes")


@pytest.fixture
def email_category(db):
    """The portal's task category *Email & Domains*."""
    return TaskCategory.objects.get(key="email-domains")


@pytest.fixture
def ticket_pipeline(db):
    return Pipeline.objects.get(object_type="ticket", key="domain-related-requests")


@pytest.fixture
def entry_stage(ticket_pipeline):
    return Stage.objects.get(pipeline=ticket_pipeline, key="connect-external-domain")


@pytest.fixture
def write(agent, category):
    """write(title, body=..., **fields) -> a published article by the agent (by default)."""

    def make(title, body="Some help.", *, by=None, status=ArticleStatus.PUBLISHED, **fields):
        fields.setdefault("category", category)
        return services.article_create(
            by=by or agent, title=title, body=body, status=status, **fields
        )

    return make
