"""Most requested work: the tickets opened per request type (a ticket pipeline's entry stage)
and the client tasks submitted per category, in the range and per week or month, with the
knowledge-base articles that exist for each type — the agency's "most requested tasks", and
where an article could save the work.

Every figure is an aggregate in the database: one grouped query for the tickets and one for
the tasks, each with a conditional count per period (``periods.py``); the articles of each type
are a correlated subquery on the types' own query. The range applies to when a ticket was opened
or a task submitted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.charts import Chart, Series
from partnerdesk.crm.models import Stage
from partnerdesk.knowledge.models import Article, ArticleStatus
from partnerdesk.portal.models import TaskCategory

from ..filters import ReportFilters, Scope
from ..periods import labels, periods
from ..registry import Column, Report, Result, Table, register
from . import common

TOP = 7  # request types drawn on their own in the chart; the rest are "Other"


def _per_period(queryset: QuerySet, key: str, filters: ReportFilters) -> dict:
    """{key value: [count in each period]} in one grouped query with a count per period."""
    spans = periods(filters)
    rows = (
        queryset.filter(created_at__gte=filters.since, created_at__lt=filters.until)
        .order_by()
        .values(key)
        .annotate(
            **{
                f"p{i}": Count("pk", filter=Q(created_at__gte=p.since, created_at__lt=p.until))
                for i, p in enumerate(spans)
            }
        )
    )
    return {row[key]: [row[f"p{i}"] for i in range(len(spans))] for row in rows}


def _published(**links) -> Coalesce:
    """The number of published articles linked to the outer row (a correlated subquery)."""
    condition = Q()
    for field, outer in links.items():
        condition |= Q(**{field: OuterRef(outer)})
    articles = (
        Article.objects.filter(condition, status=ArticleStatus.PUBLISHED)
        .order_by()
        .values("status")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(articles[:1]), 0, output_field=IntegerField())


def build(filters: ReportFilters, scope: Scope) -> Result:
    want_tickets, want_tasks = common.wants_tickets(filters), common.wants_tasks(filters)
    ticket_counts = (
        _per_period(common.tickets(filters, scope), "entry_stage_id", filters)
        if want_tickets
        else {}
    )
    task_counts = (
        _per_period(common.tasks(filters, scope), "category_id", filters) if want_tasks else {}
    )
    types: list[dict] = []
    if ticket_counts:
        stages = (
            Stage.objects.filter(pk__in=ticket_counts)
            .select_related("pipeline")
            .annotate(articles=_published(request_types="pk", pipelines="pipeline_id"))
        )
        types += [
            {
                "ticket": True,
                "kind": gettext("Ticket"),
                "group": stage.pipeline.name,
                "type": stage.request_name or stage.name,
                "counts": ticket_counts[stage.pk],
                "articles": stage.articles,
            }
            for stage in stages
        ]
    if task_counts:
        categories = TaskCategory.objects.filter(pk__in=task_counts).annotate(
            articles=_published(task_categories="pk")
        )
        types += [
            {
                "ticket": False,
                "kind": gettext("Client task"),
                "group": gettext("Client portal"),
                "type": category.name,
                "counts": task_counts[category.pk],
                "articles": category.articles,
            }
            for category in categories
        ]
    for kind in types:
        kind["requests"] = sum(kind["counts"])
    types.sort(key=lambda t: (-t["requests"], t["group"], t["type"]))
    total = sum(t["requests"] for t in types)
    covered = [t for t in types if t["articles"]]
    covered_requests = sum(t["requests"] for t in covered)
    rows = [
        {
            "kind": t["kind"],
            "group": t["group"],
            "type": t["type"],
            "requests": t["requests"],
            "share": t["requests"] / total if total else None,
            "articles": t["articles"],
        }
        for t in types
    ]
    notes: list[Any] = [
        _("The dates apply to when a ticket was opened or a client task submitted."),
        _(
            "Articles: published knowledge-base articles linked to the request type, to its "
            "whole pipeline or to the task category."
        ),
    ]
    if types:
        rows += [
            {"kind": gettext("Total"), "group": "", "type": "", "requests": total, "share": 1.0},
            {
                "kind": gettext("With an article"),
                "group": "",
                "type": gettext("%(n)d of %(m)d request types")
                % {"n": len(covered), "m": len(types)},
                "requests": covered_requests,
                "share": covered_requests / total if total else None,
            },
        ]
        notes.append(
            gettext(
                "%(n)d of the %(m)d request types in this range (%(p)d %%) have a published "
                "article; they are %(q)d %% of the requests."
            )
            % {
                "n": len(covered),
                "m": len(types),
                "p": round(100 * len(covered) / len(types)),
                "q": round(100 * covered_requests / total) if total else 0,
            }
        )
    period_labels = labels(filters)
    return Result(
        columns=[
            Column("kind", _("Kind"), "text"),
            Column("group", _("Pipeline"), "text"),
            Column("type", _("Request type"), "text"),
            Column("requests", _("Requests")),
            Column("share", _("Share of all requests"), "share"),
            Column("articles", _("Published articles")),
        ],
        rows=rows,
        chart=_chart(types, period_labels),
        notes=notes,
        tables=[_over_time(types, period_labels)],
    )


def _chart(types: list[dict], period_labels: list[str]) -> Chart:
    top, rest = types[:TOP], types[TOP:]
    series = [Series(f"{t['type']} ({t['group']})", t["counts"]) for t in top]
    if rest:
        series.append(
            Series(
                _("Other"),
                [sum(t["counts"][i] for t in rest) for i in range(len(period_labels))],
                colour="#9aa0a6",
            )
        )
    return Chart(
        id="report-chart",
        title=_("Requests per period, by request type"),
        labels=period_labels,
        series=series,
        kind="bar",
        stacked=True,
    )


def _over_time(types: list[dict], period_labels: list[str]) -> Table:
    rows = []
    for i, label in enumerate(period_labels):
        tickets = sum(t["counts"][i] for t in types if t["ticket"])
        tasks = sum(t["counts"][i] for t in types if not t["ticket"])
        with_article = sum(t["counts"][i] for t in types if t["articles"])
        rows.append(
            {
                "period": label,
                "tickets": tickets,
                "tasks": tasks,
                "total": tickets + tasks,
                "covered": with_article / (tickets + tasks) if tickets + tasks else None,
            }
        )
    return Table(
        key="periods",
        title=_("Over time"),
        columns=[
            Column("period", _("Period"), "text"),
            Column("tickets", _("Tickets")),
            Column("tasks", _("Client tasks")),
            Column("total", _("Requests")),
            Column("covered", _("Of a type with an article"), "share"),
        ],
        rows=rows,
    )


register(
    Report(
        slug="most-requested",
        title=_("Most requested work"),
        description=_(
            "Tickets per request type and client tasks per category, over time, and how many "
            "of them a knowledge-base article exists for."
        ),
        build=build,
        filters=("pipeline", "request_type", "category", "company", "plan", "owner", "team"),
        order=10,
    )
)
