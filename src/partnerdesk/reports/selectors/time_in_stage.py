"""Time in stage: for each stage of one ticket pipeline, the median and 90th percentile of the
time tickets stayed there (the stays that ended in the range, from the stage history
``tickets.TicketStageVisit``), and the tickets in each open stage now with the age of the
oldest, so a manager sees where work waits.

Times are calendar time (a stay in a stage waiting on the customer counts in full here: it is
where the ticket was). Queries, whatever the number of tickets: the pipeline and its stages,
one grouped count and one nearest-rank percentile query over the stays, and one grouped count
of the open tickets.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.core import clock
from partnerdesk.core.charts import Chart, Series
from partnerdesk.crm.models import ObjectType, Pipeline, Stage
from partnerdesk.tickets.models import TicketStageVisit

from ..filters import ReportFilters, Scope
from ..registry import Column, Report, Result, register
from ..stats import percentiles
from . import common


def _pipeline(filters: ReportFilters) -> Pipeline | None:
    """The pipeline asked for, else the request type's, else the first ticket pipeline."""
    pipelines = Pipeline.objects.filter(object_type=ObjectType.TICKET)
    if filters.pipeline is not None:
        return pipelines.filter(pk=filters.pipeline).first()
    if filters.request_type is not None:
        return pipelines.filter(stages=filters.request_type).first()
    return pipelines.filter(archived=False).order_by("order", "id").first()


def _restricted(filters: ReportFilters, scope: Scope) -> bool:
    """Whether the filters or the viewer narrow the tickets beyond the pipeline."""
    narrowing = (filters.request_type, filters.company, filters.plan, filters.owner, filters.team)
    return (
        any(value is not None for value in narrowing)
        or scope.owner_ids is not None
        or scope.company_id is not None
    )


def _stays(pipeline: Pipeline, filters: ReportFilters, scope: Scope) -> QuerySet:
    stays = TicketStageVisit.objects.filter(
        pipeline=pipeline, left_at__gte=filters.since, left_at__lt=filters.until
    )
    if _restricted(filters, scope):
        stays = stays.filter(ticket__in=common.tickets(filters, scope).values("pk"))
    return stays


def build(filters: ReportFilters, scope: Scope) -> Result:
    now = clock.now()
    pipeline = _pipeline(filters)
    columns = [
        Column("stage", _("Stage"), "text"),
        Column("stays", _("Stays ended")),
        Column("median", _("Median time"), "seconds"),
        Column("p90", _("90th percentile"), "seconds"),
        Column("open", _("Tickets there now")),
        Column("oldest", _("Longest there now"), "seconds"),
    ]
    notes: list[Any] = [
        _(
            "Dates: the stays that ended in the range (the ticket left the stage). Times in "
            "calendar time, waiting on the customer included; the tickets there now are "
            "counted whatever the dates."
        )
    ]
    if pipeline is None:
        return Result(columns=columns, rows=[], notes=notes)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("order", "id"))
    stays = _stays(pipeline, filters, scope)
    ended = dict(
        stays.order_by().values("stage_id").annotate(n=Count("pk")).values_list("stage_id", "n")
    )
    times = percentiles(stays, "seconds", group_by=["stage_id"])
    here = {
        row["stage_id"]: row
        for row in common.tickets(filters, scope)
        .filter(pipeline=pipeline, closed_at__isnull=True)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("pk"), since=Min("stage_entered_at"))
    }
    rows = []
    for stage in stages:
        p50, p90 = times.get((stage.pk,), [None, None])
        current = here.get(stage.pk)
        name = stage.name
        if stage.waiting_on_customer:
            name = gettext("%(stage)s (waiting on the customer)") % {"stage": name}
        elif stage.is_closed:
            name = gettext("%(stage)s (closed)") % {"stage": name}
        rows.append(
            {
                "stage": name,
                "stays": ended.get(stage.pk, 0),
                "median": p50,
                "p90": p90,
                "open": None if stage.is_closed else (current["n"] if current else 0),
                "oldest": max(0.0, (now - current["since"]).total_seconds())
                if current and current["since"] and not stage.is_closed
                else None,
            }
        )
    notes.insert(0, gettext("Pipeline: %(name)s.") % {"name": pipeline.name})
    chart = Chart(
        id="report-chart",
        title=gettext("Time in each stage of %(pipeline)s (hours)") % {"pipeline": pipeline.name},
        labels=[r["stage"] for r in rows],
        series=[
            Series(_("Median"), [_hours(r["median"]) for r in rows]),
            Series(_("90th percentile"), [_hours(r["p90"]) for r in rows]),
        ],
        kind="bar",
    )
    return Result(columns=columns, rows=rows, chart=chart, notes=notes)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


register(
    Report(
        slug="time-in-stage",
        title=_("Time in stage"),
        description=_(
            "How long tickets stay in each stage of a pipeline (median and 90th percentile), "
            "and what waits in each stage now."
        ),
        build=build,
        filters=("pipeline", "request_type", "company", "plan", "owner", "team"),
        order=30,
    )
)
