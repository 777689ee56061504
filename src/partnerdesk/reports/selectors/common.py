"""The rows a report counts, filtered the same way in every report: tickets and client tasks by
the report's filters and by the viewer's scope (agents: their own and their teams' work;
client users: their company)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from partnerdesk.portal.models import Subscription, Task
from partnerdesk.tickets.models import Ticket

from ..filters import ReportFilters, Scope


def on_plan(plan_id: int, company_field: str) -> Exists:
    """The company is on that plan now (its current subscription)."""
    return Exists(
        Subscription.objects.filter(
            company_id=OuterRef(company_field), plan_id=plan_id, ended_at__isnull=True
        )
    )


def tickets(filters: ReportFilters, scope: Scope, *, owner_field: str = "owner") -> QuerySet:
    """Every ticket the filters and the scope let through (no date condition: each report
    chooses which instant its range applies to)."""
    qs = Ticket.objects.all()
    if filters.pipeline is not None:
        qs = qs.filter(pipeline_id=filters.pipeline)
    if filters.request_type is not None:
        qs = qs.filter(entry_stage_id=filters.request_type)
    if filters.company is not None:
        qs = qs.filter(company_id=filters.company)
    if filters.plan is not None:
        qs = qs.filter(on_plan(filters.plan, "company_id"))
    if filters.owner is not None:
        qs = qs.filter(**{f"{owner_field}_id": filters.owner})
    if filters.team is not None:
        qs = qs.filter(**{f"{owner_field}__teams": filters.team})
    return _scoped(qs, scope, owner_field)


def tasks(filters: ReportFilters, scope: Scope, *, owner_field: str = "assignee") -> QuerySet:
    """Every client task the filters and the scope let through (no date condition)."""
    qs = Task.objects.all()
    if filters.category is not None:
        qs = qs.filter(category_id=filters.category)
    if filters.company is not None:
        qs = qs.filter(company_id=filters.company)
    if filters.plan is not None:
        qs = qs.filter(on_plan(filters.plan, "company_id"))
    if filters.owner is not None:
        qs = qs.filter(**{f"{owner_field}_id": filters.owner})
    if filters.team is not None:
        qs = qs.filter(**{f"{owner_field}__teams": filters.team})
    return _scoped(qs, scope, owner_field)


def companies(qs: QuerySet, filters: ReportFilters, field: str = "company_id") -> QuerySet:
    """``qs`` narrowed by the company and plan filters (rows of other kinds: surveys,
    deflections)."""
    if filters.company is not None:
        qs = qs.filter(**{field: filters.company})
    if filters.plan is not None:
        qs = qs.filter(on_plan(filters.plan, field))
    return qs


def wants_tickets(filters: ReportFilters) -> bool:
    """A task category asks for client tasks only."""
    return filters.category is None


def wants_tasks(filters: ReportFilters) -> bool:
    """A pipeline or a request type asks for tickets only."""
    return filters.pipeline is None and filters.request_type is None


def _scoped(qs: QuerySet, scope: Scope, owner_field: str) -> QuerySet:
    if scope.company_id is not None:
        qs = qs.filter(company_id=scope.company_id)
    if scope.owner_ids is not None:
        qs = qs.filter(Q(**{f"{owner_field}_id__in": sorted(scope.owner_ids)}))
    return qs
