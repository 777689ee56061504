"""The staff home in a real browser, for an agent and for a manager, on a desktop and on a
phone (390 x 844): the role's sections are there, every chart is drawn (its canvas) with the
table of its figures beside it for screen readers, the page does not scroll sideways on the
phone, and nothing is logged to the console. In Arabic the charts are drawn right to left."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from partnerdesk.tickets.models import Ticket
from tests.dashboard.home_data import add_deals, add_tasks
from tests.tickets import open_ticket

from .conftest import DESKTOP, MOBILE, assert_fits, sign_in

SECTIONS = {
    "agent": ("#my-work", "#next-due", "#my-tasks", "#attention", "#trends", "#agency"),
    "manager": ("#attention", "#workload", "#trends", "#agency"),
}
CHARTS = {
    "agent": ("home-tickets-per-day", "home-sla-met"),
    "manager": ("home-tickets-per-day", "home-sla-met", "home-pipeline-value"),
}


@pytest.fixture
def work(agent, manager, admin, company):
    # In the default language: the tickets' entry values are looked up by stage name, which
    # reads in the active language (the live server's warm-up may leave another one active).
    with translation.override(settings.LANGUAGE_CODE):
        now = timezone.now()
        for hours in (24 * 30, 1, 30):
            ticket = open_ticket(
                admin, "Email Creation", now=now - dt.timedelta(hours=hours), company=company
            )
            Ticket.objects.filter(pk=ticket.pk).update(owner=agent)
        closed = open_ticket(
            admin, "Email Creation", now=now - dt.timedelta(days=2), company=company
        )
        Ticket.objects.filter(pk=closed.pk).update(closed_at=now - dt.timedelta(hours=3))
        add_tasks(now, [agent], company, 6)
        add_deals(manager, company, 8)


def watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
@pytest.mark.parametrize("role", ["agent", "manager"])
def test_the_home_of_each_role_draws_its_sections_and_charts(
    new_page, request, role, viewport, work
):
    user = request.getfixturevalue(role)
    phone = viewport is MOBILE
    page = new_page(viewport=viewport, is_mobile=phone, has_touch=phone)
    errors = watch_console(page)
    sign_in(page, user.email)
    page.goto("/app/")
    for section in SECTIONS[role]:
        expect(page.locator(section)).to_be_visible()
    hidden = {"agent": "#workload", "manager": "#my-work"}[role]
    expect(page.locator(hidden)).to_have_count(0)
    for chart in CHARTS[role]:
        figure = page.locator(f'figure.pd-chart[data-chart="{chart}"]')
        expect(figure).to_have_attribute("data-chart-drawn", "")
        canvas = figure.locator("canvas")
        expect(canvas).to_be_visible()
        assert canvas.bounding_box()["width"] <= viewport["width"]
        expect(figure.locator("details.pd-chart-data table tbody tr").first).to_be_attached()
    expect(page.locator("figure.pd-chart")).to_have_count(len(CHARTS[role]))
    if role == "agent":
        expect(page.locator("#next-due tbody tr")).to_have_count(3)
        expect(page.locator("#next-due .badge.sla-breached")).to_be_visible()
    else:
        expect(page.locator("#workload tbody")).to_contain_text(
            request.getfixturevalue("agent").display_name
        )
    # The figures of a chart open for anyone who cannot see it.
    details = page.locator('figure[data-chart="home-tickets-per-day"] details')
    details.locator("summary").click()
    expect(details.locator("table")).to_be_visible()
    assert_fits(page, viewport["width"])
    assert errors == []


def test_in_arabic_the_charts_are_drawn_right_to_left(new_page, agent, work):
    agent.language = "ar"
    agent.save()
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    errors = watch_console(page)
    sign_in(page, agent.email)
    page.goto("/app/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    figure = page.locator('figure.pd-chart[data-chart="home-tickets-per-day"]')
    expect(figure).to_have_attribute("data-chart-drawn", "")
    # charts.js mirrors a chart on a right-to-left page: time runs right to left
    reversed_axis = page.evaluate(
        """() => {
            const canvas = document.querySelector('figure[data-chart="home-tickets-per-day"] canvas');
            const chart = window.Chart.getChart(canvas);
            return chart.options.scales.x.reverse && chart.options.scales.y.position === 'right';
        }"""
    )
    assert reversed_axis
    assert_fits(page, MOBILE["width"])
    assert errors == []
