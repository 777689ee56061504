"""Self-serve progress: for each request type — a ticket pipeline's entry stage, a portal task
category — the requests of the range against the knowledge base: the published articles that
answer it and the requests they deflected ("this solved it" instead of a request), so the agency
sees how close each type is to "self serve" and which frequent ones still need an article.

Which type a deflection counts for: the task category of the request the client had started
(the portal's new-request form records it); a deflection from the help center (no category)
counts for every request type, pipeline and task category its article is linked to. The
articles of a ticket request type are the ones linked to it or to its whole pipeline.

Figures are the agency's, whoever owns the work: nobody owns a deflection, so a rate over one
agent's tickets would compare unlike things. Every figure is an aggregate in the database: one
grouped count of tickets, one of tasks, and the types' own two queries, each type's articles and
deflections as correlated subqueries on them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.charts import Chart, Series
from partnerdesk.crm.models import ObjectType, Stage
from partnerdesk.knowledge.models import Article, ArticleStatus, Deflection
from partnerdesk.portal.models import TaskCategory

from ..filters import ReportFilters, Scope
from ..registry import Column, Report, Result, register
from . import common

CHART_TYPES = 12  # the most requested types drawn in the chart


def _count(queryset: QuerySet) -> Coalesce:
    """The number of distinct rows of ``queryset`` (correlated to the outer row)."""
    counted = queryset.order_by().annotate(
        n=Func(F("pk"), function="COUNT", template="%(function)s(DISTINCT %(expressions)s)")
    )
    return Coalesce(Subquery(counted.values("n")[:1]), 0, output_field=IntegerField())


def _deflections(filters: ReportFilters) -> QuerySet:
    return common.companies(
        Deflection.objects.filter(created_at__gte=filters.since, created_at__lt=filters.until),
        filters,
    )


def _stages(filters: ReportFilters) -> QuerySet:
    stages = Stage.objects.filter(
        is_entry=True, pipeline__object_type=ObjectType.TICKET, pipeline__archived=False
    )
    if filters.pipeline is not None:
        stages = stages.filter(pipeline_id=filters.pipeline)
    if filters.request_type is not None:
        stages = stages.filter(pk=filters.request_type)
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    return stages.select_related("pipeline").annotate(
        articles=_count(
            published.filter(Q(request_types=OuterRef("pk")) | Q(pipelines=OuterRef("pipeline_id")))
        ),
        deflections=_count(
            _deflections(filters).filter(
                Q(article__request_types=OuterRef("pk"))
                | Q(article__pipelines=OuterRef("pipeline_id")),
                task_category__isnull=True,
            )
        ),
    )


def _categories(filters: ReportFilters) -> QuerySet:
    categories = TaskCategory.objects.all()
    if filters.category is not None:
        categories = categories.filter(pk=filters.category)
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    return categories.annotate(
        articles=_count(published.filter(task_categories=OuterRef("pk"))),
        deflections=_count(
            _deflections(filters).filter(
                Q(task_category=OuterRef("pk"))
                | Q(task_category__isnull=True, article__task_categories=OuterRef("pk"))
            )
        ),
    )


def _requests(queryset: QuerySet, key: str, filters: ReportFilters) -> dict[int, int]:
    rows = (
        queryset.filter(created_at__gte=filters.since, created_at__lt=filters.until)
        .order_by()
        .values(key)
        .annotate(n=Count("pk"))
    )
    return {row[key]: row["n"] for row in rows}


def _overall(filters: ReportFilters) -> dict[str, int]:
    """The deflections of the range (each once), and those tied to no request type (from the
    help center, their article linked to none)."""
    loose = Q(task_category__isnull=True) & (
        Q(article__isnull=True)
        | Q(
            article__request_types__isnull=True,
            article__pipelines__isnull=True,
            article__task_categories__isnull=True,
        )
    )
    return _deflections(filters).aggregate(
        total=Count("pk", distinct=True), loose=Count("pk", distinct=True, filter=loose)
    )


def build(filters: ReportFilters, scope: Scope) -> Result:
    everybody = Scope()  # the agency's figures (see the module's docstring)
    tickets_wanted, tasks_wanted = common.wants_tickets(filters), common.wants_tasks(filters)
    types: list[dict] = []
    if tickets_wanted:
        requests = _requests(common.tickets(filters, everybody), "entry_stage_id", filters)
        types += [
            {
                "kind": gettext("Ticket"),
                "group": stage.pipeline.name,
                "type": stage.request_name or stage.name,
                "requests": requests.get(stage.pk, 0),
                "articles": stage.articles,
                "deflections": stage.deflections,
            }
            for stage in _stages(filters)
        ]
    if tasks_wanted:
        requests = _requests(common.tasks(filters, everybody), "category_id", filters)
        types += [
            {
                "kind": gettext("Client task"),
                "group": gettext("Client portal"),
                "type": category.name,
                "requests": requests.get(category.pk, 0),
                "articles": category.articles,
                "deflections": category.deflections,
            }
            for category in _categories(filters)
        ]
    for row in types:
        asked = row["requests"] + row["deflections"]
        row["rate"] = row["deflections"] / asked if asked else None
        row["next"] = gettext("Write an article") if row["requests"] and not row["articles"] else ""
    types.sort(key=lambda r: (-r["requests"], -r["deflections"], r["group"], r["type"]))
    notes: list[Any] = [
        _(
            "Deflection rate: the requests an article solved, out of those plus the requests "
            "made. A deflection counts for the task category of the request the client had "
            "started; one from the help center counts for each request type, pipeline and task "
            "category its article is linked to."
        ),
        _("The agency's figures, whoever owns the work. The dates apply to when a ticket was "
          "opened, a task submitted or a request deflected."),
    ]  # fmt: skip
    if filters.category is None and filters.pipeline is None and filters.request_type is None:
        overall = _overall(filters)
        made = sum(r["requests"] for r in types)
        if overall["total"] or made:
            notes.append(
                gettext("In all: %(d)d requests deflected and %(r)d made (%(p)d %% self-served).")
                % {
                    "d": overall["total"],
                    "r": made,
                    "p": round(100 * overall["total"] / (overall["total"] + made)),
                }
            )
        if overall["loose"]:
            notes.append(
                gettext("%(n)d of these deflections are tied to no request type.")
                % {"n": overall["loose"]}
            )
    missing = [r for r in types if r["next"]]
    if missing:
        notes.append(
            ngettext(
                "%(n)d request type with requests has no published article: %(names)s.",
                "%(n)d request types with requests have no published article: %(names)s.",
                len(missing),
            )
            % {
                "n": len(missing),
                "names": ", ".join(f"{r['type']} ({r['group']})" for r in missing[:5]),
            }
        )
    drawn = [r for r in types if r["requests"] or r["deflections"]][:CHART_TYPES]
    chart = Chart(
        id="report-chart",
        title=_("Requests and deflections per request type"),
        labels=[f"{r['type']} ({r['group']})" for r in drawn],
        series=[
            Series(_("Requests"), [r["requests"] for r in drawn]),
            Series(_("Deflected"), [r["deflections"] for r in drawn], colour="#2e9d5b"),
        ],
        kind="bar",
        stacked=True,
    )
    return Result(
        columns=[
            Column("kind", _("Kind"), "text"),
            Column("group", _("Pipeline"), "text"),
            Column("type", _("Request type"), "text"),
            Column("requests", _("Requests")),
            Column("articles", _("Published articles")),
            Column("deflections", _("Deflected")),
            Column("rate", _("Self-serve (deflection rate)"), "share", bar=True),
            Column("next", _("Next step"), "text"),
        ],
        rows=types,
        chart=chart,
        notes=notes,
    )


register(
    Report(
        slug="self-serve",
        title=_("Self-serve progress"),
        description=_(
            "Requests per request type against the knowledge base's articles and the requests "
            "they deflected: how close each type is to self serve."
        ),
        build=build,
        filters=("pipeline", "request_type", "category", "company", "plan"),
        order=70,
    )
)
