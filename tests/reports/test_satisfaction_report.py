"""The satisfaction report on hand-computed answers: per client, agent, pipeline and category,
the low scores with their links, the average score per week, the filters, an agent's scope,
a client reading only their company's answers, and the page, the CSV and the API agreeing.

Range: Monday 2 March to Sunday 15 March 2026.
    S1  Acme, task (HubSpot Administration), Agent, sent Mar 1, answered Mar 2: 5
    S2  Acme, task (HubSpot Administration), Agent, sent Mar 3, answered Mar 3: 4
    S3  Acme, task (Website), Bea, sent Mar 4, answered Mar 10: 1 "Broke the site"
    S4  Acme, ticket (Bug Investigation), Agent, sent Mar 5, not answered
    S5  Acme, ticket (Bug Investigation), Bea, sent Mar 9, answered Mar 11: 2 "Slow"
    S6  Other, ticket (Email Creation), Bea, sent Mar 10, answered Mar 12: 3
    S7  Other, ticket (Email Creation), no agent, sent Mar 14, answered Mar 20 (after): 5
    S8  Acme, task (HubSpot Administration), Agent, sent Feb 20, answered Feb 21: 1 (before)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from partnerdesk.accounts.models import Role, Team
from partnerdesk.crm.models import Pipeline
from partnerdesk.portal.models import Plan, Status, TaskCategory
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.filters import ReportFilters, Scope
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login, make_user
from tests.reports.rows import (
    at,
    category,
    entry_stage,
    query,
    subscribe,
    survey,
    task,
    ticket,
)

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-03-02", "end": "2026-03-15"}
FIGURES = ("answers", "average", "csat", "s1", "s2", "s3", "s4", "s5", "sent", "response")


@pytest.fixture
def world(company, other_company, agent):
    bea = make_user("bea@agency.test", Role.AGENT)
    bug, mail = entry_stage("Bug Investigation"), entry_stage("Email Creation")

    def done(company, day, category_name=None):
        return task(company, at(2, day), Status.COMPLETE, category_name=category_name)

    s = {
        "S1": survey(done(company, 1), sent=at(3, 1), answered=at(3, 2, 10), score=5,
                     agent=agent),
        "S2": survey(done(company, 2), sent=at(3, 3), answered=at(3, 3, 12), score=4,
                     agent=agent),
        "S3": survey(done(company, 3, "Website"), sent=at(3, 4), answered=at(3, 10, 9),
                     score=1, comment="Broke the site", agent=bea),
        "S4": survey(ticket(company, at(3, 1), bug), sent=at(3, 5), agent=agent),
        "S5": survey(ticket(company, at(3, 2), bug), sent=at(3, 9), answered=at(3, 11),
                     score=2, comment="Slow", agent=bea),
        "S6": survey(ticket(other_company, at(3, 3), mail), sent=at(3, 10),
                     answered=at(3, 12), score=3, agent=bea),
        "S7": survey(ticket(other_company, at(3, 4), mail), sent=at(3, 14),
                     answered=at(3, 20), score=5),
        "S8": survey(done(company, 4), sent=at(2, 20), answered=at(2, 21), score=1,
                     agent=agent),
    }  # fmt: skip
    return {"bea": bea, **s}


def _build(scope: Scope | None = None, **values):
    filters = ReportFilters(
        start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15), preset="custom", **values
    )
    return REPORTS["satisfaction"].build(filters, scope or Scope())


def _figures(rows):
    return {r["name"]: tuple(r[k] for k in FIGURES) for r in rows}


ACME = (4, 3.0, 0.5, 1, 1, 0, 1, 1, 4, 0.75)
OTHER = (1, 3.0, 0.0, 0, 0, 1, 0, 0, 2, 1.0)


def _table(result, key):
    return next(t for t in result.tables if t.key == key)


def test_per_client_agent_pipeline_and_category(world):
    result = _build()
    assert _figures(result.rows) == {"Acme Dental": ACME, "Other Co": OTHER}
    assert [r["name"] for r in result.rows] == ["Acme Dental", "Other Co"]
    agents = _table(result, "agents").rows
    assert [r["name"] for r in agents] == ["Bea", "Agent", "No agent"]
    assert _figures(agents) == {
        "Bea": (3, 2.0, 0.0, 1, 1, 1, 0, 0, 3, 1.0),
        "Agent": (2, 4.5, 1.0, 0, 0, 0, 1, 1, 2, 0.5),
        "No agent": (0, None, None, 0, 0, 0, 0, 0, 1, 1.0),
    }
    assert _figures(_table(result, "pipelines").rows) == {
        "Bug Investigation": (1, 2.0, 0.0, 0, 1, 0, 0, 0, 2, 0.5),
        "Email Creation": (1, 3.0, 0.0, 0, 0, 1, 0, 0, 2, 1.0),
    }
    assert _figures(_table(result, "categories").rows) == {
        "HubSpot Administration": (2, 4.5, 1.0, 0, 0, 0, 1, 1, 1, 1.0),
        "Website": (1, 1.0, 0.0, 1, 0, 0, 0, 0, 1, 1.0),
    }
    low = _table(result, "low").rows
    assert [(r["subject"], r["score"], r["comment"], r["agent"]) for r in low] == [
        (world["S5"].ticket.name, 2, "Slow", "Bea"),
        (world["S3"].task.title, 1, "Broke the site", "Bea"),
    ]
    assert low[0]["subject_url"] == f"/app/tickets/{world['S5'].ticket_id}/"
    assert low[1]["subject_url"] == f"/app/tasks/{world['S3'].task_id}/"
    assert low[0]["answered"] == at(3, 11)
    # The average score per week: 5 and 4, then 1, 2 and 3.
    assert result.chart.data["series"][0]["values"] == [4.5, 2.0]
    assert "In all: 5 answers, an average of 3.00, CSAT 40 %." in [str(n) for n in result.notes]


@pytest.mark.parametrize(
    ("filters", "answers"),
    [
        ({"pipeline": "Bug Investigation"}, {"Acme Dental": 1}),
        ({"category": "Website"}, {"Acme Dental": 1}),
        ({"pipeline": "Bug Investigation", "category": "Website"}, {"Acme Dental": 2}),
        ({"owner": "agent"}, {"Acme Dental": 2}),
        ({"team": "agent"}, {"Acme Dental": 2}),
        ({"company": "other"}, {"Other Co": 1}),
    ],
)
def test_filters(world, agent, other_company, filters, answers):
    values = {}
    for name, value in filters.items():
        if name == "pipeline":
            values[name] = Pipeline.objects.get(object_type="ticket", name=value).pk
        elif name == "category":
            values[name] = category(value).pk
        elif name == "owner":
            values[name] = agent.pk
        elif name == "team":
            team = Team.objects.create(name="Support A")
            team.members.add(agent)
            values[name] = team.pk
        else:
            values[name] = other_company.pk
    rows = _build(**values).rows
    assert {r["name"]: r["answers"] for r in rows} == answers


def test_an_agent_sees_their_own_and_their_teams_answers(world, agent):
    result = _build(Scope.for_user(agent))
    assert _figures(result.rows) == {"Acme Dental": (2, 4.5, 1.0, 0, 0, 0, 1, 1, 2, 0.5)}
    assert _table(result, "low").rows == []
    team = Team.objects.create(name="Pair")
    team.members.add(agent, world["bea"])
    result = _build(Scope.for_user(agent))
    assert _figures(result.rows)["Acme Dental"] == ACME
    assert _figures(result.rows)["Other Co"] == (1, 3.0, 0.0, 0, 0, 1, 0, 0, 1, 1.0)  # no S7


def test_the_page_the_csv_and_the_api_agree(world, admin, api_client_for):
    params = query(**RANGE)
    page = login(admin).get(f"/app/reports/satisfaction/?{params}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Broke the site" in html
    assert f'href="/app/tasks/{world["S3"].task_id}/"' in html
    assert '<meter min="0" max="1" value="0.500">' in html  # Acme's CSAT bar
    csv = login(admin).get(f"/app/reports/satisfaction/export.csv?{params}")
    lines = b"".join(csv.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "Client,Answers,Average score,CSAT (4 or 5) (%),Score 1,Score 2,Score 3,Score 4,"
        "Score 5,Surveys sent,Response rate (%)"
    )
    assert lines[1:] == [
        "Acme Dental,4,3.0,50.0,1,1,0,1,1,4,75.0",
        "Other Co,1,3.0,0.0,0,0,1,0,0,2,100.0",
    ]
    low = login(admin).get(f"/app/reports/satisfaction/export.csv?{params}&table=low")
    low_lines = b"".join(low.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert low_lines[1].startswith("2026-03-11T00:00:00+00:00,Acme Dental,Ticket,")
    assert low_lines[1].endswith(",Bea,2,Slow")
    api = api_client_for(admin).get(f"/api/reports/satisfaction?{params}")
    assert api.status_code == 200, api.content
    body = api.json()
    assert _figures(body["rows"]) == {"Acme Dental": ACME, "Other Co": OTHER}
    tables = {t["key"]: t for t in body["tables"]}
    assert list(tables) == ["agents", "pipelines", "categories", "low"]
    assert tables["low"]["rows"][0]["answered"] == "2026-03-11T00:00:00+00:00"
    assert tables["low"]["rows"][1]["subject_url"] == f"/app/tasks/{world['S3'].task_id}/"


def test_a_client_reads_only_their_own_companys_answers(
    world, client_user, other_client, other_company, api_client_for
):
    params = query(**RANGE)
    mine = api_client_for(client_user).get(f"/api/reports/satisfaction?{params}")
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert _figures(body["rows"]) == {"Acme Dental": ACME}
    tables = {t["key"]: t for t in body["tables"]}
    assert list(tables) == ["pipelines", "categories", "low"]  # no per-agent figures
    assert [r["name"] for r in tables["pipelines"]["rows"]] == ["Bug Investigation"]
    low = tables["low"]["rows"]
    assert "agent" not in low[0]
    assert low[0]["subject_url"] == f"/portal/tickets/{world['S5'].ticket_id}/"
    assert low[1]["subject_url"] == f"/portal/tasks/{world['S3'].task_id}/"
    text = mine.content.decode()
    assert "Other Co" not in text and "Email Creation" not in text and "Bea" not in text
    spying = api_client_for(client_user).get(
        f"/api/reports/satisfaction?{params}&company={other_company.pk}"
    )
    assert spying.status_code == 200
    assert spying.json()["rows"] == [] and "Other Co" not in spying.content.decode()
    theirs = api_client_for(other_client).get(f"/api/reports/satisfaction?{params}").json()
    assert _figures(theirs["rows"]) == {"Other Co": OTHER}
    assert {t["key"]: t["rows"] for t in theirs["tables"]}["low"] == []


def test_bad_filters(world, admin, api_client_for):
    bad = login(admin).get("/app/reports/satisfaction/?preset=custom&start=2026-03-10")
    assert bad.status_code == 400
    api = api_client_for(admin).get("/api/reports/satisfaction?group=owner")  # no groupings
    assert api.status_code == 422
    assert api.json()["code"] == "unknown_filter"
    api = api_client_for(admin).get("/api/reports/satisfaction?owner=999999")
    assert api.status_code == 422
    assert api.json()["code"] == "invalid_filters"


def test_pipelines_and_categories_read_in_the_readers_language(world):
    Pipeline.objects.filter(name="Email Creation").update(
        name_translations={"it": "Creazione email"}
    )
    TaskCategory.objects.filter(name="Website").update(name_translations={"it": "Sito web"})
    with translation.override("it"):
        result = _build()
    assert {r["name"] for r in _table(result, "pipelines").rows} == {
        "Analisi dei bug",  # the default pipelines come with their Italian names
        "Creazione email",
    }
    assert "Sito web" in {r["name"] for r in _table(result, "categories").rows}


def test_request_type_and_plan_filters(world, company):
    bug = entry_stage("Bug Investigation")
    # S4 (not answered) and S5 are Bug Investigation tickets; S5 is the answer of the range.
    assert {r["name"]: r["answers"] for r in _build(request_type=bug.pk).rows} == {"Acme Dental": 1}
    subscribe(company, "Duo", at(1, 1))
    duo = Plan.objects.get(name="Duo")
    assert {r["name"] for r in _build(plan=duo.pk).rows} == {"Acme Dental"}
