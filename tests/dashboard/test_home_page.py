"""The staff home per role: an agent's page leads with their own tickets and client tasks, a
manager's and an admin's with the team's SLA state and workload; every role gets the trends
(loaded once the page has shown, or in place without JavaScript), each chart with the table
of its figures (screen readers, no JavaScript), right to left in Arabic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnerdesk.crm.models import Pipeline
from tests.conftest import login
from tests.tickets import open_ticket

from .home_data import add_deals, add_tasks

pytestmark = pytest.mark.django_db

CHARTS = ("home-tickets-per-day", "home-sla-met")
TRENDS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "trends"}  # what htmx sends


def has_chart(html: str, ident: str) -> bool:
    start = html.index(f'<figure class="pd-chart" data-chart="{ident}">')
    figure = html[start : html.index("</figure>", start)]
    return (
        '<canvas role="img"' in figure
        and f'<script id="{ident}" type="application/json">' in figure
        and '<details class="pd-chart-data">' in figure
        and "<table>" in figure
    )


@pytest.fixture
def work(agent, manager, admin, company):
    now = timezone.now()
    late = open_ticket(admin, "Email Creation", now=now - dt.timedelta(days=30), company=company)
    soon = open_ticket(admin, "Email Creation", now=now - dt.timedelta(hours=1), company=company)
    for ticket in (late, soon):
        ticket.__class__.objects.filter(pk=ticket.pk).update(owner=agent)
    add_tasks(now, [agent], company, 6)
    add_deals(manager, company, 8)
    return late, soon


def test_an_agent_leads_with_their_tickets_and_tasks(agent, work):
    late, soon = work
    html = login(agent).get("/app/").content.decode()
    assert html.index('id="my-work"') < html.index('id="attention"') < html.index('id="trends"')
    assert html.index('id="trends"') < html.index('id="agency"')
    assert f"/app/tickets/?status=open&amp;owner={agent.pk}&amp;sla=breached" in html
    # the next due first: the breached one, then the one still on track, with countdowns
    assert html.index(f'href="/app/tickets/{late.pk}/"') < html.index(
        f'href="/app/tickets/{soon.pk}/"'
    )
    assert "Resolution due <time datetime=" in html and "days ago</time>" in html
    assert 'class="badge sla-breached"' in html and 'class="badge sla-on_track"' in html
    assert "Task 001" in html and "/app/tasks/?status=working&amp;assignee=" in html
    assert 'id="workload"' not in html and "home-pipeline-value" not in html
    assert html.count("chartjs/chart.umd.min.js") == 1  # for the trends to come


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_leads_with_the_teams_sla_and_workload(request, role, agent, work):
    user = request.getfixturevalue(role)
    html = login(user).get("/app/").content.decode()
    assert 'id="my-work"' not in html
    assert html.index('id="attention"') < html.index('id="workload"') < html.index('id="trends"')
    workload = html[
        html.index('id="workload"') : html.index("</section>", html.index('id="workload"'))
    ]
    assert f'href="/app/tickets/?status=open&amp;owner={agent.pk}">{agent.display_name}</a>' in (
        workload
    )
    assert f"owner={agent.pk}&amp;sla=breached" in workload  # the late ticket
    assert "/app/reports/team-workload/" in workload
    assert "/app/tickets/?status=open&amp;owner=none" in html
    assert has_chart(html, "home-pipeline-value")
    assert html.count("chartjs/chart.umd.min.js") == 1


def test_the_trends_follow_the_page(agent, work):
    client = login(agent)
    html = client.get("/app/").content.decode()
    trends = html[html.index('<section aria-labelledby="trends-title"') :]
    trends = trends[: trends.index("</section>")]
    assert 'hx-get="/app/?trends=1" hx-trigger="load" hx-swap="outerHTML"' in trends
    assert 'href="/app/?trends=1#trends"' in trends  # without JavaScript
    assert "pd-chart" not in trends
    # htmx gets the section alone, with its charts
    part = client.get("/app/?trends=1", **TRENDS).content.decode()
    assert part.lstrip().startswith("<section") and "<html" not in part and "hx-get" not in part
    assert all(has_chart(part, chart) for chart in CHARTS)
    # without JavaScript, the whole page with the trends in place
    page = client.get("/app/?trends=1").content.decode()
    assert "<html" in page and 'id="my-work"' in page and '?trends=1" hx-trigger' not in page
    assert all(has_chart(page, chart) for chart in CHARTS)


def test_the_charts_read_right_to_left_in_arabic(agent, work):
    agent.language = "ar"
    agent.save()
    client = login(agent)
    html = client.get("/app/").content.decode()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    part = client.get("/app/?trends=1", **TRENDS).content.decode()
    assert all(has_chart(part, chart) for chart in CHARTS)


def test_the_pipelines_read_in_the_readers_language(manager, work):
    Pipeline.objects.filter(object_type="deal", name="Email Subscription").update(
        name_translations={"it": "Abbonamento email"}
    )
    manager.language = "it"
    manager.save()
    html = login(manager).get("/app/").content.decode()
    pipelines = html[html.index('id="pipelines"') :]
    assert "Abbonamento email</a>" in pipelines and "Email Subscription" not in pipelines
