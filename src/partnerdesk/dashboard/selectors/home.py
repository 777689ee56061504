"""What the staff home shows, per role: an agent leads with their own tickets and client
tasks, a manager or an admin with the team's SLA state and workload; then the trends (small
charts) and the agency's figures.

Every figure is a count that stops at a cap (``exact`` False past it, shown as "1,000+" on the
work tiles, HOME_CAP, and "10,000+" on the agency's records, COUNT_CAP), read through one
index range per figure; a running total the database keeps (the team's workload, the open
deals and their values: ``dashboard.totals``), exact; a bounded list; or a trend read over
the index range of its weeks: the page costs the same at a hundred thousand tickets and at a
million (tests/dashboard/test_scale_postgres.py checks the plans, test_home_budget.py the
number of queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from partnerdesk.core.pagination import capped_counts
from partnerdesk.core.translated import pick_name
from partnerdesk.crm.models import Company, Contact, Lifecycle, ObjectType, Stage, StageKind
from partnerdesk.crm.selectors import deals_for
from partnerdesk.dashboard import totals
from partnerdesk.portal.selectors import triage_counts
from partnerdesk.tickets.selectors import attention_counts

from . import home_charts, home_work

CENT = Decimal("0.01")
# The home's work counts stop here ("1,000+"): a tile says "a lot" past it as well as at ten
# times more, and each count then reads at most 1,001 index entries instead of 10,001 (at a
# million tickets, the attention counts took 34 ms at COUNT_CAP, 20 ms at this cap). The
# lists they link to count to COUNT_CAP.
HOME_CAP = 1_000


def _open_deal_stages() -> dict[tuple[int, str], list[int]]:
    """(pipeline id, name in the reader's language) -> the ids of its open stages, for every
    pipeline of deals."""
    stages: dict[tuple[int, str], list[int]] = {}
    rows = (
        Stage.objects.filter(kind=StageKind.OPEN, pipeline__object_type=ObjectType.DEAL)
        .order_by("pipeline__name", "pipeline_id", "order", "id")
        .values_list("pipeline_id", "pipeline__name", "pipeline__name_translations", "id")
    )
    for pipeline_id, name, translations, stage_id in rows:
        stages.setdefault((pipeline_id, pick_name(name, translations)), []).append(stage_id)
    return stages


def record_counts(*, values: bool = False) -> dict:
    """Clients and contacts, each ``{"count", "exact"}`` up to the cap (one statement); the
    open deals and, per pipeline that has open deals (by name), their number, exact, from
    the running totals the database keeps per stage (``dashboard.totals``): a few rows per
    open stage, however many deals, never the deals themselves. With ``values``, each
    pipeline's ``values`` too: its open deals' amounts added up per currency, exact."""
    stages = _open_deal_stages()
    kept = totals.deal_values(stage_id for ids in stages.values() for stage_id in ids)
    counts = capped_counts(
        {
            "companies": [Company.objects.filter(lifecycle=Lifecycle.CLIENT)],
            "contacts": [Contact.objects.all()],
        }
    )
    pipelines: list[dict[str, Any]] = []
    for pipeline_id, name in stages:
        currencies = kept.get(pipeline_id, {})
        n = sum(count for count, _value in currencies.values())
        if n:
            amounts = {
                currency: value.quantize(CENT)
                for currency, (_count, value) in sorted(currencies.items())
            }
            pipelines.append(
                {
                    "pipeline_id": pipeline_id,
                    "pipeline__name": name,
                    "n": n,
                    "exact": True,
                    "values": amounts if values else None,
                }
            )
    return {
        "companies": _card(*counts["companies"]),
        "contacts": _card(*counts["contacts"]),
        "open_deals": _card(sum(row["n"] for row in pipelines), True),
        "pipelines": pipelines,
    }


def _card(count: int, exact: bool) -> dict:
    return {"count": count, "exact": exact}


def open_deals_by_pipeline() -> list[dict]:
    """Open deals per pipeline (see record_counts)."""
    return record_counts()["pipelines"]


def staff_home(user, *, now: dt.datetime, trends: bool = False) -> dict:
    """The home of ``user``: ``lead`` says which part comes first ("mine" for an agent:
    ``my_tickets``, ``next_due``, ``my_tasks``; "team" for a manager or an admin:
    ``workload``), then the counts every role sees; with ``trends``, the ``charts`` of
    ``home_trends`` (else the page loads them after it has shown: they read weeks of
    tickets, the rest of the page bounded samples)."""
    # The ticket counts first: one statement (tests/tickets/test_scale_postgres.py finds it
    # as the page's first SQL with a CASE over tickets).
    context: dict = {"tickets": attention_counts(user, now=now, cap=HOME_CAP)}
    if user.is_manager_or_admin:
        context |= {"lead": "team", "workload": home_work.team_workload(now=now)}
    else:
        context |= {
            "lead": "mine",
            "my_tickets": home_work.my_ticket_states(user, now=now, cap=HOME_CAP),
            "next_due": home_work.next_due(user, now=now),
            "my_tasks": home_work.my_tasks(user, now=now),
        }
    records = record_counts(values=user.is_manager_or_admin)
    if user.is_manager_or_admin:
        context["pipeline_chart"] = home_charts.pipeline_values(records["pipelines"])
    return {
        **context,
        **records,
        "charts": home_trends(now=now) if trends else None,
        "my_deals": deals_for(user).filter(owner=user, stage__kind=StageKind.OPEN)[:10],
        "tasks": triage_counts(now=now, cap=HOME_CAP),
    }


def home_trends(*, now: dt.datetime) -> list:
    """The home's trends (the same for every role): tickets opened and closed per day, the
    share of SLA targets met per week. Four queries, each over the index range of its weeks."""
    today = timezone.localdate(now)
    return [
        home_charts.tickets_per_day(today=today),
        home_charts.sla_met_per_week(today=today),
    ]
