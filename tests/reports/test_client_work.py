"""The client work report on hand-computed figures: counts, waiting and working times (average
and nearest-rank median), slots in use against the plan (average, most at once, per week), the
filters, the agent's scope, and a client reading their own company's figures through the API.

The range is Monday 2 March to Sunday 15 March 2026 (two weeks, 14 days = 1,209,600 s); "now"
is later, so the slots count up to the range's end.

Acme (on Team until 10 March, then Duo):
    T1  accepted Feb 21, started Feb 25 10:00, approved Mar 3 10:00        (agent2)
    T2  submitted Mar 2 09:00, accepted 12:00, started Mar 3 10:00 (as T1 was approved),
        approved Mar 12 10:00                                                (agent)
    T3  submitted Mar 4 08:00, accepted 09:00, started Mar 5 09:00, working  (agent)
    T4  submitted and accepted Mar 10, queued
    T5  submitted Mar 11, in triage (Website)
    T6  submitted Mar 1, accepted Mar 12 09:00, started Mar 12 10:00 (as T2 was approved),
        pending approval                                                     (agent2)
    T7  submitted Mar 5, declined Mar 6
Other Co (on Solo):
    T8  started Feb 11, working all along
    T9  submitted Mar 3, in triage
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from partnerdesk.accounts.models import Role, Team
from partnerdesk.core import clock
from partnerdesk.portal.models import Status
from partnerdesk.reports import (
    selectors,  # noqa: F401  (registers the reports)
    views,
)
from partnerdesk.reports.filters import ReportFilters, Scope
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login, make_user
from tests.reports.rows import at, query, subscribe, task

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-03-02", "end": "2026-03-15"}
DAY = 86400


@pytest.fixture
def world(monkeypatch, company, other_company, agent):
    monkeypatch.setattr(clock, "now", lambda: at(4, 1, 12))
    agent2 = make_user("agent2@agency.test", Role.AGENT)
    subscribe(company, "Team", at(1, 1), at(3, 10))
    subscribe(company, "Duo", at(3, 10))
    subscribe(other_company, "Solo", at(2, 1))
    c, done = company, Status.COMPLETE
    tasks = {
        "T1": task(c, at(2, 20), done, accepted=at(2, 21, 10), started=at(2, 25, 10),
                   closed=at(3, 3, 10), assignee=agent2),
        "T2": task(c, at(3, 2, 9), done, accepted=at(3, 2, 12), started=at(3, 3, 10),
                   delivered=at(3, 10), closed=at(3, 12, 10), assignee=agent),
        "T3": task(c, at(3, 4, 8), Status.WORKING, accepted=at(3, 4, 9),
                   started=at(3, 5, 9), assignee=agent),
        "T4": task(c, at(3, 10, 8), Status.ACCEPTED, accepted=at(3, 10, 9)),
        "T5": task(c, at(3, 11), category_name="Website"),
        "T6": task(c, at(3, 1), Status.PENDING_APPROVAL, accepted=at(3, 12, 9),
                   started=at(3, 12, 10), delivered=at(3, 14), assignee=agent2),
        "T7": task(c, at(3, 5), Status.DECLINED, closed=at(3, 6)),
        "T8": task(other_company, at(2, 10), Status.WORKING, accepted=at(2, 10, 1),
                   started=at(2, 11, 9)),
        "T9": task(other_company, at(3, 3, 10)),
    }  # fmt: skip
    return {"agent2": agent2, **tasks}


ACME = {
    "company": "Acme Dental",
    "plan": "Duo",
    "slots": 2,
    "submitted": 5,  # T2 T3 T4 T5 T7
    "accepted": 4,  # T2 T3 T4 T6
    "completed": 2,  # T1 T2
    "wait": (22 + 24 + 1) * 3600 / 3,  # T2 22 h, T3 24 h, T6 1 h
    "wait_median": 22 * 3600,
    "work": (6 + 9) * DAY / 2,  # T1 6 days, T2 9 days
    "work_median": 6 * DAY,
    # T1 34 h, T2 9 d, T3 10 d 15 h, T6 3 d 14 h, over 14 days
    "in_use": (34 * 3600 + 9 * DAY + (10 * 24 + 15) * 3600 + (3 * 24 + 14) * 3600) / (14 * DAY),
    "peak": 2,
}
OTHER = {
    "company": "Other Co",
    "plan": "Solo",
    "slots": 1,
    "submitted": 1,
    "accepted": 0,
    "completed": 0,
    "wait": None,
    "wait_median": None,
    "work": None,
    "work_median": None,
    "in_use": 1.0,
    "peak": 1,
    "use": 1.0,
}


def _build(scope: Scope | None = None, **values):
    filters = ReportFilters(
        start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15), preset="custom", **values
    )
    return REPORTS["client-work"].build(filters, scope or Scope())


def _check(row, expected):
    for key, value in expected.items():
        if isinstance(value, float):
            assert row[key] == pytest.approx(value), key
        else:
            assert row[key] == value, key


def test_figures_per_client(world):
    result = _build()
    rows = {r["company"]: r for r in result.rows}
    assert list(rows) == ["Acme Dental", "Other Co"]  # the most submitted first
    _check(rows["Acme Dental"], ACME)
    assert rows["Acme Dental"]["use"] == pytest.approx(ACME["in_use"] / 2)
    _check(rows["Other Co"], OTHER)
    assert rows["Acme Dental"]["company_url"].startswith("/app/companies/")
    # Without a client chosen, the chart compares submitted and completed tasks per week.
    assert result.chart.data["labels"] == ["2 Mar 2026", "9 Mar 2026"]
    # Submitted: T2 T9 T3 T7, then T4 T5; completed: T1, then T2.
    assert [s["values"] for s in result.chart.data["series"]] == [[4.0, 2.0], [1.0, 1.0]]


def test_one_client_shows_its_slots_week_by_week(world, company, other_company):
    chart = _build(company=company.pk).chart.data
    peak, average, limit = (s["values"] for s in chart["series"])
    # Week 1: 2 at once from Mar 5 (T2, T3). Week 2: T2 and T3 from its start; on Mar 12 at
    # 10:00 T2's approval frees a slot before T6 takes it, so never 3.
    assert peak == [2, 2]
    # Week 1: T1 34 h + T2 5 d 14 h + T3 3 d 15 h over 7 days; week 2: exactly 2 all week.
    assert average == pytest.approx([(34 + 134 + 87) * 3600 / (7 * DAY), 2.0])
    assert limit == [3, 2]  # Team at the end of week 1, Duo at the end of week 2
    other = _build(company=other_company.pk)
    assert [r["company"] for r in other.rows] == ["Other Co"]
    assert [s["values"] for s in other.chart.data["series"]] == [[1, 1], [1.0, 1.0], [1, 1]]


def test_filters_by_category_owner_team_and_plan(world, company, agent):
    by_category = _build(category=world["T5"].category_id).rows
    assert [(r["company"], r["submitted"], r["accepted"]) for r in by_category] == [
        ("Acme Dental", 1, 0)
    ]
    mine = {r["company"]: r for r in _build(owner=agent.pk).rows}
    assert list(mine) == ["Acme Dental"]
    assert (mine["Acme Dental"]["submitted"], mine["Acme Dental"]["completed"]) == (2, 1)
    assert mine["Acme Dental"]["wait"] == pytest.approx(23 * 3600)  # T2 22 h, T3 24 h
    team = Team.objects.create(name="Reports team")
    team.members.add(world["agent2"])
    theirs = {r["company"]: r for r in _build(team=team.pk).rows}
    assert (theirs["Acme Dental"]["completed"], theirs["Acme Dental"]["peak"]) == (1, 1)
    solo = _build(plan=world["T8"].company.subscriptions.get().plan_id).rows
    assert [r["company"] for r in solo] == ["Other Co"]


def test_an_agent_counts_their_own_and_their_teams_work(world, agent, company):
    result = _build(Scope.for_user(agent))
    assert [r["company"] for r in result.rows] == ["Acme Dental"]
    row = result.rows[0]
    assert (row["submitted"], row["accepted"], row["completed"], row["peak"]) == (2, 2, 1, 2)
    team = Team.objects.create(name="Pair")
    team.members.add(agent, world["agent2"])
    row = _build(Scope.for_user(agent)).rows[0]
    assert (row["submitted"], row["completed"], row["peak"]) == (2, 2, 2)
    assert row["wait"] == pytest.approx(ACME["wait"])


def test_the_page_the_csv_and_the_api_agree(world, admin, api_client_for):
    params = query(**RANGE)
    page = login(admin).get(f"/app/reports/client-work/?{params}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Dental" in html and "Other Co" in html
    assert "7 d 12 h" in html  # Acme's average from start to approval
    csv = login(admin).get(f"/app/reports/client-work/export.csv?{params}")
    lines = b"".join(csv.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Client,Plan,Plan slots,Submitted,Accepted,Completed,")
    assert lines[1].startswith("Acme Dental,Duo,2,5,4,2,15.67,22.0,180.0,144.0,1.76,2,87.9")
    api = api_client_for(admin).get(f"/api/reports/client-work?{params}")
    assert api.status_code == 200, api.content
    rows = {r["company"]: r for r in api.json()["rows"]}
    _check(rows["Acme Dental"], ACME)
    _check(rows["Other Co"], OTHER)


def test_a_client_reads_only_their_own_company(world, client_user, other_client, api_client_for):
    params = query(**RANGE)
    mine = api_client_for(client_user).get(f"/api/reports/client-work?{params}")
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert [r["company"] for r in body["rows"]] == ["Acme Dental"]
    assert "company_url" not in body["rows"][0]
    _check(body["rows"][0], ACME)
    # The chart of a client is their slots over time.
    assert [s["values"] for s in body["chart"]["series"]][2] == [3, 2]
    assert "Other Co" not in mine.content.decode()
    # Asking for another company's figures gives nothing of theirs.
    other_id = world["T8"].company_id
    spying = api_client_for(client_user).get(
        f"/api/reports/client-work?{params}&company={other_id}"
    )
    assert spying.status_code == 200
    assert spying.json()["rows"] == []
    assert "Other Co" not in spying.content.decode()
    theirs = api_client_for(other_client).get(f"/api/reports/client-work?{params}")
    assert [r["company"] for r in theirs.json()["rows"]] == ["Other Co"]
    # The catalogue offers clients only the reports for clients; the others are a 404.
    catalogue = api_client_for(client_user).get("/api/reports").json()["reports"]
    assert "client-work" in [r["slug"] for r in catalogue]
    assert "team-workload" not in [r["slug"] for r in catalogue]
    assert api_client_for(client_user).get("/api/reports/team-workload").status_code == 404


def test_bad_filters(world, admin, api_client_for):
    page = login(admin).get(
        "/app/reports/client-work/?preset=custom&start=2026-03-10&end=2026-03-01"
    )
    assert page.status_code == 400
    assert "before the first" in page.content.decode()
    api = api_client_for(admin).get("/api/reports/client-work?company=abc")
    assert api.status_code == 422
    unknown = api_client_for(admin).get("/api/reports/client-work?pipeline=1")
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_filter"
    missing = api_client_for(admin).get("/api/reports/client-work?company=999999")
    assert missing.status_code == 422
    assert missing.json()["code"] == "invalid_filters"


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        # (anonymous, client, other client, agent, admin), as the permission matrix writes it:
        # its vocabulary has one entry per route, so the client reports are checked here.
        ("client-work", (401, 200, 200, 200, 200)),
        ("satisfaction", (401, 200, 200, 200, 200)),
        ("self-serve", (401, 404, 404, 200, 200)),
    ],
)
def test_who_may_read_the_reports_through_the_api(
    slug, expected, admin, agent, client_user, other_client, api_client_for
):
    signed_in = [
        api_client_for(user).get(f"/api/reports/{slug}").status_code
        for user in (client_user, other_client, agent, admin)
    ]
    assert (Client().get(f"/api/reports/{slug}").status_code, *signed_in) == expected


def test_a_long_table_shows_its_first_rows_and_the_csv_has_all(world, admin, monkeypatch):
    monkeypatch.setattr(views, "PAGE_ROWS", 1)
    params = query(**RANGE)
    html = login(admin).get(f"/app/reports/client-work/?{params}").content.decode()
    table = html.split('class="report-table"')[1].split("</table>")[0]
    assert "Acme Dental" in table and "Other Co" not in table
    assert "The first 1 of 2 rows; the CSV and the API have them all." in html
    csv = login(admin).get(f"/app/reports/client-work/export.csv?{params}")
    assert b"Other Co" in b"".join(csv.streaming_content)


def test_a_range_after_now_has_no_slots_in_use(world, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at(3, 1))  # before the range
    rows = {r["company"]: r for r in _build().rows}
    assert (rows["Acme Dental"]["peak"], rows["Acme Dental"]["in_use"]) == (0, None)
    assert rows["Acme Dental"]["submitted"] == 5  # (the rows are there: the test wrote them)
