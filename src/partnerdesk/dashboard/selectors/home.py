"""What the staff home counts. Every figure is a capped count or an aggregate over open work
only, so the page costs the same at a thousand records and at a million."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet

from partnerdesk.core.pagination import capped_count
from partnerdesk.crm.models import Company, Contact, Deal, Lifecycle, StageKind
from partnerdesk.crm.selectors import deals_for
from partnerdesk.portal.selectors import triage_counts
from partnerdesk.tickets.selectors import attention_counts


def _capped(qs: QuerySet) -> dict:
    count, exact = capped_count(qs)
    return {"count": count, "exact": exact}


def record_counts() -> dict[str, dict]:
    """Clients, contacts and open deals, each counted up to the cap."""
    return {
        "companies": _capped(Company.objects.filter(lifecycle=Lifecycle.CLIENT)),
        "contacts": _capped(Contact.objects.all()),
        "open_deals": _capped(Deal.objects.filter(stage__kind=StageKind.OPEN)),
    }


def open_deals_by_pipeline() -> list[dict]:
    """Open deals per pipeline: one grouped query over the open deals, never the closed history."""
    return list(
        Deal.objects.filter(stage__kind=StageKind.OPEN)
        .values("pipeline_id", "pipeline__name")
        .annotate(n=Count("id"))
        .order_by("pipeline__name")
    )


def staff_home(user, *, now: dt.datetime) -> dict:
    return {
        **record_counts(),
        "pipelines": open_deals_by_pipeline(),
        "my_deals": deals_for(user).filter(owner=user, stage__kind=StageKind.OPEN)[:10],
        "tickets": attention_counts(user, now=now),
        "tasks": triage_counts(now=now),
    }
