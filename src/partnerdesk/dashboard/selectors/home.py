"""What the staff home counts. Every figure is a count that stops at COUNT_CAP (``exact``
False past it, shown as "10,000+"), read through one index range per figure, or a bounded
list: the page costs the same at a hundred thousand tickets and at a million."""

from __future__ import annotations

import datetime as dt

from partnerdesk.core.pagination import COUNT_CAP
from partnerdesk.crm.models import Company, Contact, Deal, Lifecycle, ObjectType, Stage, StageKind
from partnerdesk.crm.selectors import deals_for
from partnerdesk.portal.selectors import triage_counts
from partnerdesk.tickets.selectors import attention_counts, capped_counts


def _open_deal_stages() -> dict[tuple[int, str], list[int]]:
    """(pipeline id, name) -> the ids of its open stages, for every pipeline of deals."""
    stages: dict[tuple[int, str], list[int]] = {}
    rows = (
        Stage.objects.filter(kind=StageKind.OPEN, pipeline__object_type=ObjectType.DEAL)
        .order_by("pipeline__name", "pipeline_id", "order", "id")
        .values_list("pipeline_id", "pipeline__name", "id")
    )
    for pipeline_id, name, stage_id in rows:
        stages.setdefault((pipeline_id, name), []).append(stage_id)
    return stages


def record_counts() -> dict:
    """Clients, contacts, open deals and open deals per pipeline (the pipelines that have
    some, by name), each ``{"count", "exact"}`` up to the cap. A pipeline's open deals are
    read through the (pipeline, stage) index over its open stages, never the closed history;
    all in two queries (the open stages, then every count in one statement)."""
    stages = _open_deal_stages()
    counts = capped_counts(
        {
            "companies": [Company.objects.filter(lifecycle=Lifecycle.CLIENT)],
            "contacts": [Contact.objects.all()],
            **{
                key: [Deal.objects.filter(pipeline_id=key[0], stage_id__in=ids)]
                for key, ids in stages.items()
            },
        }
    )
    pipelines = [
        {"pipeline_id": pipeline_id, "pipeline__name": name, "n": n, "exact": exact}
        for (pipeline_id, name) in stages
        for n, exact in [counts[(pipeline_id, name)]]
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


def staff_home(user, *, now: dt.datetime) -> dict:
    return {
        **record_counts(),
        "my_deals": deals_for(user).filter(owner=user, stage__kind=StageKind.OPEN)[:10],
        "tickets": attention_counts(user, now=now),
        "tasks": triage_counts(now=now),
    }
