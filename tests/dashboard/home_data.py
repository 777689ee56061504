"""Data for the staff home's tests: tickets in every SLA situation (tests/tickets/scale_rows.py's
Builder: open, closed, paused, first response given or not, met or missed, across owners and
nobody), client tasks in every status, and open deals in two currencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partnerdesk.crm.models import Deal, Pipeline, StageKind
from partnerdesk.portal.models import Status, Task, TaskCategory
from tests.tickets.scale_rows import Builder

TASK_STATUSES = [
    Status.WORKING,
    Status.ACCEPTED,
    Status.PENDING_APPROVAL,
    Status.TRIAGE,
    Status.COMPLETE,
]


def add_tickets(now: dt.datetime, owners, companies, count: int) -> Builder:
    builder = Builder(now, owners, companies)
    builder.grow_to(count)
    return builder


def add_tasks(now: dt.datetime, assignees, company, count: int, *, start: int = 0) -> list[Task]:
    """``count`` tasks, statuses and assignees in turn (every seventh one nobody's), working
    ones due from yesterday on."""
    category = TaskCategory.objects.filter(is_active=True).order_by("order", "id").first()
    tasks = []
    for i in range(start, start + count):
        status = TASK_STATUSES[i % len(TASK_STATUSES)]
        tasks.append(
            Task(
                company=company,
                category=category,
                title=f"Task {i:03}",
                status=status,
                waiting_on="client" if status == Status.PENDING_APPROVAL else "agency",
                assignee=assignees[i % len(assignees)] if i % 7 else None,
                estimate_minutes=60,
                estimated_completion=(
                    now + dt.timedelta(hours=i - 24) if status == Status.WORKING else None
                ),
                accepted_at=now - dt.timedelta(hours=i) if status != Status.TRIAGE else None,
            )
        )
    return Task.objects.bulk_create(tasks)


def add_deals(by, company, count: int, *, start: int = 0) -> list[Deal]:
    """``count`` deals across the open (and one closed) stages of every deal pipeline, in USD
    and EUR, some without an amount."""
    stages = [
        stage
        for pipeline in Pipeline.objects.filter(object_type="deal").order_by("order", "id")
        for stage in pipeline.stages.order_by("order", "id")
    ]
    deals = []
    for i in range(start, start + count):
        stage = stages[i % len(stages)]
        deals.append(
            Deal(
                name=f"Deal {i:03}",
                pipeline_id=stage.pipeline_id,
                stage=stage,
                amount=None if i % 5 == 4 else Decimal(100 + i) + Decimal("0.25"),
                currency="EUR" if i % 3 == 0 else "USD",
                owner=by,
                company=company,
                closed_at=None if stage.kind == StageKind.OPEN else company.created_at,
            )
        )
    return Deal.objects.bulk_create(deals)
