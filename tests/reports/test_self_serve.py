"""The self-serve progress report on hand-counted rows: requests per request type against the
published articles and the deflections (from the new-request form: its category; from the help
center: every type the article is linked to), the "write an article" flag, the filters, and the
page, the CSV and the API agreeing. Staff only: a client gets a 404.

Range: 2 to 15 March 2026.
Requests: Bug Investigation 5 tickets, Email Creation 3, Add Email Licence 2; HubSpot
Administration 4 tasks, Website 1 (and one ticket and one task before the range).
Articles: A1 (published) on the Bug Investigation request type; A2 (published) on the whole
Email Related Requests pipeline; A3 (published) on HubSpot Administration and Email Creation;
A4 (draft) on Website; A5 (published) on nothing.
Deflections: D1, D2 A3 from a HubSpot Administration request; D3 A3 from the help center;
D4 A1 and D5 A2 from the help center; D6 A5 from the help center; D7 from a Website request
(its article deleted); D8 A1 before the range.
"""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.crm.models import ObjectType, Pipeline, Stage
from partnerdesk.portal.models import Plan, TaskCategory
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.filters import ReportFilters, Scope
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login
from tests.reports.rows import (
    article,
    at,
    category,
    deflection,
    entry_stage,
    query,
    subscribe,
    task,
    ticket,
)

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-03-02", "end": "2026-03-15"}
EMAIL_RELATED = "Email Related Requests"


@pytest.fixture
def world(company, other_company):
    bug = entry_stage("Bug Investigation")
    creation = entry_stage("Email Creation")
    licence = entry_stage(EMAIL_RELATED, "Add Email Licence")
    for n, stage in [(5, bug), (3, creation), (2, licence)]:
        for i in range(n):
            ticket(company if i % 2 else other_company, at(3, 2 + i), stage)
    ticket(company, at(2, 27), bug)
    admin_tasks, website = category(), category("Website")
    for i in range(4):
        task(company, at(3, 3 + i))
    task(other_company, at(3, 15, 23, 59), category_name="Website")
    task(company, at(3, 1, 12))
    a1 = article("A1", request_types=[bug])
    a2 = article("A2", pipelines=[licence.pipeline])
    a3 = article("A3", categories=[admin_tasks], request_types=[creation])
    article("A4", published=False, categories=[website])
    a5 = article("A5")
    deflection(company, at(3, 3), article=a3, task_category=admin_tasks)
    deflection(other_company, at(3, 4), article=a3, task_category=admin_tasks)
    deflection(company, at(3, 5), article=a3)
    deflection(company, at(3, 6), article=a1)
    deflection(company, at(3, 7), article=a2)
    deflection(company, at(3, 8), article=a5)
    deflection(company, at(3, 9), task_category=website)
    deflection(company, at(2, 9), article=a1)
    return {"bug": bug, "licence": licence}


def _build(scope: Scope | None = None, **values):
    filters = ReportFilters(
        start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15), preset="custom", **values
    )
    return REPORTS["self-serve"].build(filters, scope or Scope())


def _figures(rows):
    return {
        (r["group"], r["type"]): (r["requests"], r["articles"], r["deflections"], r["rate"])
        for r in rows
    }


def test_requests_articles_and_deflections_per_type(world):
    result = _build()
    figures = _figures(result.rows)
    assert figures[("Bug Investigation", "Bug Investigation")] == (5, 1, 1, 1 / 6)
    assert figures[("Client portal", "HubSpot Administration")] == (4, 1, 3, 3 / 7)
    assert figures[("Email Creation", "Email Creation")] == (3, 1, 1, 1 / 4)
    assert figures[(EMAIL_RELATED, "Add Email Licence")] == (2, 1, 1, 1 / 3)
    assert figures[("Client portal", "Website")] == (1, 0, 1, 1 / 2)
    assert figures[(EMAIL_RELATED, "Cancel Emails")] == (0, 1, 1, 1.0)  # the whole pipeline
    assert figures[("Client portal", "Training")] == (0, 0, 0, None)
    every_type = (
        Stage.objects.filter(
            is_entry=True, pipeline__object_type=ObjectType.TICKET, pipeline__archived=False
        ).count()
        + TaskCategory.objects.count()
    )
    assert len(result.rows) == every_type
    # Most requested first; the ones with requests and no article are flagged.
    assert [r["type"] for r in result.rows[:5]] == [
        "Bug Investigation",
        "HubSpot Administration",
        "Email Creation",
        "Add Email Licence",
        "Website",
    ]
    assert [r["type"] for r in result.rows if r["next"]] == ["Website"]
    notes = [str(n) for n in result.notes]
    assert "In all: 7 requests deflected and 15 made (32 % self-served)." in notes
    assert "1 of these deflections are tied to no request type." in notes
    assert any("no published article: Website (Client portal)" in n for n in notes)
    chart = result.chart.data
    assert chart["labels"][:2] == [
        "Bug Investigation (Bug Investigation)",
        "HubSpot Administration (Client portal)",
    ]
    assert [s["values"][:2] for s in chart["series"]] == [[5.0, 4.0], [1.0, 3.0]]


def test_filters_keep_their_types(world):
    email = Pipeline.objects.get(object_type="ticket", name=EMAIL_RELATED)
    rows = _build(pipeline=email.pk).rows
    assert {r["group"] for r in rows} == {EMAIL_RELATED}
    assert len(rows) == 5
    (one,) = _build(request_type=world["bug"].pk).rows
    assert (one["type"], one["requests"], one["deflections"]) == ("Bug Investigation", 5, 1)
    (web,) = _build(category=category("Website").pk).rows
    assert (web["type"], web["requests"], web["next"]) == ("Website", 1, "Write an article")


def test_agents_see_the_agencys_figures(world, agent):
    mine = _figures(_build(Scope.for_user(agent)).rows)
    assert mine == _figures(_build().rows)


def test_the_page_the_csv_and_the_api_agree(world, admin, agent, client_user, api_client_for):
    params = query(**RANGE)
    page = login(agent).get(f"/app/reports/self-serve/?{params}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Write an article" in html
    assert '<meter min="0" max="1" value="0.429">' in html  # HubSpot Administration 3 of 7
    csv = login(admin).get(f"/app/reports/self-serve/export.csv?{params}")
    lines = b"".join(csv.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "Kind,Pipeline,Request type,Requests,Published articles,Deflected,"
        "Self-serve (deflection rate) (%),Next step"
    )
    assert lines[1] == "Ticket,Bug Investigation,Bug Investigation,5,1,1,16.7,"
    assert lines[5] == "Client task,Client portal,Website,1,0,1,50.0,Write an article"
    api = api_client_for(admin).get(f"/api/reports/self-serve?{params}")
    assert api.status_code == 200, api.content
    assert _figures(api.json()["rows"]) == _figures(_build().rows)
    # Staff only: a client gets the 404 of a report that does not exist.
    refused = api_client_for(client_user).get(f"/api/reports/self-serve?{params}")
    assert refused.status_code == 404
    assert login(client_user).get(f"/app/reports/self-serve/?{params}").status_code == 404


def test_bad_filters(world, admin, api_client_for):
    assert login(admin).get("/app/reports/self-serve/?request_type=abc").status_code == 400
    api = api_client_for(admin).get("/api/reports/self-serve?owner=1")  # nobody owns a deflection
    assert api.status_code == 422
    assert api.json()["code"] == "unknown_filter"
    deal_stage = Stage.objects.filter(pipeline__object_type=ObjectType.DEAL).first()
    api = api_client_for(admin).get(f"/api/reports/self-serve?request_type={deal_stage.pk}")
    assert api.status_code == 422
    assert api.json()["code"] == "invalid_filters"


def test_company_and_plan_filters(world, company, other_company):
    rows = _figures(_build(company=other_company.pk).rows)
    # Other Co: Bug Investigation tickets 0, 2, 4; Email Creation 0, 2; licence 0; one
    # Website task; one deflection (A3, for HubSpot Administration).
    assert rows[("Bug Investigation", "Bug Investigation")][0] == 3
    assert rows[("Client portal", "Website")][0] == 1
    assert rows[("Client portal", "HubSpot Administration")] == (0, 1, 1, 1.0)
    subscribe(other_company, "Duo", at(1, 1))
    assert _figures(_build(plan=Plan.objects.get(name="Duo").pk).rows) == rows
