"""The open work the staff home leads with: each figure, read from capped samples through the
indexes of open work, is the plain aggregate of the same rows (and says "not exact" past its
cap); the next due are the first by the earlier of their running targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone

from partnerdesk.accounts.models import Role
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Deal, StageKind
from partnerdesk.dashboard import selectors
from partnerdesk.dashboard.selectors import home_work
from partnerdesk.dashboard.selectors.capped import capped_figures, flag
from partnerdesk.portal.models import Status, Task
from partnerdesk.tickets import sla_state
from partnerdesk.tickets.models import SlaState, Ticket
from tests.conftest import make_user
from tests.tickets import open_ticket

from .home_data import add_deals, add_tasks, add_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def team(agent, admin, company, now):
    """Two agents and the admin owning 400 tickets in every SLA situation (a third nobody's)."""
    other = make_user("other@agency.test", Role.AGENT)
    add_tickets(now, [agent, other, admin, agent], [company], 400)
    return [agent, other, admin]


def open_of(user):
    return Ticket.objects.filter(owner=user, closed_at__isnull=True)


def test_an_agents_states_are_those_of_their_open_tickets(agent, team, now):
    states = home_work.my_ticket_states(agent, now=now)
    mine = open_of(agent)
    want = {state: mine.filter(sla_state.state_q(state, now)).count() for state in home_work.STATES}
    assert all(want.values()), want  # the data has every state
    for state, n in want.items():
        assert states[state] == {"count": n, "exact": True}, state
    assert states["breached_without_cause"]["count"] == (
        mine.filter(sla_state.breached_without_cause_q(now)).count()
    )
    assert states["open"] == {"count": mine.count(), "exact": True}
    assert states["none"]["count"] == mine.filter(sla_policy__isnull=True).count()


def test_past_the_cap_an_agents_states_are_lower_bounds(agent, team, now):
    states = home_work.my_ticket_states(agent, now=now, cap=5)
    assert states["open"] == {"count": 5, "exact": False}
    assert all(not card["exact"] for card in states.values())
    assert sum(states[state]["count"] for state in home_work.STATES) <= 6


def deadline(ticket: Ticket) -> dt.datetime:
    due = [ticket.resolution_due_at]
    if ticket.first_response_at is None:
        due.append(ticket.first_response_due_at)
    return min(d for d in due if d is not None)


def test_the_next_due_come_first_by_the_earlier_of_their_running_targets(agent, team, now):
    # Three first responses owed longest ago: first by their first-response due time.
    owing = open_of(agent).filter(sla_paused_at__isnull=True, resolution_due_at__isnull=False)
    for days, pk in enumerate(owing.values_list("pk", flat=True)[:3], start=100):
        Ticket.objects.filter(pk=pk).update(
            first_response_at=None,
            first_response_met=None,
            first_response_due_at=now - dt.timedelta(days=days),
            first_response_warn_at=now - dt.timedelta(days=days + 1),
        )
    running = [
        t
        for t in open_of(agent).filter(sla_paused_at__isnull=True)
        if t.resolution_due_at or (t.first_response_at is None and t.first_response_due_at)
    ]
    want = sorted(running, key=lambda t: (deadline(t), t.pk))[: home_work.NEXT_DUE]
    by_first_response = [t.first_response_due_at == deadline(t) for t in want]
    assert any(by_first_response) and not all(by_first_response)  # both ranges count
    got = home_work.next_due(agent, now=now)
    assert [t.pk for t in got] == [t.pk for t in want]
    for ticket in got:
        assert ticket.next_due == deadline(ticket)
        assert ticket.sla == sla_state.ticket_state(ticket, now)
    assert got[0].next_due < now - dt.timedelta(days=99)  # the most overdue first


def test_the_next_due_leave_out_paused_closed_and_others_tickets(agent, admin, company, now):
    def ticket(**fields):
        made = open_ticket(admin, "Email Creation", now=now - dt.timedelta(hours=2))
        Ticket.objects.filter(pk=made.pk).update(owner=agent, **fields)
        return made

    first_response = ticket(
        first_response_due_at=now + dt.timedelta(hours=1),
        first_response_warn_at=now + dt.timedelta(minutes=30),
        resolution_due_at=now + dt.timedelta(days=3),
        resolution_warn_at=now + dt.timedelta(days=2),
    )
    answered = ticket(
        first_response_at=now - dt.timedelta(hours=1),
        first_response_due_at=now - dt.timedelta(minutes=30),  # met: no longer running
        first_response_met=True,
        resolution_due_at=now + dt.timedelta(hours=2),
        resolution_warn_at=now + dt.timedelta(hours=1),
    )
    ticket(sla_paused_at=now - dt.timedelta(hours=1))
    ticket(closed_at=now - dt.timedelta(hours=1))
    Ticket.objects.filter(pk=ticket().pk).update(owner=admin)
    got = home_work.next_due(agent, now=now)
    assert [(t.pk, str(t.next_target)) for t in got] == [
        (first_response.pk, "First response"),
        (answered.pk, "Resolution"),
    ]


def test_an_agents_tasks_in_progress_first_then_the_backlog(agent, admin, company, now):
    add_tasks(now, [agent, admin], company, 40)
    tasks = home_work.my_tasks(agent, now=now)
    mine = Task.objects.filter(assignee=agent)
    for status in ("working", "accepted", "pending_approval"):
        assert tasks[status] == {"count": mine.filter(status=status).count(), "exact": True}
    working = list(mine.filter(status=Status.WORKING).order_by("estimated_completion", "id"))
    accepted = list(mine.filter(status=Status.ACCEPTED).order_by("accepted_at", "id"))
    assert working and accepted
    assert tasks["list"] == [*working, *accepted][: home_work.TASKS_SHOWN]
    assert [t.overdue for t in tasks["list"]] == [
        t.status == Status.WORKING and t.estimated_completion < now for t in tasks["list"]
    ]
    assert any(t.overdue for t in tasks["list"]) and not all(t.overdue for t in tasks["list"])


def test_the_team_workload_is_the_grouped_counts_of_open_work(team, company, now):
    add_tasks(now, team, company, 60)
    workload = home_work.team_workload(now=now, cap=1_000)
    breached = sla_state.state_q(SlaState.BREACHED, now)
    tickets = {
        row["owner_id"]: row
        for row in Ticket.objects.filter(closed_at__isnull=True, owner__isnull=False)
        .values("owner_id")
        .annotate(open=Count("pk"), breached=Count("pk", filter=breached))
        .order_by()
    }
    doing = Q(status__in=[Status.WORKING, Status.ACCEPTED])
    tasks = {
        row["assignee_id"]: row
        for row in Task.objects.filter(doing, assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            working=Count("pk", filter=Q(status=Status.WORKING)),
            accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
        )
        .order_by()
    }
    assert workload["owners"] == len(team)  # the admin of the fixtures is one of them
    for load in workload["rows"]:
        want = {**tickets[load.owner.pk], **tasks[load.owner.pk]}
        for name in ("open", "breached", "working", "accepted"):
            assert getattr(load, name) == {"count": want[name], "exact": True}, name
    loads = [r.open["count"] + r.working["count"] + r.accepted["count"] for r in workload["rows"]]
    assert loads == sorted(loads, reverse=True)


def test_the_workload_is_exact_shows_the_busiest_and_caps_the_breached(team, company, now):
    add_tasks(now, team, company, 6)
    for i in range(3):
        make_user(f"idle{i}@agency.test", Role.AGENT)
    make_user("gone@agency.test", Role.AGENT, is_active=False)
    workload = home_work.team_workload(now=now, cap=7, rows=4)
    assert workload["owners"] == 6  # the active staff
    assert len(workload["rows"]) == 4
    busy = workload["rows"][:3]
    assert {r.owner.pk for r in busy} == {u.pk for u in team}
    for load in busy:
        tickets = Ticket.objects.filter(owner=load.owner, closed_at__isnull=True)
        assert load.open == {"count": tickets.count(), "exact": True}  # kept, not capped
        assert tickets.count() > 7
        assert not load.breached["exact"] and load.breached["count"] <= 7
    loads = [r.open["count"] + r.working["count"] + r.accepted["count"] for r in busy]
    assert loads == sorted(loads, reverse=True)
    idle = workload["rows"][3]
    assert idle.owner.email == "idle0@agency.test"  # no work: by name
    assert idle.open == idle.working == idle.accepted == {"count": 0, "exact": True}


def test_capped_figures_group_and_sum_per_part(admin, company):
    add_deals(admin, company, 30)
    parts = {
        pipeline_id: Deal.objects.filter(pipeline_id=pipeline_id, stage__kind=StageKind.OPEN)
        for pipeline_id in Deal.objects.values_list("pipeline_id", flat=True).distinct()
    }
    figures = capped_figures(parts, cap=100, sums={"value": "amount"}, group="currency")
    want = (
        Deal.objects.filter(stage__kind=StageKind.OPEN)
        .values("pipeline_id", "currency")
        .annotate(n=Count("pk"), value=Sum("amount"))
        .order_by()
    )
    got = {
        (key, currency): (f.count, Decimal(f["value"]).quantize(Decimal("0.01")))
        for key, groups in figures.items()
        for currency, f in groups.items()
    }
    assert got == {
        (row["pipeline_id"], row["currency"]): (row["n"], row["value"] or Decimal("0.00"))
        for row in want
    }
    capped = capped_figures(parts, cap=1, sums={"value": "amount"}, group="currency")
    for key, groups in capped.items():
        many = sum(f.count for f in figures[key].values()) > 1
        assert all(f.exact is not many for f in groups.values()), key
    assert capped_figures({}, cap=1) == {}
    none = {"x": Deal.objects.none()}
    assert capped_figures(none, cap=1, group="currency") == {"x": {}}
    empty = capped_figures(none, cap=1, sums={"n": flag(Q(pk__gt=0))})["x"][None]
    assert (empty.count, empty.exact, empty["n"]) == (0, True, 0)


def test_record_counts_give_each_pipelines_value_per_currency(admin, company):
    add_deals(admin, company, 30)
    crm_services.deal_create(
        by=admin,
        name="Big one",
        pipeline=Deal.objects.first().pipeline,
        company=company,
        amount=Decimal("1000000.50"),
    )
    rows = selectors.record_counts(values=True)["pipelines"]
    want = {}
    for row in (
        Deal.objects.filter(stage__kind=StageKind.OPEN)
        .values("pipeline_id", "currency")
        .annotate(value=Sum("amount"))
        .order_by()
    ):
        want.setdefault(row["pipeline_id"], {})[row["currency"]] = row["value"] or Decimal(0)
    assert {row["pipeline_id"]: row["values"] for row in rows} == want
    assert all(row["exact"] for row in rows)
