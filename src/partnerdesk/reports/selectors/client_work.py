"""Client work: per client and plan, the tasks submitted, accepted and completed in the range,
how long accepted tasks waited to start and how long work took to approval (average and
median), and the plan's slots in use against its limit over time.

A task holds one of its client's slots from ``started_at`` (the queue's start) until
``closed_at`` (the client's approval: ``portal.services.delivery.task_approve``), through
*Working* and *Pending Approval* (``SLOT_STATUSES``); only tasks that started hold one, and
only approval ends a started task. Every figure is an aggregate in the database:

- the counts, the averages and the slot-seconds per company: one grouped query;
- the medians: one nearest-rank percentile query per duration (``stats.percentiles``);
- the peak of slots in use: one window-function query (``SUM(+1 at a start, -1 at an
  approval) OVER (PARTITION BY company ORDER BY instant)``, the running number of slots in use
  after each event), on PostgreSQL and SQLite alike;
- over time (one company): the same peak per period, and the average per period in one
  conditional aggregate (``periods.py``).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnerdesk.core import clock
from partnerdesk.core.charts import Chart, Series
from partnerdesk.crm.models import Company
from partnerdesk.portal.models import Status, Subscription

from ..filters import ReportFilters, Scope
from ..periods import Period, label, per_period, periods
from ..registry import Column, Report, Result, register
from ..stats import Seconds, percentiles
from . import common


def _instant(value: dt.datetime) -> Value:
    return Value(value, output_field=DateTimeField())


def _in(field: str, since: dt.datetime, until: dt.datetime) -> Q:
    return Q(**{f"{field}__gte": since, f"{field}__lt": until})


def _holding(since: dt.datetime, until: dt.datetime) -> Q | None:
    """The task held a slot at some instant of [since, until) (None if the span is empty: a
    range that starts after now)."""
    if until <= since:
        return None
    return Q(started_at__isnull=False, started_at__lt=until) & (
        Q(closed_at__isnull=True) | Q(closed_at__gt=since)
    )


def _slot_seconds(since: dt.datetime, until: dt.datetime) -> Seconds:
    """How long the task held its slot within [since, until) (for tasks ``_holding`` it)."""
    return Seconds(
        Greatest("started_at", _instant(since)),
        Least(Coalesce("closed_at", _instant(until)), _instant(until)),
    )


def _figures(tasks: QuerySet, filters: ReportFilters, cap: dt.datetime) -> dict[int, dict]:
    """Counts, average durations and slot-seconds per company, in one grouped query."""
    since, until = filters.since, filters.until
    submitted = _in("created_at", since, until)
    accepted = _in("accepted_at", since, until)
    started = _in("started_at", since, until) & Q(accepted_at__isnull=False)
    completed = _in("closed_at", since, until) & Q(status=Status.COMPLETE)
    holding = _holding(since, cap)
    rows = (
        tasks.filter(submitted | accepted | started | completed | (holding or Q()))
        .values("company_id")
        .annotate(
            submitted=Count("pk", filter=submitted),
            accepted=Count("pk", filter=accepted),
            completed=Count("pk", filter=completed),
            wait=Avg(Seconds("accepted_at", "started_at"), filter=started),
            work=Avg(Seconds("started_at", "closed_at"), filter=completed),
            slot_seconds=Sum(_slot_seconds(since, cap), filter=holding)
            if holding
            else Value(None, output_field=FloatField()),
        )
        .order_by()
    )
    return {row.pop("company_id"): row for row in rows}


def _medians(tasks: QuerySet, filters: ReportFilters) -> dict[str, dict[int, float | None]]:
    since, until = filters.since, filters.until
    waits = tasks.filter(_in("started_at", since, until), accepted_at__isnull=False).annotate(
        took=Seconds("accepted_at", "started_at")
    )
    works = tasks.filter(_in("closed_at", since, until), status=Status.COMPLETE).annotate(
        took=Seconds("started_at", "closed_at")
    )
    return {
        name: {
            key[0]: values[0]
            for key, values in percentiles(
                qs, "took", group_by=["company_id"], fractions=[0.5]
            ).items()
        }
        for name, qs in (("wait", waits), ("work", works))
    }


def _peaks(
    tasks: QuerySet, filters: ReportFilters, cap: dt.datetime, spans: list[Period] | None
) -> dict[int, list[int]]:
    """The most slots each company had in use at once: over the whole range, or in each
    period of ``spans``. ``{company id: [peak per period]}`` (one value without spans).

    Each task that held a slot in the range is a +1 at its start (or the range's start, if
    earlier) and a -1 at its approval (if in the range). The running sum per company, in
    time order (an approval before a start at the same instant: approving starts the next
    task in the same transaction), is the number of slots in use after each event; the
    database returns, per company and period, its maximum and the period's net change.
    """
    since = filters.since
    holding = _holding(since, cap)
    if holding is None:
        return {}
    held = tasks.filter(holding).order_by()
    count = len(spans) if spans else 1

    def period_of() -> Case | Value:
        if not spans:
            return Value(0, output_field=IntegerField())
        whens = [When(Q(t__lt=p.until), then=Value(i)) for i, p in enumerate(spans[:-1])]
        return Case(*whens, default=Value(count - 1), output_field=IntegerField())

    starts = (
        held.annotate(t=Greatest("started_at", _instant(since)))
        .annotate(d=Value(1, output_field=IntegerField()))
        .annotate(p=period_of())
        .values_list("company_id", "t", "d", "p")
    )
    ends = (
        held.filter(closed_at__lt=cap)
        .annotate(t=F("closed_at"))
        .annotate(d=Value(-1, output_field=IntegerField()))
        .annotate(p=period_of())
        .values_list("company_id", "t", "d", "p")
    )
    starts_sql, starts_params = starts.query.sql_with_params()
    ends_sql, ends_params = ends.query.sql_with_params()
    # The union's columns are named after the inner selects' (company_id, t, d, p); only our
    # own names are spliced in, every value stays a parameter of the two inner queries.
    query = " ".join(
        [
            "SELECT company_id, p, SUM(d), MAX(level) FROM (",
            "SELECT company_id, p, d, SUM(d) OVER (PARTITION BY company_id ORDER BY t, d",
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level",
            "FROM (SELECT * FROM (",
            starts_sql,
            ") s UNION ALL SELECT * FROM (",
            ends_sql,
            ") e) events",
            ") levels GROUP BY company_id, p",
        ]
    )
    per_company: dict[int, dict[int, tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, (*starts_params, *ends_params))
        for company, p, net, top in cursor.fetchall():
            per_company.setdefault(company, {})[p] = (int(net), int(top))
    peaks: dict[int, list[int]] = {}
    for company, by_period in per_company.items():
        level, values = 0, []
        for p in range(count):
            net, top = by_period.get(p, (0, level))
            values.append(max(level, top))
            level += net
        peaks[company] = values
    return peaks


def _average_in_use(tasks: QuerySet, spans: list[Period], cap: dt.datetime) -> list:
    """The average number of slots in use in each period (up to ``cap``), in one query."""
    ends = {i: min(p.until, cap) for i, p in enumerate(spans) if p.since < cap}
    if not ends:
        return [None] * len(spans)
    sums = tasks.filter(_holding(spans[0].since, cap) or Q()).aggregate(
        **{
            f"p{i}": Sum(_slot_seconds(spans[i].since, end), filter=_holding(spans[i].since, end))
            for i, end in ends.items()
        }
    )
    return [
        (sums[f"p{i}"] or 0) / (ends[i] - p.since).total_seconds() if i in ends else None
        for i, p in enumerate(spans)
    ]


def _limits(company_id: int, spans: list[Period], cap: dt.datetime) -> list:
    """The slots of the plan in force at the end of each period (None: no plan then)."""
    plans = list(
        Subscription.objects.filter(company_id=company_id, started_at__lt=cap)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=spans[0].since))
        .select_related("plan")
        .order_by("started_at")
    )
    limits = []
    for period in spans:
        end = min(period.until, cap)
        limits.append(
            next(
                (
                    s.plan.concurrent_tasks
                    for s in plans
                    if s.started_at < end and (s.ended_at is None or s.ended_at >= end)
                ),
                None,
            )
        )
    return limits


def _chart(tasks: QuerySet, filters: ReportFilters, cap, company_id: int | None, peaks) -> Chart:
    spans = periods(filters)
    labels = [label(p, filters.grain) for p in spans]
    if company_id is None:
        return Chart(
            id="report-chart",
            title=_("Client tasks submitted and completed"),
            labels=labels,
            series=[
                Series(_("Submitted"), per_period(tasks, "created_at", filters)),
                Series(
                    _("Completed"),
                    per_period(tasks.filter(status=Status.COMPLETE), "closed_at", filters),
                ),
            ],
            kind="bar",
        )
    return Chart(
        id="report-chart",
        title=_("Slots in use against the plan"),
        labels=labels,
        series=[
            Series(_("Most slots in use"), peaks.get(company_id, [0] * len(spans))),
            Series(_("Average slots in use"), _average_in_use(tasks, spans, cap)),
            Series(_("Plan slots"), _limits(company_id, spans, cap)),
        ],
    )


def _current_plan(field: str) -> Subquery:
    return Subquery(
        Subscription.objects.filter(company_id=OuterRef("pk"), ended_at__isnull=True).values(
            f"plan__{field}"
        )[:1]
    )


def _linker(name: str):
    """``pk -> URL`` of a detail page, reversed once (thousands of rows, one ``reverse``)."""
    marker = "2147483647"
    template = reverse(name, args=[int(marker)])
    return lambda pk: template.replace(marker, str(pk))


def build(filters: ReportFilters, scope: Scope) -> Result:
    tasks = common.tasks(filters, scope)
    cap = min(filters.until, clock.now())
    company_id = filters.company or scope.company_id
    figures = _figures(tasks, filters, cap)
    medians = _medians(tasks, filters)
    peaks = _peaks(tasks, filters, cap, periods(filters) if company_id else None)
    companies = (
        Company.objects.filter(pk__in={*figures, *peaks})
        .only("name")
        .annotate(plan_name=_current_plan("name"), slots=_current_plan("concurrent_tasks"))
        .order_by("name", "pk")
    )
    company_url = _linker("crm:company_detail")
    span = (cap - filters.since).total_seconds()
    rows = []
    for company in companies:
        row = figures.get(company.pk, {})
        in_use = (row.get("slot_seconds") or 0) / span if span > 0 else None
        rows.append(
            {
                "company": company.name,
                "plan": company.plan_name or "",
                "slots": company.slots,
                "submitted": row.get("submitted", 0),
                "accepted": row.get("accepted", 0),
                "completed": row.get("completed", 0),
                "wait": row.get("wait"),
                "wait_median": medians["wait"].get(company.pk),
                "work": row.get("work"),
                "work_median": medians["work"].get(company.pk),
                "in_use": in_use,
                "peak": max(peaks.get(company.pk, [0])),
                "use": in_use / company.slots if in_use is not None and company.slots else None,
            }
        )
        if scope.company_id is None:  # staff: the client's record
            rows[-1]["company_url"] = company_url(company.pk)
    rows.sort(key=lambda r: (-r["submitted"], -r["completed"], r["company"]))
    return Result(
        columns=[
            Column("company", _("Client"), "text"),
            Column("plan", _("Plan"), "text"),
            Column("slots", _("Plan slots")),
            Column("submitted", _("Submitted")),
            Column("accepted", _("Accepted")),
            Column("completed", _("Completed")),
            Column("wait", _("Accepted to started, average"), "seconds"),
            Column("wait_median", _("Accepted to started, median"), "seconds"),
            Column("work", _("Started to approved, average"), "seconds"),
            Column("work_median", _("Started to approved, median"), "seconds"),
            Column("in_use", _("Slots in use, average"), "number"),
            Column("peak", _("Slots in use, most at once")),
            Column("use", _("Use of the plan"), "share"),
        ],
        rows=rows,
        chart=_chart(tasks, filters, cap, company_id, peaks),
        notes=[
            _(
                "A task holds one of its client's slots from its start until the client "
                "approves it. The plan and its slots are the client's current ones; the use "
                "of the plan is the average of slots in use over them."
            ),
            _(
                "Waiting times count the tasks started in the range; working times the tasks "
                "approved in it. Choose a client to see its slots over time."
            ),
        ],
    )


register(
    Report(
        slug="client-work",
        title=_("Client work"),
        description=_(
            "Per client and plan: tasks submitted, accepted and completed, how long they waited "
            "and took, and the plan's slots in use over time."
        ),
        build=build,
        filters=("company", "plan", "category", "owner", "team"),
        order=40,
        for_clients=True,
    )
)
