"""What the staff home shows, per role: an agent leads with their own tickets and client
tasks, a manager or an admin with the team's SLA state and workload; then the trends (small
charts) and the agency's figures.

Every figure is a count that stops at a cap (``exact`` False past it, shown as "1,000+" on the
work tiles, HOME_CAP, and "10,000+" on the agency's records, COUNT_CAP), read through one
index range per figure, a bounded list, or a trend read over the index range of its weeks: the page costs the same at a hundred thousand tickets and at a million
(tests/dashboard/test_scale_postgres.py checks the plans, test_home_budget.py the number of
queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from partnerdesk.core.pagination import COUNT_CAP, capped_counts
from partnerdesk.core.translated import pick_name
from partnerdesk.crm.models import Company, Contact, Deal, Lifecycle, ObjectType, Stage, StageKind
from partnerdesk.crm.selectors import deals_for
from partnerdesk.portal.selectors import triage_counts
from partnerdesk.tickets.selectors import attention_counts

from . import home_charts, home_work
from .capped import capped_figures

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
    """Clients, contacts, open deals and, per pipeline that has open deals (by name), their
    number; each count ``{"count", "exact"}`` up to the cap. A pipeline's open deals are
    read through the (pipeline, stage) index over its open stages, never the closed history.
    Two queries: the open stages, then every count in one statement.

    With ``values``, each pipeline has ``values`` too: its open deals' amounts added up per
    currency, over the same (at most COUNT_CAP + 1) deals, so past the cap a value is that of
    the deals read ("more than"); one more query, as the amounts are read from the table."""
    stages = _open_deal_stages()
    open_deals = {
        key: Deal.objects.filter(pipeline_id=key[0], stage_id__in=ids)
        for key, ids in stages.items()
    }
    counts = capped_counts(
        {
            "companies": [Company.objects.filter(lifecycle=Lifecycle.CLIENT)],
            "contacts": [Contact.objects.all()],
            **({} if values else {key: [qs] for key, qs in open_deals.items()}),
        }
    )
    per_pipeline: dict[tuple[int, str], tuple[int, bool, dict | None]] = {}
    if values:
        figures = capped_figures(
            open_deals, cap=COUNT_CAP, sums={"value": "amount"}, group="currency"
        )
        for key, currencies in figures.items():
            n = sum(f.count for f in currencies.values())
            amounts = {
                currency: Decimal(f["value"]).quantize(CENT)
                for currency, f in sorted(currencies.items())
            }
            per_pipeline[key] = (min(n, COUNT_CAP), n <= COUNT_CAP, amounts)
    else:
        per_pipeline = {key: (*counts[key], None) for key in open_deals}
    pipelines: list[dict[str, Any]] = [
        {"pipeline_id": pipeline_id, "pipeline__name": name, "n": n, "exact": exact, "values": v}
        for (pipeline_id, name), (n, exact, v) in per_pipeline.items()
        if n
    ]
    total = sum(row["n"] for row in pipelines)
    return {
        "companies": _card(*counts["companies"]),
        "contacts": _card(*counts["contacts"]),
        "open_deals": _card(
            min(total, COUNT_CAP), total <= COUNT_CAP and all(row["exact"] for row in pipelines)
        ),
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
