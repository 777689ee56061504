"""Team workload: what each owner has open right now — open tickets (and how many of them have
a breached target) and client tasks in progress — so a manager sees who is overloaded."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core import clock
from partnerdesk.core.charts import Chart, Series
from partnerdesk.portal.models import SLOT_STATUSES, Status
from partnerdesk.tickets import sla_state
from partnerdesk.tickets.models import SlaState

from ..filters import ReportFilters, Scope
from ..registry import Column, Report, Result, register
from . import common


def build(filters: ReportFilters, scope: Scope) -> Result:
    now = clock.now()
    ticket_counts = (
        common.tickets(filters, scope)
        .filter(closed_at__isnull=True, owner__isnull=False)
        .values("owner_id")
        .annotate(
            open=Count("pk"),
            breached=Count("pk", filter=sla_state.state_q(SlaState.BREACHED, now)),
        )
    )
    task_counts = (
        common.tasks(filters, scope)
        .filter(status__in=[*SLOT_STATUSES, Status.ACCEPTED], assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            working=Count("pk", filter=Q(status__in=SLOT_STATUSES)),
            accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
        )
    )
    figures: dict[int, dict] = {}
    for row in ticket_counts:
        figures.setdefault(row["owner_id"], {}).update(open=row["open"], breached=row["breached"])
    for row in task_counts:
        figures.setdefault(row["assignee_id"], {}).update(
            working=row["working"], accepted=row["accepted"]
        )
    people = get_user_model().objects.filter(pk__in=figures).order_by("full_name", "email")
    rows = [
        {
            "owner": person.display_name,
            "open": figures[person.pk].get("open", 0),
            "breached": figures[person.pk].get("breached", 0),
            "working": figures[person.pk].get("working", 0),
            "accepted": figures[person.pk].get("accepted", 0),
        }
        for person in people
    ]
    rows.sort(key=lambda r: (-(r["open"] + r["working"]), r["owner"]))
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
    return Result(
        columns=[
            Column("owner", _("Owner"), "text"),
            Column("open", _("Open tickets")),
            Column("breached", _("Of which breached")),
            Column("working", _("Tasks in progress")),
            Column("accepted", _("Tasks accepted, not started")),
        ],
        rows=rows,
        chart=chart,
        notes=[_("Work open now; the dates do not apply to this report.")],
    )


register(
    Report(
        slug="team-workload",
        title=_("Team workload"),
        description=_("Open tickets and client tasks in progress per owner, now."),
        build=build,
        filters=("pipeline", "company", "owner", "team"),
        order=50,
    )
)
