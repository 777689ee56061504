"""Team workload per owner and per team, on hand-counted rows: the team filter, an agent's
scope, and the page, the per-team CSV and the API agreeing.

Teams: Support A (Agent, Bea) and Web (Bea, Cy); Di is in no team.
Open tickets: Agent 3 (one breached), Bea 1, Di 2 (and a closed one and an unowned one, not
counted). Client tasks: Bea working, pending approval and accepted; Cy working (and one
complete, not counted); Di accepted.
"""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.accounts.models import Role, Team
from partnerdesk.portal.models import Plan, Status
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.filters import ReportFilters, Scope
from partnerdesk.reports.registry import REPORTS
from partnerdesk.sla.models import SlaPolicy
from partnerdesk.tickets.models import Ticket
from tests.conftest import login, make_user
from tests.reports.rows import at, category, entry_stage, subscribe, task, ticket

pytestmark = pytest.mark.django_db

FIGURES = ("open", "breached", "working", "accepted")


@pytest.fixture
def world(company, agent):
    agent2 = make_user("bea@agency.test", Role.AGENT)
    agent3 = make_user("cy@agency.test", Role.AGENT)
    agent4 = make_user("di@agency.test", Role.AGENT)
    support = Team.objects.create(name="Support A")
    support.members.add(agent, agent2)
    web = Team.objects.create(name="Web")
    web.members.add(agent2, agent3)
    stage = entry_stage("Bug Investigation")
    for _n in range(3):
        ticket(company, at(3, 1), stage, owner=agent)
    breached = Ticket.objects.filter(owner=agent).first()
    Ticket.objects.filter(pk=breached.pk).update(
        sla_policy=SlaPolicy.objects.filter(pipeline=stage.pipeline).first(), resolution_met=False
    )
    ticket(company, at(3, 1), stage, owner=agent, closed=at(3, 2))
    ticket(company, at(3, 1), stage)
    ticket(company, at(3, 1), stage, owner=agent2)
    ticket(company, at(3, 1), stage, owner=agent4)
    ticket(company, at(3, 1), stage, owner=agent4)
    started = {"accepted": at(3, 1), "started": at(3, 2)}
    task(company, at(3, 1), Status.WORKING, assignee=agent2, **started)
    task(company, at(3, 1), Status.PENDING_APPROVAL, assignee=agent2, **started)
    task(company, at(3, 1), Status.ACCEPTED, assignee=agent2, accepted=at(3, 1))
    task(company, at(3, 1), Status.WORKING, assignee=agent3, **started)
    task(company, at(3, 1), Status.ACCEPTED, assignee=agent4, accepted=at(3, 1))
    task(company, at(3, 1), Status.COMPLETE, assignee=agent3, closed=at(3, 3), **started)
    return {"support": support, "web": web, "agent2": agent2}


def _build(scope: Scope | None = None, **values):
    filters = ReportFilters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), **values)
    return REPORTS["team-workload"].build(filters, scope or Scope())


def _figures(rows, name):
    return {r[name]: tuple(r[k] for k in FIGURES) for r in rows}


def test_per_owner_and_per_team(world):
    result = _build()
    assert _figures(result.rows, "owner") == {
        "Agent": (3, 1, 0, 0),
        "Bea": (1, 0, 2, 1),
        "Di": (2, 0, 0, 1),
        "Cy": (0, 0, 1, 0),
    }
    assert [r["owner"] for r in result.rows] == ["Agent", "Bea", "Di", "Cy"]  # busiest first
    (teams,) = result.tables
    assert teams.key == "teams"
    assert [(r["team"], r["members"]) for r in teams.rows] == [
        ("Support A", 2),
        ("Web", 2),
        ("No team", None),
    ]
    assert _figures(teams.rows, "team") == {
        "Support A": (4, 1, 2, 1),
        "Web": (1, 0, 3, 1),
        "No team": (2, 0, 0, 1),
    }


def test_the_team_filter_keeps_that_team_only(world):
    result = _build(team=world["web"].pk)
    assert _figures(result.rows, "owner") == {"Bea": (1, 0, 2, 1), "Cy": (0, 0, 1, 0)}
    assert _figures(result.tables[0].rows, "team") == {"Web": (1, 0, 3, 1)}


def test_an_agent_sees_their_own_and_their_teams_work(world, agent):
    result = _build(Scope.for_user(agent))
    assert set(_figures(result.rows, "owner")) == {"Agent", "Bea"}
    # Web counts only Bea's work: Cy is not in the agent's teams.
    assert _figures(result.tables[0].rows, "team") == {
        "Support A": (4, 1, 2, 1),
        "Web": (1, 0, 2, 1),
    }


def test_the_page_the_team_csv_and_the_api_agree(world, admin, api_client_for):
    page = login(admin).get("/app/reports/team-workload/?preset=7d")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Per team" in html and 'id="table-teams"' in html
    assert "table=teams" in html
    csv = login(admin).get("/app/reports/team-workload/export.csv?preset=7d&table=teams")
    assert csv.status_code == 200
    assert 'filename="team-workload-teams-' in csv["Content-Disposition"]
    lines = b"".join(csv.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines == [
        'Team,Members,Open tickets,Of which breached,Tasks in progress,"Tasks accepted, not started"',
        "Support A,2,4,1,2,1",
        "Web,2,1,0,3,1",
        "No team,,2,0,0,1",
    ]
    missing = login(admin).get("/app/reports/team-workload/export.csv?preset=7d&table=nope")
    assert missing.status_code == 404
    api = api_client_for(admin).get("/api/reports/team-workload?preset=7d").json()
    (teams,) = api["tables"]
    assert teams["key"] == "teams"
    assert _figures(teams["rows"], "team") == _figures(_build().tables[0].rows, "team")


def test_a_ticket_filter_shows_tickets_only_and_a_category_tasks_only(world, company):
    bug = entry_stage("Bug Investigation")
    tickets = _figures(_build(request_type=bug.pk).rows, "owner")
    assert tickets == {"Agent": (3, 1, 0, 0), "Bea": (1, 0, 0, 0), "Di": (2, 0, 0, 0)}
    tasks = _figures(_build(category=category().pk).rows, "owner")
    assert tasks == {"Bea": (0, 0, 2, 1), "Cy": (0, 0, 1, 0), "Di": (0, 0, 0, 1)}
    assert _build(plan=Plan.objects.get(name="Duo").pk).rows == []
    subscribe(company, "Duo", at(1, 1))
    assert _figures(_build(plan=Plan.objects.get(name="Duo").pk).rows, "owner") == (
        _figures(_build().rows, "owner")
    )
