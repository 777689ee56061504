"""SLA compliance: for the first-response and the resolution target, how many tickets met it,
missed it, or are still open past their due time, per pipeline (the main table), request type,
owner and team; the median and 90th percentile of the times they took, in the policy's kind of
time; and the causes of delay recorded on the breached tickets.

Dates: a met or missed target counts on the day it was settled (the first response, the
closing); an open breached one on the day it fell due. The times are the ones the tickets
store when a target is settled (``Ticket.*_elapsed``, in calendar or working seconds, paused
time left out), so a figure never needs the calendar at read time.

Queries, whatever the number of tickets: per target one grouped count of the settled targets
and one of the open breached ones, at the finest grain (pipeline × request type × owner ×
unit), which the other tables sum; per target and table one nearest-rank percentile query
(``stats.percentiles``); the causes of delay, their count and the latest few; and the labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import Team
from partnerdesk.core import clock
from partnerdesk.core.charts import Chart, Series
from partnerdesk.crm.models import Stage
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

# A bucket of the finest grain: (pipeline id, request type id, owner id, unit).
Key = tuple[int, int, int | None, str]


def _in_range(field: str, filters: ReportFilters) -> Q:
    return Q(**{f"{field}__gte": filters.since, f"{field}__lt": filters.until})


def _settled(tickets: QuerySet, target: Target, filters: ReportFilters) -> QuerySet:
    return tickets.filter(_in_range(target.settled_at, filters), **{f"{target.met}__isnull": False})


def _open_breached_q(target: Target, filters: ReportFilters, now) -> Q:
    return overdue_q(target.key, now) & _in_range(target.due, filters)


def _key(row: dict) -> Key:
    return (row["pipeline_id"], row["entry_stage_id"], row["owner_id"], row["u"])


def _counts(tickets: QuerySet, target: Target, filters: ReportFilters, now) -> dict[Key, list]:
    """{(pipeline, request type, owner, unit): [met, missed, open breached]}: two queries."""
    buckets: dict[Key, list] = defaultdict(lambda: [0, 0, 0])
    grain = ("pipeline_id", "entry_stage_id", "owner_id")
    settled = (
        _settled(tickets, target, filters)
        .order_by()
        .values(*grain, u=F(target.unit))
        .annotate(
            met=Count("pk", filter=Q(**{target.met: True})),
            missed=Count("pk", filter=Q(**{target.met: False})),
        )
    )
    for row in settled:
        bucket = buckets[_key(row)]
        bucket[0] += row["met"]
        bucket[1] += row["missed"]
    breached = (
        tickets.filter(_open_breached_q(target, filters, now))
        .order_by()
        .values(*grain, u=F(target.policy_unit))
        .annotate(n=Count("pk"))
    )
    for row in breached:
        buckets[_key(row)][2] += row["n"]
    return buckets


@dataclass(frozen=True)
class Dimension:
    key: str
    label: Any
    field: str  # what the percentiles group the tickets by
    of: Callable[[Key, dict], list]  # the dimension's values of a bucket (a team: several)


DIMENSIONS = [
    Dimension("pipeline", _("Pipeline"), "pipeline_id", lambda k, teams: [k[0]]),
    Dimension("request_type", _("Request type"), "entry_stage_id", lambda k, teams: [k[1]]),
    Dimension("owner", _("Owner"), "owner_id", lambda k, teams: [k[2]]),
    Dimension("team", _("Team"), "owner__teams", lambda k, teams: teams.get(k[2]) or [None]),
]


def _rows(
    dimension: Dimension,
    counts: dict[str, dict[Key, list]],
    times: dict[str, dict[tuple, list]],
    names: dict[Any, str],
    teams: dict,
) -> list[dict]:
    figures: dict[tuple, list] = defaultdict(lambda: [0, 0, 0])
    for target in TARGETS:
        for key, (met, missed, breached) in counts[target.key].items():
            for value in dimension.of(key, teams):
                figure = figures[(value, target.key, key[3])]
                figure[0] += met
                figure[1] += missed
                figure[2] += breached
    order = {t.key: i for i, t in enumerate(TARGETS)}
    labels = {t.key: t.label for t in TARGETS}
    rows = []
    for (value, target, unit), (met, missed, breached) in figures.items():
        p50, p90 = times[target].get((value, unit), [None, None])
        settled_and_open = met + missed + breached
        rows.append(
            {
                "name": names.get(value) or _none(dimension.key),
                "target": labels[target],
                "unit": UNITS.get(unit, unit),
                "met": met,
                "missed": missed,
                "breached": breached,
                "compliance": met / settled_and_open if settled_and_open else None,
                "median": p50,
                "p90": p90,
                "_order": (value is None, str(names.get(value, "")), order[target], unit),
            }
        )
    rows.sort(key=lambda r: r.pop("_order"))
    return rows


def _none(dimension: str) -> str:
    return _t("No team") if dimension == "team" else _t("No owner")


def _names(counts: dict[str, dict[Key, list]]) -> tuple[dict, dict, dict, dict, dict]:
    """Labels of the pipelines, request types, owners and teams in the buckets (three
    queries), and each owner's teams."""
    keys = [key for per_target in counts.values() for key in per_target]
    stages = Stage.objects.filter(pk__in={k[1] for k in keys}).select_related("pipeline")
    pipelines = {s.pipeline_id: s.pipeline.name for s in stages}
    request_types = {s.pk: f"{s.pipeline.name} · {s.request_name or s.name}" for s in stages}
    owner_ids = {k[2] for k in keys if k[2] is not None}
    owners = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=owner_ids)}
    owner_teams: dict[int, list[int]] = defaultdict(list)
    team_names = {}
    for team_id, name, member in Team.objects.filter(members__in=owner_ids).values_list(
        "pk", "name", "members"
    ):
        if member in owner_ids:
            owner_teams[member].append(team_id)
            team_names[team_id] = name
    return pipelines, request_types, owners, team_names, owner_teams


def build(filters: ReportFilters, scope: Scope) -> Result:
    now = clock.now()
    tickets = common.tickets(filters, scope)
    counts = {t.key: _counts(tickets, t, filters, now) for t in TARGETS}
    pipelines, request_types, owners, team_names, owner_teams = _names(counts)
    names = {
        "pipeline": pipelines,
        "request_type": request_types,
        "owner": owners,
        "team": team_names,
    }
    tables = {}
    for dimension in DIMENSIONS:
        times = {
            t.key: percentiles(
                _settled(tickets, t, filters), t.elapsed, group_by=[dimension.field, t.unit]
            )
            for t in TARGETS
        }
        tables[dimension.key] = _rows(dimension, counts, times, names[dimension.key], owner_teams)
    causes, cause_count = _causes(tickets, filters, now)
    return Result(
        columns=_columns(_("Pipeline")),
        rows=tables["pipeline"],
        chart=_chart(tables["pipeline"]),
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
            _t("%(n)d causes of delay recorded on the tickets breached in this range.")
            % {"n": cause_count},
        ],
        tables=[
            *(
                Table(key=d.key, title=_per(d), columns=_columns(d.label), rows=tables[d.key])
                for d in DIMENSIONS[1:]
            ),
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


def _per(dimension: Dimension) -> str:
    return _t("Per %(dimension)s") % {"dimension": str(dimension.label).lower()}


def _columns(label) -> list[Column]:
    return [
        Column("name", label, "text"),
        Column("target", _("Target"), "text"),
        Column("unit", _("Times in"), "text"),
        Column("met", _("Met")),
        Column("missed", _("Missed")),
        Column("breached", _("Open, breached")),
        Column("compliance", _("Compliance"), "share"),
        Column("median", _("Median time"), "seconds"),
        Column("p90", _("90th percentile"), "seconds"),
    ]


def _chart(rows: list[dict]) -> Chart:
    """Compliance per pipeline and target (every unit of a pipeline together)."""
    pipelines = list(dict.fromkeys(r["name"] for r in rows))
    series = []
    for target in TARGETS:
        values = []
        for name in pipelines:
            mine = [r for r in rows if r["name"] == name and r["target"] == target.label]
            met = sum(r["met"] for r in mine)
            total = sum(r["met"] + r["missed"] + r["breached"] for r in mine)
            values.append(round(100 * met / total, 1) if total else None)
        series.append(Series(_t("%(target)s, %% met") % {"target": target.label}, values))
    return Chart(
        id="report-chart",
        title=_("Targets met per pipeline (%)"),
        labels=pipelines,
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
            "request type, owner and team, with the times they took and the causes of delay."
        ),
        build=build,
        filters=("pipeline", "request_type", "company", "plan", "owner", "team"),
        order=20,
    )
)
