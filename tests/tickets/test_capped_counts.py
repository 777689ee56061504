"""The home page's ticket counts and the board's column counts, counted as unions of index range
scans that stop at a cap, are the exact counts of the one definition (sla_state) below the cap,
and "cap, not exact" above it; on SQLite and PostgreSQL.

The rows are the scale test's (tests/tickets/scale_rows.py: every default pipeline and stage,
open, closed, paused, answered or not), plus the SLA situations it does not make: a first
response or a resolution missed on an open ticket, targets overdue before a pause began, and
due times left behind by a deleted policy (no SLA, so never breached).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, F, Q
from django.utils import timezone

from partnerdesk.accounts.models import Role
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.tickets import selectors, sla_state
from partnerdesk.tickets.models import SlaState, Ticket
from tests.conftest import make_user
from tests.tickets.scale_rows import Builder

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def rows(admin):
    agents = [make_user(f"count-agent{i}@agency.test", Role.AGENT) for i in range(3)]
    companies = [
        crm_services.company_create(by=admin, name=f"Count Co {i}", domain=f"c{i}.example")
        for i in range(3)
    ]
    now = timezone.now()
    builder = Builder(now, agents, companies)
    builder.grow_to(900)
    builder.add_fresh(1)
    open_ids = list(
        Ticket.objects.filter(closed_at__isnull=True, sla_policy__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Missed targets on open tickets (a late first response; a resolution missed, then reopened)
    Ticket.objects.filter(pk__in=open_ids[0:40:3]).update(first_response_met=False)
    Ticket.objects.filter(pk__in=open_ids[1:40:5]).update(resolution_met=False)
    # Overdue before the pause began, and paused in time
    Ticket.objects.filter(pk__in=open_ids[40:60]).update(
        sla_paused_at=F("resolution_due_at") + H, first_response_at=None
    )
    Ticket.objects.filter(pk__in=open_ids[60:70]).update(
        sla_paused_at=F("first_response_due_at") + H, first_response_at=None
    )
    Ticket.objects.filter(pk__in=open_ids[70:80]).update(sla_paused_at=F("created_at"))
    # Due times without a policy (it was deleted): no SLA state but "none"
    Ticket.objects.filter(pk__in=open_ids[80:95]).update(sla_policy=None)
    return {"now": now, "agents": agents}


def exact(user, now) -> dict[str, int]:
    """The counts as one aggregate over the open tickets (what the home page did before)."""
    return Ticket.objects.filter(closed_at__isnull=True).aggregate(
        breached=Count("id", filter=sla_state.state_q(SlaState.BREACHED, now)),
        breached_without_cause=Count("id", filter=sla_state.breached_without_cause_q(now)),
        due_soon=Count("id", filter=sla_state.state_q(SlaState.DUE_SOON, now)),
        mine=Count("id", filter=Q(owner=user)),
        unassigned=Count("id", filter=Q(owner__isnull=True)),
    )


@pytest.mark.parametrize("hours", [-72, -6, 0, 1, 5, 30, 200, 24 * 40])
def test_attention_counts_are_the_exact_counts(rows, hours):
    now = rows["now"] + hours * H
    user = rows["agents"][1]
    want = exact(user, now)
    assert want["breached"] and want["unassigned"]  # the rows make each state
    got = selectors.attention_counts(user, now=now)
    assert {k: v["count"] for k, v in got.items()} == want
    assert all(v["exact"] for v in got.values())


@pytest.mark.parametrize("cap", [1, 7, 40])
def test_attention_counts_stop_at_the_cap(rows, cap):
    now = rows["now"] + 5 * H
    user = rows["agents"][0]
    want = exact(user, now)
    got = selectors.attention_counts(user, now=now, cap=cap)
    for name, n in want.items():
        assert got[name] == (
            {"count": n, "exact": True} if n <= cap else {"count": cap, "exact": False}
        ), name


def test_board_counts_are_the_exact_counts_up_to_the_cap(rows, admin):
    pipeline = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    want = dict(
        Ticket.objects.filter(pipeline=pipeline)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    columns = selectors.board_columns(admin, pipeline, now=rows["now"])
    assert {c["stage"].pk: c["count"] for c in columns if c["count"]} == want
    assert all(c["exact"] for c in columns)
    stages = [c["stage"] for c in columns]
    counts = selectors.capped_counts(
        {s.pk: [Ticket.objects.filter(pipeline=pipeline, stage=s)] for s in stages}, cap=20
    )
    for stage in stages:
        n = want.get(stage.pk, 0)
        assert counts[stage.pk] == ((n, True) if n <= 20 else (20, False))


def test_parts_add_up_to_the_cap(rows):
    open_tickets = Ticket.objects.filter(closed_at__isnull=True)
    n = open_tickets.count()
    parts = [open_tickets.filter(owner__isnull=True), open_tickets.filter(owner__isnull=False)]
    assert selectors.capped_counts({"open": parts}, cap=n) == {"open": (n, True)}
    assert selectors.capped_counts({"open": parts}, cap=n - 1) == {"open": (n - 1, False)}
