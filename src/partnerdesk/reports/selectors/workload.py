"""Team workload: what each owner and each team has open right now — open tickets (and how many
of them have a breached target) and client tasks in progress — so a manager sees who is
overloaded. Two grouped counts per table (tickets, tasks), merged by owner or by team. A
pipeline or a request type narrows it to tickets, a task category to client tasks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import Team
from partnerdesk.core import clock
from partnerdesk.core.charts import Chart, Series
from partnerdesk.portal.models import SLOT_STATUSES, Status
from partnerdesk.tickets import sla_state
from partnerdesk.tickets.models import SlaState

from ..filters import ReportFilters, Scope
from ..registry import Column, Report, Result, Table, register
from . import common


def _open_tickets(filters: ReportFilters, scope: Scope, now, by: str):
    if not common.wants_tickets(filters):
        return []
    return (
        common.tickets(filters, scope)
        .filter(closed_at__isnull=True, owner__isnull=False)
        .values(by)
        .annotate(
            open=Count("pk"),
            breached=Count("pk", filter=sla_state.state_q(SlaState.BREACHED, now)),
        )
        .order_by()
    )


def _open_tasks(filters: ReportFilters, scope: Scope, by: str):
    if not common.wants_tasks(filters):
        return []
    return (
        common.tasks(filters, scope)
        .filter(status__in=[*SLOT_STATUSES, Status.ACCEPTED], assignee__isnull=False)
        .values(by)
        .annotate(
            working=Count("pk", filter=Q(status__in=SLOT_STATUSES)),
            accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
        )
        .order_by()
    )


def _merge(tickets, tasks, ticket_key: str, task_key: str) -> dict:
    """{owner or team id: {open, breached, working, accepted}} from the two grouped counts."""
    figures: dict = {}
    for row in tickets:
        figures.setdefault(row[ticket_key], {}).update(open=row["open"], breached=row["breached"])
    for row in tasks:
        figures.setdefault(row[task_key], {}).update(
            working=row["working"], accepted=row["accepted"]
        )
    return figures


def _counts(figures: dict) -> dict:
    return {key: figures.get(key, 0) for key in ("open", "breached", "working", "accepted")}


def _busiest(rows: list[dict], name: str) -> None:
    rows.sort(key=lambda r: (-(r["open"] + r["working"]), r[name] or ""))


def _per_team(filters: ReportFilters, scope: Scope, now) -> list[dict]:
    """The same figures per team of the owners (an owner in two teams counts in both; owners
    in no team make the "No team" row)."""
    figures = _merge(
        _open_tickets(filters, scope, now, "owner__teams"),
        _open_tasks(filters, scope, "assignee__teams"),
        "owner__teams",
        "assignee__teams",
    )
    teams = Team.objects.filter(pk__in=[k for k in figures if k is not None]).annotate(
        size=Count("members")
    )
    rows = [
        {"team": team.name, "members": team.size, **_counts(figures[team.pk])} for team in teams
    ]
    _busiest(rows, "team")
    if None in figures:
        rows.append({"team": str(_("No team")), "members": None, **_counts(figures[None])})
    return rows


def build(filters: ReportFilters, scope: Scope) -> Result:
    now = clock.now()
    figures = _merge(
        _open_tickets(filters, scope, now, "owner_id"),
        _open_tasks(filters, scope, "assignee_id"),
        "owner_id",
        "assignee_id",
    )
    people = get_user_model().objects.filter(pk__in=figures).order_by("full_name", "email")
    rows = [{"owner": person.display_name, **_counts(figures[person.pk])} for person in people]
    _busiest(rows, "owner")
    chart = Chart(
        id="report-chart",
        title=_("Open work per owner"),
        labels=[r["owner"] for r in rows],
        series=[
            Series(_("Open tickets"), [r["open"] for r in rows]),
            Series(_("Tasks in progress"), [r["working"] for r in rows]),
        ],
        kind="bar",
        stacked=True,
    )
    figure_columns = [
        Column("open", _("Open tickets")),
        Column("breached", _("Of which breached")),
        Column("working", _("Tasks in progress")),
        Column("accepted", _("Tasks accepted, not started")),
    ]
    return Result(
        columns=[Column("owner", _("Owner"), "text"), *figure_columns],
        rows=rows,
        chart=chart,
        notes=[
            _("Work open now; the dates do not apply to this report."),
            _("Per team: an owner in two teams counts in both."),
        ],
        tables=[
            Table(
                key="teams",
                title=_("Per team"),
                columns=[
                    Column("team", _("Team"), "text"),
                    Column("members", _("Members")),
                    *figure_columns,
                ],
                rows=_per_team(filters, scope, now),
            )
        ],
    )


register(
    Report(
        slug="team-workload",
        title=_("Team workload"),
        description=_("Open tickets and client tasks in progress per owner, now."),
        build=build,
        filters=("pipeline", "request_type", "category", "company", "plan", "owner", "team"),
        order=50,
    )
)
