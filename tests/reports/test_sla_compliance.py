"""SLA compliance against hand-computed figures (tests/reports/ticket_world.py: a ticket paused
in a waiting stage, tickets on working-day targets), per pipeline, request type, owner and team;
the causes of delay; the page, the CSV and the API agreeing; the agent's scope; bad filters."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import QueryDict
from django.utils import translation

from partnerdesk.core import clock
from partnerdesk.crm.models import Pipeline
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.filters import FilterForm, Scope
from partnerdesk.reports.format import csv_values
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login
from tests.reports import ticket_world
from tests.reports.ticket_world import NOW, RANGE, H

pytestmark = pytest.mark.django_db

WD = "working time (target in working days)"
REPORT = REPORTS["sla-compliance"]


@pytest.fixture
def world(monkeypatch, admin, agent, company, other_company):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return ticket_world.build(
        admin=admin, agent=agent, company=company, other_company=other_company
    )


def run(user, **params):
    data = QueryDict(mutable=True)
    data.update({**RANGE, **{k: str(v) for k, v in params.items()}})
    form = FilterForm(
        data, offered=REPORT.filters, groups=REPORT.groups, today=dt.date(2026, 2, 20)
    )
    assert form.is_valid(), form.errors
    return REPORT.build(form.filters(), Scope.for_user(user))


def figures(rows):
    return [
        (
            r["name"],
            str(r["target"]),
            str(r["unit"]),
            r["met"],
            r["missed"],
            r["breached"],
            None if r["compliance"] is None else round(r["compliance"], 4),
            r["median"],
            r["p90"],
        )
        for r in rows
    ]


def table(result, key):
    return next(t for t in result.tables if t.key == key).rows


def test_per_pipeline(world, manager):
    result = run(manager)
    assert figures(result.rows) == [
        ("Bug Investigation", "First response", WD, 1, 1, 0, 0.5, 5 * H, 10 * H),
        ("Bug Investigation", "Resolution", WD, 1, 0, 0, 1.0, 12 * H, 12 * H),
        # W1 3 h (its 4 paused hours left out), W2 24 h, W6 2 h; W4 open past its due time;
        # W5 waits on the customer since before its due time: not breached.
        ("Website Creation", "Resolution", "calendar time", 3, 0, 1, 0.75, 3 * H, 24 * H),
    ]
    chart = result.chart.data
    assert chart["labels"] == ["Bug Investigation", "Website Creation"]
    assert [s["values"] for s in chart["series"]] == [[50.0, None], [100.0, 75.0]]


def test_per_request_type_owner_and_team(world, manager):
    assert [r["name"] for r in run(manager, group="request_type").rows] == [
        "Bug Investigation · Bug Investigation",
        "Bug Investigation · Bug Investigation",
        "Website Creation · Website Creation",
    ]
    assert figures(run(manager, group="owner").rows) == [
        ("Agent", "First response", WD, 1, 0, 0, 1.0, 5 * H, 5 * H),
        ("Agent", "Resolution", "calendar time", 2, 0, 0, 1.0, 3 * H, 24 * H),
        ("Agent", "Resolution", WD, 1, 0, 0, 1.0, 12 * H, 12 * H),
        ("Agent-B", "First response", WD, 0, 1, 0, 0.0, 10 * H, 10 * H),
        ("Agent-B", "Resolution", "calendar time", 0, 0, 1, 0.0, None, None),
        ("Agent-C", "Resolution", "calendar time", 1, 0, 0, 1.0, 2 * H, 2 * H),
    ]
    owners = run(manager, group="owner")
    assert owners.columns[0].label == "Owner"
    assert owners.chart.data["labels"] == ["Agent", "Agent-B", "Agent-C"]
    assert figures(run(manager, group="team").rows) == [
        ("Alpha", "First response", WD, 1, 1, 0, 0.5, 5 * H, 10 * H),
        ("Alpha", "Resolution", "calendar time", 2, 0, 1, round(2 / 3, 4), 3 * H, 24 * H),
        ("Alpha", "Resolution", WD, 1, 0, 0, 1.0, 12 * H, 12 * H),
        ("No owner or no team", "Resolution", "calendar time", 1, 0, 0, 1.0, 2 * H, 2 * H),
    ]


def test_the_causes_of_delay_of_breached_tickets(world, manager):
    result = run(manager)
    causes = table(result, "delays")
    assert [(c["ticket"], c["cause"]) for c in causes] == [
        (world.tickets["B2"].name, "Waited for the hosting provider")
    ]
    assert causes[0]["ticket_url"] == f"/app/tickets/{world.tickets['B2'].pk}/"
    assert "1 causes of delay" in " ".join(str(n) for n in result.notes)
    # Outside the range, B2's breach is not in it.
    later = run(manager, start="2026-02-10", end="2026-02-14")
    assert table(later, "delays") == []


def test_the_range_applies_to_when_a_target_was_settled(world, manager):
    # 2-14 February: W1, W6 (closed 1 Feb), B1's first response (1 Feb) fall out; W2 (closed 2
    # Feb), B1's resolution (3 Feb), B2's first response and W4's due time (3 Feb) stay.
    result = run(manager, start="2026-02-02")
    assert figures(result.rows) == [
        ("Bug Investigation", "First response", WD, 0, 1, 0, 0.0, 10 * H, 10 * H),
        ("Bug Investigation", "Resolution", WD, 1, 0, 0, 1.0, 12 * H, 12 * H),
        ("Website Creation", "Resolution", "calendar time", 1, 0, 1, 0.5, 24 * H, 24 * H),
    ]


def test_filters(world, manager, company):
    bug = world.tickets["B1"].pipeline_id
    assert [r["name"] for r in run(manager, pipeline=bug).rows] == ["Bug Investigation"] * 2
    by_company = run(manager, company=company.pk).rows
    assert figures(by_company)[-1][3:6] == (2, 0, 1)  # W6 is the other company's
    assert figures(run(manager, owner=world.b.pk).rows) == [
        ("Bug Investigation", "First response", WD, 0, 1, 0, 0.0, 10 * H, 10 * H),
        ("Website Creation", "Resolution", "calendar time", 0, 0, 1, 0.0, None, None),
    ]
    assert figures(run(manager, team=world.alpha.pk).rows)[-1][3:6] == (2, 0, 1)


def test_an_agent_counts_their_own_and_their_teams_work(world):
    result = run(world.a)  # A and B are in Alpha; C's W6 is not theirs
    assert figures(result.rows)[-1] == (
        "Website Creation",
        "Resolution",
        "calendar time",
        2,
        0,
        1,
        round(2 / 3, 4),
        3 * H,
        24 * H,
    )
    assert "Agent-C" not in [r["name"] for r in run(world.a, group="owner").rows]
    assert figures(run(world.c).rows) == [
        ("Website Creation", "Resolution", "calendar time", 1, 0, 0, 1.0, 2 * H, 2 * H)
    ]


def test_page_csv_and_api_show_the_same_figures(world, manager, api_client_for):
    query = "preset=custom&start=2026-02-01&end=2026-02-14"
    page = login(manager).get(f"/app/reports/sla-compliance/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Bug Investigation", "Website Creation", "75.0 %", "12 h", "10 h", "1 d"):
        assert text in html, text
    assert "Waited for the hosting provider" in html
    assert f'href="/app/tickets/{world.tickets["B2"].pk}/"' in html
    response = login(manager).get(f"/app/reports/sla-compliance/export.csv?{query}")
    lines = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff")))
    )
    result = run(manager)
    assert lines[0][:4] == ["Pipeline", "Target", "Times in", "Met"]
    assert lines[1:] == [[str(v) for v in csv_values(result.columns, r)] for r in result.rows]
    assert lines[-1] == [
        "Website Creation",
        "Resolution",
        "calendar time",
        *["3", "0", "1", "75.0", "3.0", "24.0"],
    ]
    owners = login(manager).get(f"/app/reports/sla-compliance/export.csv?{query}&group=owner")
    assert "Agent-B,First response" in b"".join(owners.streaming_content).decode()
    delays = login(manager).get(f"/app/reports/sla-compliance/export.csv?{query}&table=delays")
    assert "Waited for the hosting provider" in b"".join(delays.streaming_content).decode()
    page = login(manager).get(f"/app/reports/sla-compliance/?{query}&group=team")
    assert 'value="team" selected' in page.content.decode()
    assert "group=team" in page.content.decode()  # the export link keeps it
    api = api_client_for(manager).get(f"/api/reports/sla-compliance?{query}")
    assert api.status_code == 200, api.content
    body = api.json()
    assert body["rows"][-1]["compliance"] == 0.75
    assert body["rows"][-1]["p90"] == 24 * H
    assert [t["key"] for t in body["tables"]] == ["delays"]
    assert body["applied"]["group"] == "pipeline"
    assert body["groups"] == ["pipeline", "request_type", "owner", "team"]
    teams = api_client_for(manager).get(f"/api/reports/sla-compliance?{query}&group=team")
    assert teams.json()["rows"][0]["name"] == "Alpha"


def test_bad_filters(world, manager, api_client_for):
    page = login(manager).get("/app/reports/sla-compliance/?pipeline=999999")
    assert page.status_code == 400
    assert "valid choice" in page.content.decode()
    api = api_client_for(manager).get("/api/reports/sla-compliance?category=1")
    assert api.status_code == 422
    assert api.json()["code"] == "unknown_filter"
    api = api_client_for(manager).get("/api/reports/sla-compliance?preset=custom&start=x")
    assert api.status_code == 422
    assert api.json()["code"] == "invalid_filters"
    api = api_client_for(manager).get("/api/reports/sla-compliance?group=company")
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "group"
    assert login(manager).get("/app/reports/sla-compliance/?group=company").status_code == 400
    api = api_client_for(manager).get("/api/reports/team-workload?group=owner")
    assert api.status_code == 422
    assert api.json()["code"] == "unknown_filter"


def test_pipelines_read_in_the_readers_language(world, manager):
    Pipeline.objects.filter(name="Website Creation").update(
        name_translations={"it": "Creazione sito web"}
    )
    with translation.override("it"):
        names = [r["name"] for r in run(manager).rows]
    assert names[-1] == "Creazione sito web" and "Website Creation" not in names
