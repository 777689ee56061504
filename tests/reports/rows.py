"""Rows for the report tests, written straight to the tables with the instants a test needs
(the reports only read: going through the services would stamp "now" everywhere)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.utils import timezone

from partnerdesk.crm.models import ObjectType, Stage
from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.portal.models import Plan, Status, Subscription, Task, TaskCategory
from partnerdesk.satisfaction.models import Survey
from partnerdesk.tickets.models import Ticket


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An instant of 2026 (UTC, the test settings' time zone)."""
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


def category(name: str = "HubSpot Administration") -> TaskCategory:
    return TaskCategory.objects.get(name=name)


def subscribe(company, plan: str, since: dt.datetime, until: dt.datetime | None = None):
    return Subscription.objects.create(
        company=company, plan=Plan.objects.get(name=plan), started_at=since, ended_at=until
    )


def task(company, created: dt.datetime, status=Status.TRIAGE, *, category_name=None, **when):
    """A client task: ``when`` holds accepted/started/delivered/closed instants and assignee."""
    row = Task.objects.create(
        company=company,
        title=f"Task of {created:%b %d %H:%M}",
        category=category(category_name or "HubSpot Administration"),
        status=status,
        estimate_minutes=None if status in (Status.TRIAGE, Status.DECLINED) else 60,
        assignee=when.pop("assignee", None),
        **{f"{name}_at": value for name, value in when.items()},
    )
    Task.objects.filter(pk=row.pk).update(created_at=created)
    row.created_at = created
    return row


def entry_stage(pipeline_name: str, request_name: str | None = None) -> Stage:
    stages = Stage.objects.filter(
        pipeline__object_type=ObjectType.TICKET, pipeline__name=pipeline_name, is_entry=True
    )
    if request_name:
        stages = stages.filter(request_name=request_name)
    return stages.order_by("order", "pk").first()


def ticket(company, created: dt.datetime, stage: Stage, *, owner=None, closed=None) -> Ticket:
    row = Ticket.objects.create(
        name=f"Ticket of {created:%b %d %H:%M}",
        pipeline=stage.pipeline,
        stage=stage,
        entry_stage=stage,
        company=company,
        owner=owner,
        closed_at=closed,
    )
    Ticket.objects.filter(pk=row.pk).update(created_at=created)
    row.created_at = created
    return row


def survey(subject, *, sent: dt.datetime, score=None, answered=None, comment="", agent=None):
    kind = "task" if isinstance(subject, Task) else "ticket"
    return Survey.objects.create(
        **{kind: subject},
        company_id=subject.company_id,
        recipient_email="client@example.test",
        agent=agent,
        sent_at=sent,
        expires_at=sent + dt.timedelta(days=14),
        score=score,
        comment=comment,
        answered_at=answered,
        answered_via="email" if answered else "",
    )


def article(title: str, *, published=True, categories=(), request_types=(), pipelines=()):
    kb, _created = Category.objects.get_or_create(name="Reports tests")
    row = Article.objects.create(
        title=title,
        slug=title.lower().replace(" ", "-"),
        category=kb,
        status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
        published_at=timezone.now() if published else None,
    )
    row.task_categories.set(categories)
    row.request_types.set(request_types)
    row.pipelines.set(pipelines)
    return row


def deflection(company, when: dt.datetime, *, article=None, task_category=None) -> Deflection:
    return Deflection.objects.create(
        company=company, created_at=when, article=article, task_category=task_category
    )


def query(**params) -> str:
    """A report's query string: a custom range by default."""
    return urlencode({"preset": "custom", **params})
