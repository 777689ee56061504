"""Satisfaction (CSAT): the answers of the range per client, per agent, per ticket pipeline and
per task category — how many, the average score, the CSAT (the share of 4s and 5s), the spread
of scores from 1 to 5, the response rate — the average score over time, and the low scores with
their comments and a link to the task or the ticket.

Two instants, two cohorts: the scores count the surveys *answered* in the range (the reports'
index, ``csat_answered``); the response rate is the share of the surveys *sent* in the range
that have an answer (whenever it came). Each table is one grouped query (both cohorts as
conditional aggregates), the chart one conditional aggregate per period, the low scores one
query of at most ``LOW_SCORES`` rows.

Filters: the pipeline keeps the surveys about that pipeline's tickets, the task category those
about that category's tasks (with both, both); company, agent ("owner") and the agent's team.
Client users read their own company's answers, without the per-agent figures.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.charts import Chart, Series
from partnerdesk.core.translated import pick_name
from partnerdesk.satisfaction.models import SCORES, Survey, SurveySettings

from ..filters import ReportFilters, Scope
from ..periods import labels, per_period
from ..registry import Column, Report, Result, Table, register
from . import common

LOW_SCORES = 100  # the most recent low scores listed
SATISFIED = 4  # CSAT counts the answers at or above it


def surveys(filters: ReportFilters, scope: Scope) -> QuerySet:
    """The surveys the filters and the scope let through (no date condition)."""
    qs: QuerySet = Survey.objects.all()
    about, ticket = Q(), Q()
    if filters.pipeline is not None:
        ticket &= Q(ticket__pipeline_id=filters.pipeline)
    if filters.request_type is not None:
        ticket &= Q(ticket__entry_stage_id=filters.request_type)
    if ticket:
        about |= ticket
    if filters.category is not None:
        about |= Q(task__category_id=filters.category)
    if about:
        qs = qs.filter(about)
    qs = common.companies(qs, filters)
    if filters.owner is not None:
        qs = qs.filter(agent_id=filters.owner)
    if filters.team is not None:
        qs = qs.filter(agent__teams=filters.team)
    if scope.company_id is not None:
        qs = qs.filter(company_id=scope.company_id)
    if scope.owner_ids is not None:
        qs = qs.filter(agent_id__in=sorted(scope.owner_ids))
    return qs


def _figures(qs: QuerySet, filters: ReportFilters, group: tuple[str, ...]) -> list[dict]:
    """Per value of ``group``: the answers of the range and the surveys sent in it."""
    answered = Q(answered_at__gte=filters.since, answered_at__lt=filters.until)
    sent = Q(sent_at__gte=filters.since, sent_at__lt=filters.until)
    return list(
        qs.filter(answered | sent)
        .order_by()
        .values(*group)
        .annotate(
            answers=Count("pk", filter=answered),
            average=Avg("score", filter=answered),
            satisfied=Count("pk", filter=answered & Q(score__gte=SATISFIED)),
            **{f"s{n}": Count("pk", filter=answered & Q(score=n)) for n in SCORES},
            sent=Count("pk", filter=sent),
            sent_answered=Count("pk", filter=sent & Q(answered_at__isnull=False)),
        )
    )


def _row(name: str, figures: dict) -> dict:
    answers, sent = figures["answers"], figures["sent"]
    return {
        "name": name,
        "answers": answers,
        "average": figures["average"],
        "csat": figures["satisfied"] / answers if answers else None,
        **{f"s{n}": figures[f"s{n}"] for n in SCORES},
        "sent": sent,
        "response": figures["sent_answered"] / sent if sent else None,
    }


def _columns(name: Column) -> list[Column]:
    return [
        name,
        Column("answers", _("Answers")),
        Column("average", _("Average score"), "number"),
        Column("csat", _("CSAT (4 or 5)"), "share", bar=True),
        *[Column(f"s{n}", _("Score %(n)d") % {"n": n}) for n in SCORES],
        Column("sent", _("Surveys sent")),
        Column("response", _("Response rate"), "share"),
    ]


def _grouped(qs, filters, group: tuple[str, ...], name_of, other: str) -> list[dict]:
    """Rows of one grouping, most answers first; rows without a group value are ``other``."""
    rows = [
        _row(name_of(figures) if figures[group[0]] is not None else other, figures)
        for figures in _figures(qs, filters, group)
    ]
    rows.sort(key=lambda r: (-r["answers"], -r["sent"], r["name"]))
    return rows


def _agent_name(figures: dict) -> str:
    return figures["agent__full_name"] or figures["agent__email"].split("@")[0]


def _low_scores(qs: QuerySet, filters: ReportFilters, scope: Scope) -> tuple[list[dict], int]:
    threshold = (
        SurveySettings.objects.filter(pk=1).values_list("low_score_threshold", flat=True).first()
        or 2
    )
    low = (
        qs.filter(
            answered_at__gte=filters.since, answered_at__lt=filters.until, score__lte=threshold
        )
        .select_related("company", "agent", "task", "ticket")
        .order_by("-answered_at", "-id")[:LOW_SCORES]
    )
    rows = []
    for survey in low:
        row = {
            "answered": survey.answered_at,
            "company": survey.company.name,
            "subject": survey.subject_title,
            "kind": gettext("Client task") if survey.task_id else gettext("Ticket"),
            "score": survey.score,
            "comment": survey.comment,
        }
        if scope.company_id is None:  # staff: the agent, and the staff page of the record
            row["agent"] = survey.agent.display_name if survey.agent_id else ""
            row["subject_url"] = (
                reverse("taskdesk:detail", args=[survey.task_id])
                if survey.task_id
                else reverse("tickets:detail", args=[survey.ticket_id])
            )
        else:  # a client: their task or ticket in the portal
            row["subject_url"] = (
                reverse("portal:task_detail", args=[survey.task_id])
                if survey.task_id
                else reverse("portal_tickets:detail", args=[survey.ticket_id])
            )
        rows.append(row)
    return rows, threshold


def build(filters: ReportFilters, scope: Scope) -> Result:
    qs = surveys(filters, scope)
    staff = scope.company_id is None
    clients = _grouped(
        qs, filters, ("company_id", "company__name"), lambda f: f["company__name"], ""
    )
    tables = []
    if staff:
        tables.append(
            Table(
                key="agents",
                title=_("Per agent"),
                columns=_columns(Column("name", _("Agent"), "text")),
                rows=_grouped(
                    qs,
                    filters,
                    ("agent_id", "agent__full_name", "agent__email"),
                    _agent_name,
                    gettext("No agent"),
                ),
            )
        )
    tables += [
        Table(
            key="pipelines",
            title=_("Tickets per pipeline"),
            columns=_columns(Column("name", _("Pipeline"), "text")),
            rows=_grouped(
                qs.filter(ticket__isnull=False),
                filters,
                (
                    "ticket__pipeline_id",
                    "ticket__pipeline__name",
                    "ticket__pipeline__name_translations",
                ),
                lambda f: pick_name(
                    f["ticket__pipeline__name"], f["ticket__pipeline__name_translations"]
                ),
                "",
            ),
        ),
        Table(
            key="categories",
            title=_("Client tasks per category"),
            columns=_columns(Column("name", _("Task category"), "text")),
            rows=_grouped(
                qs.filter(task__isnull=False),
                filters,
                ("task__category_id", "task__category__name", "task__category__name_translations"),
                lambda f: pick_name(
                    f["task__category__name"], f["task__category__name_translations"]
                ),
                "",
            ),
        ),
    ]
    low, threshold = _low_scores(qs, filters, scope)
    tables.append(
        Table(
            key="low",
            title=_("Low scores (%(n)d or less), most recent first") % {"n": threshold},
            columns=[
                Column("answered", _("Answered"), "datetime"),
                Column("company", _("Client"), "text"),
                Column("kind", _("About"), "text"),
                Column("subject", _("Task or ticket"), "text"),
                *([Column("agent", _("Agent"), "text")] if staff else []),
                Column("score", _("Score")),
                Column("comment", _("Comment"), "text"),
            ],
            rows=low,
        )
    )
    answered = qs.filter(answered_at__isnull=False)
    chart = Chart(
        id="report-chart",
        title=_("Average score over time"),
        labels=labels(filters),
        series=[
            Series(
                _("Average score"),
                per_period(answered, "answered_at", filters, lambda q: Avg("score", filter=q)),
            )
        ],
    )
    total_answers = sum(r["answers"] for r in clients)
    notes: list[Any] = [
        _(
            "Scores count the surveys answered in the range; the response rate, the surveys "
            "sent in the range that have an answer. CSAT is the share of answers of 4 or 5."
        ),
        _(
            "The pipeline filter keeps the answers about that pipeline's tickets, the task "
            "category those about that category's tasks; with both, both."
        ),
    ]
    if total_answers:
        satisfied = sum(r["s4"] + r["s5"] for r in clients)
        average = sum(n * r[f"s{n}"] for r in clients for n in SCORES) / total_answers
        notes.append(
            gettext("In all: %(n)d answers, an average of %(avg).2f, CSAT %(csat)d %%.")
            % {"n": total_answers, "avg": average, "csat": round(100 * satisfied / total_answers)}
        )
    if len(low) == LOW_SCORES:
        notes.append(
            gettext("Only the %(n)d most recent low scores are listed.") % {"n": LOW_SCORES}
        )
    return Result(
        columns=_columns(Column("name", _("Client"), "text")),
        rows=clients,
        chart=chart,
        notes=notes,
        tables=tables,
    )


register(
    Report(
        slug="satisfaction",
        title=_("Satisfaction (CSAT)"),
        description=_(
            "Answers to the satisfaction surveys per client, agent, pipeline and task category: "
            "average score, CSAT, response rate, and the low scores with their comments."
        ),
        build=build,
        filters=("pipeline", "request_type", "category", "company", "plan", "owner", "team"),
        order=60,
        for_clients=True,
    )
)
