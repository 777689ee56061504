"""SLA compliance: for the first-response and the resolution target, how many tickets met it,
missed it, or are still open past their due time, per pipeline, request type, owner or team
(the ``group`` filter); the median and 90th percentile of the times they took, in the policy's
kind of time; and the causes of delay recorded on the breached tickets.

Dates: a met or missed target counts on the day it was settled (the first response, the
closing); an open breached one on the day it fell due. The times are the ones the tickets
store when a target is settled (``Ticket.*_elapsed``, in calendar or working seconds, paused
time left out), so a figure never needs the calendar at read time.

Queries, whatever the number of tickets: per target a grouped count of the settled targets
(through a partial index of the settled ones by instant), one of the open breached ones (by due
time) and one nearest-rank percentile query of the times (``stats.percentiles``); the labels;
the causes of delay, their count and the latest few. One grouping per page: each is a sort of
every settled target of the range, and a 90-day range at a million tickets holds ~80,000.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import Team
from partnerdesk.core import clock
from partnerdesk.core.charts import Chart, Series
from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.sla.models import Unit
from partnerdesk.tickets.models import TicketNote
from partnerdesk.tickets.sla_state import overdue_q

from ..filters import ReportFilters, Scope
from ..registry import Column, Report, Result, Table, register
from ..stats import percentiles
from . import common

LATEST_CAUSES = 10


@dataclass(frozen=True)
class Target:
    key: str
    label: Any
    settled_at: str  # the instant the target was met or missed
    met: str
    elapsed: str
    unit: str  # the unit the elapsed time was stored in
    policy_unit: str  # the unit of an open target (its policy's)
    due: str


TARGETS = [
    Target(
        "first_response",
        _("First response"),
        "first_response_at",
        "first_response_met",
        "first_response_elapsed",
        "first_response_elapsed_unit",
        "sla_policy__first_response_unit",
        "first_response_due_at",
    ),
    Target(
        "resolution",
        _("Resolution"),
        "closed_at",
        "resolution_met",
        "resolution_elapsed",
        "resolution_elapsed_unit",
        "sla_policy__resolution_unit",
        "resolution_due_at",
    ),
]

UNITS = {
    Unit.CALENDAR: _("calendar time"),
    Unit.WORKING_TIME: _("working time"),
    Unit.WORKING_DAYS: _("working time (target in working days)"),
}


def _in_range(field: str, filters: ReportFilters) -> Q:
    return Q(**{f"{field}__gte": filters.since, f"{field}__lt": filters.until})


def _settled(tickets: QuerySet, target: Target, filters: ReportFilters) -> QuerySet:
    return tickets.filter(_in_range(target.settled_at, filters), **{f"{target.met}__isnull": False})


def _open_breached_q(target: Target, filters: ReportFilters, now) -> Q:
    return overdue_q(target.key, now) & _in_range(target.due, filters)


@dataclass(frozen=True)
class Grouping:
    key: str
    label: Any
    field: str  # the tickets' field (or path) whose values make the rows
    none: Any  # the row of the tickets without a value


GROUPINGS = {
    g.key: g
    for g in (
        Grouping("pipeline", _("Pipeline"), "pipeline_id", ""),
        Grouping("request_type", _("Request type"), "entry_stage_id", ""),
        Grouping("owner", _("Owner"), "owner_id", _("No owner")),
        # An owner in two teams counts in both.
        Grouping("team", _("Team"), "owner__teams", _("No owner or no team")),
    )
}


def _figures(tickets: QuerySet, grouping: Grouping, filters: ReportFilters, now) -> dict:
    """{(group value, target, unit): [met, missed, open breached, median, 90th percentile]}:
    per target a grouped count of the settled targets, one of the open breached ones and a
    percentile query of the times."""
    figures: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, None, None])
    for target in TARGETS:
        settled = (
            _settled(tickets, target, filters)
            .order_by()
            .values(g=F(grouping.field), u=F(target.unit))
            .annotate(
                met=Count("pk", filter=Q(**{target.met: True})),
                missed=Count("pk", filter=Q(**{target.met: False})),
            )
        )
        for row in settled:
            figure = figures[(row["g"], target.key, row["u"])]
            figure[0], figure[1] = row["met"], row["missed"]
        breached = (
            tickets.filter(_open_breached_q(target, filters, now))
            .order_by()
            .values(g=F(grouping.field), u=F(target.policy_unit))
            .annotate(n=Count("pk"))
        )
        for row in breached:
            figures[(row["g"], target.key, row["u"])][2] = row["n"]
        times = percentiles(
            _settled(tickets, target, filters),
            target.elapsed,
            group_by=[grouping.field, target.unit],
        )
        for (value, unit), (p50, p90) in times.items():
            figure = figures[(value, target.key, unit)]
            figure[3], figure[4] = p50, p90
    return figures


def _names(grouping: Grouping, values: set) -> dict:
    """The labels of the group values (one query)."""
    ids = {v for v in values if v is not None}
    if grouping.key == "pipeline":
        return {
            p.pk: p.name
            for p in Pipeline.objects.filter(pk__in=ids).only("name", "name_translations")
        }
    if grouping.key == "request_type":
        stages = Stage.objects.filter(pk__in=ids).select_related("pipeline")
        return {s.pk: f"{s.pipeline.name} · {s.request_name or s.name}" for s in stages}
    if grouping.key == "owner":
        return {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=ids)}
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))


def _rows(grouping: Grouping, figures: dict) -> list[dict]:
    names = _names(grouping, {value for value, _target, _unit in figures})
    order = {t.key: i for i, t in enumerate(TARGETS)}
    labels = {t.key: t.label for t in TARGETS}
    rows = []
    for (value, target, unit), (met, missed, breached, p50, p90) in figures.items():
        name = names.get(value) or str(grouping.none)
        counted = met + missed + breached
        rows.append(
            {
                "name": name,
                "target": labels[target],
                "unit": UNITS.get(unit, unit),
                "met": met,
                "missed": missed,
                "breached": breached,
                "compliance": met / counted if counted else None,
                "median": p50,
                "p90": p90,
                "_order": (value is None, name, order[target], unit),
            }
        )
    rows.sort(key=lambda r: r.pop("_order"))
    return rows


def build(filters: ReportFilters, scope: Scope) -> Result:
    now = clock.now()
    grouping = GROUPINGS[filters.group or "pipeline"]
    tickets = common.tickets(filters, scope)
    rows = _rows(grouping, _figures(tickets, grouping, filters, now))
    causes, cause_count = _causes(tickets, filters, now)
    return Result(
        columns=[
            Column("name", grouping.label, "text"),
            Column("target", _("Target"), "text"),
            Column("unit", _("Times in"), "text"),
            Column("met", _("Met")),
            Column("missed", _("Missed")),
            Column("breached", _("Open, breached")),
            Column("compliance", _("Compliance"), "share"),
            Column("median", _("Median time"), "seconds"),
            Column("p90", _("90th percentile"), "seconds"),
        ],
        rows=rows,
        chart=_chart(grouping, rows),
        notes=[
            _(
                "Dates: a met or missed target counts on the day of the first response or of "
                "the closing; a target still open counts on the day it fell due, as breached "
                "once that has passed."
            ),
            _(
                "Compliance: met ÷ (met + missed + open and breached). Times in the policy's "
                "kind of time (calendar or working time), waiting on the customer left out."
            ),
            *(
                [_("Per team: an owner in two teams counts in both.")]
                if grouping.key == "team"
                else []
            ),
            gettext("%(n)d causes of delay recorded on the tickets breached in this range.")
            % {"n": cause_count},
        ],
        tables=[
            Table(
                key="delays",
                title=_("Causes of delay, latest first"),
                columns=[
                    Column("ticket", _("Ticket"), "text"),
                    Column("cause", _("Cause of delay"), "text"),
                    Column("author", _("Written by"), "text"),
                    Column("written", _("When"), "text"),
                ],
                rows=causes,
            ),
        ],
    )


def _chart(grouping: Grouping, rows: list[dict]) -> Chart:
    """The share of targets met per group and target (every unit of a group together)."""
    names = list(dict.fromkeys(r["name"] for r in rows))
    series = []
    for target in TARGETS:
        values = []
        for name in names:
            mine = [r for r in rows if r["name"] == name and r["target"] == target.label]
            met = sum(r["met"] for r in mine)
            total = sum(r["met"] + r["missed"] + r["breached"] for r in mine)
            values.append(round(100 * met / total, 1) if total else None)
        series.append(Series(gettext("%(target)s, %% met") % {"target": target.label}, values))
    return Chart(
        id="report-chart",
        title=gettext("Targets met per %(group)s (%%)") % {"group": str(grouping.label).lower()},
        labels=names,
        series=series,
        kind="bar",
    )


def _causes(tickets: QuerySet, filters: ReportFilters, now) -> tuple[list[dict], int]:
    """The causes of delay written on tickets that breached a target in the range: their
    number and the latest few (two queries)."""
    breached = Q()
    for target in TARGETS:
        breached |= _in_range(target.settled_at, filters) & Q(**{target.met: False})
        breached |= _open_breached_q(target, filters, now)
    ids = tickets.filter(breached, has_delay_cause=True).values("pk")
    notes = TicketNote.objects.filter(is_delay_cause=True, ticket__in=ids)
    count = notes.count()
    latest = notes.select_related("ticket", "author").order_by("-created_at", "-id")[:LATEST_CAUSES]
    rows = [
        {
            "ticket": note.ticket.name,
            "ticket_url": reverse("tickets:detail", args=[note.ticket_id]),
            "cause": note.body if len(note.body) <= 300 else note.body[:299] + "…",
            "author": note.author.display_name if note.author else "",
            "written": formats.date_format(
                timezone.localtime(note.created_at), "SHORT_DATETIME_FORMAT"
            ),
        }
        for note in latest
    ]
    return rows, count


register(
    Report(
        slug="sla-compliance",
        title=_("SLA compliance"),
        description=_(
            "First-response and resolution targets met, missed and breached per pipeline, "
            "request type, owner or team, with the times they took and the causes of delay."
        ),
        build=build,
        filters=("pipeline", "request_type", "company", "plan", "owner", "team"),
        order=20,
        groups=tuple((g.key, g.label) for g in GROUPINGS.values()),
    )
)
