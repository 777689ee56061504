"""Most requested work against hand-computed figures: tickets per request type and client tasks
per category in two weeks (Monday 2 to Sunday 15 February 2026, UTC), the published articles
for each type (a draft does not count, an article of a whole pipeline counts for each of its
request types), the figures over time, the filters, the page, CSV and API, and the scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import QueryDict

from partnerdesk.knowledge.models import Article, ArticleStatus, Category
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import Task, TaskCategory
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.filters import FilterForm, Scope
from partnerdesk.reports.format import csv_values
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login
from tests.tickets import open_ticket, ticket_pipeline, ticket_stage

pytestmark = pytest.mark.django_db

REPORT = REPORTS["most-requested"]
RANGE = {"preset": "custom", "start": "2026-02-02", "end": "2026-02-15", "grain": "week"}


def utc(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, tzinfo=dt.UTC)


def article(title, *, published=True, **links):
    kb, _created = Category.objects.get_or_create(name="Reports tests")
    row = Article.objects.create(
        title=title,
        slug=title.lower().replace(" ", "-"),
        category=kb,
        status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
    )
    for field, values in links.items():
        getattr(row, field).set(values)
    return row


@pytest.fixture
def world(admin, agent, company):
    licence = ticket_stage("Email Related Requests", "Add Email Licence")
    for day, owner in ((2, agent), (3, admin), (10, agent)):
        open_ticket(owner, "Email Related Requests", "Add Email Licence", now=utc(day), owner=owner)
    open_ticket(admin, "Email Related Requests", "Cancel Emails", now=utc(9), company=company)
    for day in (4, 11):
        open_ticket(admin, "Website Creation", now=utc(day), company=company)
    open_ticket(admin, "Website Creation", now=utc(1, 23))  # the day before the range
    hubspot = TaskCategory.objects.get(name="HubSpot Administration")
    website = TaskCategory.objects.get(name="Website")
    for day, category, assignee in ((5, hubspot, agent), (12, hubspot, None), (13, website, None)):
        task = portal_services.task_submit(
            by=admin, title=f"Task {day}", category=category, company=company
        )
        Task.objects.filter(pk=task.pk).update(created_at=utc(day), assignee=assignee)
    article("Adding a licence", request_types=[licence])
    article("Website basics", published=False, pipelines=[ticket_pipeline("Website Creation")])
    article("Your website", task_categories=[website])
    article("Email FAQ", pipelines=[ticket_pipeline("Email Related Requests")])


def run(user, **params):
    data = QueryDict(mutable=True)
    data.update({**RANGE, **{k: str(v) for k, v in params.items()}})
    form = FilterForm(data, offered=REPORT.filters, today=dt.date(2026, 2, 20))
    assert form.is_valid(), form.errors
    return REPORT.build(form.filters(), Scope.for_user(user))


def figures(result):
    return [
        (r["kind"], r["group"], r["type"], r["requests"], round(r["share"], 4), r.get("articles"))
        for r in result.rows
    ]


def test_per_request_type_with_their_articles(world, manager):
    result = run(manager)
    assert figures(result) == [
        ("Ticket", "Email Related Requests", "Add Email Licence", 3, round(3 / 9, 4), 2),
        ("Client task", "Client portal", "HubSpot Administration", 2, round(2 / 9, 4), 0),
        ("Ticket", "Website Creation", "Website Creation", 2, round(2 / 9, 4), 0),
        ("Client task", "Client portal", "Website", 1, round(1 / 9, 4), 1),
        ("Ticket", "Email Related Requests", "Cancel Emails", 1, round(1 / 9, 4), 1),
        ("Total", "", "", 9, 1.0, None),
        ("With an article", "", "3 of 5 request types", 5, round(5 / 9, 4), None),
    ]
    assert "3 of the 5 request types in this range (60 %)" in str(result.notes[-1])
    assert "56 % of the requests" in str(result.notes[-1])


def test_over_time(world, manager):
    result = run(manager)
    chart = result.chart.data
    assert chart["labels"] == ["2 Feb 2026", "9 Feb 2026"]
    assert chart["stacked"] is True
    assert [(s["label"], s["values"]) for s in chart["series"]] == [
        ("Add Email Licence (Email Related Requests)", [2.0, 1.0]),
        ("HubSpot Administration (Client portal)", [1.0, 1.0]),
        ("Website Creation (Website Creation)", [1.0, 1.0]),
        ("Website (Client portal)", [0.0, 1.0]),
        ("Cancel Emails (Email Related Requests)", [0.0, 1.0]),
    ]
    periods = result.tables[0]
    assert periods.key == "periods"
    assert [(r["tickets"], r["tasks"], r["total"], r["covered"]) for r in periods.rows] == [
        (3, 1, 4, 0.5),
        (3, 2, 5, 0.6),
    ]
    by_month = run(manager, grain="month")
    assert by_month.chart.data["labels"] == ["February 2026"]


def test_filters(world, manager, company):
    hubspot = TaskCategory.objects.get(name="HubSpot Administration")
    assert [r["type"] for r in run(manager, category=hubspot.pk).rows[:-2]] == [
        "HubSpot Administration"
    ]
    email = ticket_pipeline("Email Related Requests")
    assert [(r["type"], r["requests"]) for r in run(manager, pipeline=email.pk).rows[:-2]] == [
        ("Add Email Licence", 3),
        ("Cancel Emails", 1),
    ]
    licence = ticket_stage("Email Related Requests", "Add Email Licence")
    assert [r["requests"] for r in run(manager, request_type=licence.pk).rows] == [3, 3, 3]
    assert [r["requests"] for r in run(manager, company=company.pk).rows[:-2]] == [2, 2, 1, 1]


def test_an_agent_counts_their_own_work(world, agent):
    result = run(agent)  # two Add Email Licence tickets and one HubSpot task are theirs
    assert [(r["type"], r["requests"]) for r in result.rows[:-2]] == [
        ("Add Email Licence", 2),
        ("HubSpot Administration", 1),
    ]


def test_page_csv_and_api_show_the_same_figures(world, manager, api_client_for):
    query = "preset=custom&start=2026-02-02&end=2026-02-15&grain=week"
    page = login(manager).get(f"/app/reports/most-requested/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Add Email Licence", "33.3 %", "3 of 5 request types", "report-chart"):
        assert text in html, text
    response = login(manager).get(f"/app/reports/most-requested/export.csv?{query}")
    lines = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff")))
    )
    result = run(manager)
    assert lines[0] == [
        "Kind",
        "Pipeline",
        "Request type",
        "Requests",
        "Share of all requests (%)",
        "Published articles",
    ]
    assert lines[1:] == [[str(v) for v in csv_values(result.columns, r)] for r in result.rows]
    assert lines[1] == ["Ticket", "Email Related Requests", "Add Email Licence", "3", "33.3", "2"]
    periods = login(manager).get(f"/app/reports/most-requested/export.csv?{query}&table=periods")
    assert "9 Feb 2026,3,2,5,60.0" in b"".join(periods.streaming_content).decode()
    api = api_client_for(manager).get(f"/api/reports/most-requested?{query}")
    assert api.status_code == 200, api.content
    assert api.json()["rows"][0]["requests"] == 3
    assert api.json()["chart"]["labels"] == ["2 Feb 2026", "9 Feb 2026"]


def test_nothing_in_range(world, manager):
    result = run(manager, start="2025-01-01", end="2025-01-31")
    assert result.rows == []
    assert result.chart.data["series"] == []
    assert len(result.chart.data["labels"]) == 5  # the weeks of January 2025, cut to it


def test_bad_filters(world, manager, api_client_for):
    page = login(manager).get("/app/reports/most-requested/?category=999999")
    assert page.status_code == 400
    api = api_client_for(manager).get("/api/reports/most-requested?start=2026-01-01&preset=custom")
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "end"
