"""The staff home's small charts, where a trend says more than a number: tickets opened and
closed per day this week beside last week, the share of SLA targets met per week over the
last WEEKS weeks, and the value of the open deals per deal pipeline.

Each trend reads only its weeks, as an index range (tickets by creation time, by closing time,
the targets settled in the range through the partial indexes the SLA compliance report uses)
with a conditional count per day or week in one row: the cost follows the tickets of those
weeks, never the history. Days and weeks are the local calendar's, weeks from Monday (as the
reports' weeks).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.charts import Chart, Series
from partnerdesk.tickets.models import Ticket

WEEKS = 8

OPENED, CLOSED = "#213343", "#ff5c35"
OPENED_BEFORE, CLOSED_BEFORE = "#8d99a6", "#f7b29f"  # last week, paler


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _per_span(
    field: str, edges: list[dt.datetime], where: Q | None = None, **counts: Q
) -> dict[str, list[int]]:
    """For each name of ``counts`` (default: ``n``, every row), how many tickets meeting its
    condition have their ``field`` in each span between consecutive ``edges``: one query of
    the tickets in the whole range (and meeting ``where``), a conditional count per span."""
    counts = counts or {"n": Q()}
    spans = range(len(edges) - 1)
    rows = Ticket.objects.filter(
        Q(**{f"{field}__gte": edges[0], f"{field}__lt": edges[-1]}) & (where or Q())
    )
    row = rows.aggregate(
        **{
            f"{name}{i}": Count(
                field,  # never null in the range: read from the index, like the range
                filter=Q(**{f"{field}__gte": edges[i], f"{field}__lt": edges[i + 1]}) & condition,
            )
            for name, condition in counts.items()
            for i in spans
        }
    )
    return {name: [row[f"{name}{i}"] for i in spans] for name in counts}


def tickets_per_day(*, today: dt.date) -> Chart:
    """Tickets opened and closed on each day of this week (up to today) and of last week.
    Two queries: the range of creation times (ticket_newest), of closing times
    (ticket_closed)."""
    start = monday(today) - dt.timedelta(days=7)
    days = [start + dt.timedelta(days=i) for i in range(14)]
    edges = [_midnight(day) for day in days] + [_midnight(days[-1] + dt.timedelta(days=1))]
    opened = _per_span("created_at", edges)["n"]
    closed = _per_span("closed_at", edges)["n"]

    def this_week(values: list[int]) -> list[int | None]:
        return [v if day <= today else None for v, day in zip(values[7:], days[7:], strict=True)]

    return Chart(
        id="home-tickets-per-day",
        title=_("Tickets opened and closed per day, this week and last week"),
        labels=[WEEKDAYS_ABBR[day.weekday()] for day in days[7:]],
        series=[
            Series(_("Opened this week"), this_week(opened), OPENED),
            Series(_("Closed this week"), this_week(closed), CLOSED),
            Series(_("Opened last week"), opened[:7], OPENED_BEFORE),
            Series(_("Closed last week"), closed[:7], CLOSED_BEFORE),
        ],
    )


# target -> (the instant it was settled, whether it was met): read through the partial
# indexes of settled targets (ticket_fr_settled, ticket_res_settled)
SETTLED = {
    "first_response": ("first_response_at", "first_response_met"),
    "resolution": ("closed_at", "resolution_met"),
}


def sla_met_per_week(*, today: dt.date, weeks: int = WEEKS) -> Chart:
    """The share of first-response and of resolution targets met among those settled (met or
    missed) in each of the last ``weeks`` weeks, this one included: per target one query of
    the settled targets of those weeks, counting the met and all of them per week."""
    first = monday(today) - dt.timedelta(weeks=weeks - 1)
    starts = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    edges = [_midnight(day) for day in starts] + [_midnight(starts[-1] + dt.timedelta(weeks=1))]
    series = []
    for target, label in (("first_response", _("First response")), ("resolution", _("Resolution"))):
        at, met = SETTLED[target]
        figures = _per_span(
            at, edges, Q(**{f"{met}__isnull": False}), settled=Q(), met=Q(**{met: True})
        )
        shares = [
            round(100 * m / n, 1) if n else None
            for m, n in zip(figures["met"], figures["settled"], strict=True)
        ]
        series.append(Series(gettext("%(target)s, %% met") % {"target": label}, shares))
    return Chart(
        id="home-sla-met",
        title=_("SLA targets met per week (%)"),
        labels=[formats.date_format(day, "SHORT_DATE_FORMAT") for day in starts],
        series=series,
    )


def pipeline_values(pipelines: list[dict]) -> Chart | None:
    """The value of the open deals per pipeline (``record_counts``'s pipelines), a bar per
    currency; None without open deals."""
    if not pipelines:
        return None
    currencies = sorted({c for row in pipelines for c in row["values"]})
    return Chart(
        id="home-pipeline-value",
        title=_("Value of the open deals per pipeline"),
        labels=[row["pipeline__name"] for row in pipelines],
        series=[
            Series(currency, [row["values"].get(currency) for row in pipelines])
            for currency in currencies
        ],
        kind="bar",
    )
