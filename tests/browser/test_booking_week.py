"""Booking a consultation session in a real browser, on a desktop and on phones: the request
form leads to the week view, next week, a time picked, the confirm step with the client's and
the consultant's time zones and an agenda, the booked session on the task; a time taken by
someone else meanwhile.

"Now" is Monday 6 January 2031, 06:00 UTC (01:00 in New York, the client's zone); the agency
works 09:00–17:00 UTC on weekdays; the only consultant reads times in Rome (UTC+1).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from partnerdesk.accounts.models import Team
from partnerdesk.core import clock
from partnerdesk.portal import booking, services
from partnerdesk.portal.models import PortalSettings, Task, TaskCategory
from partnerdesk.sla.models import Calendar

from .conftest import DESKTOP, MOBILE, assert_fits, sign_in

NOW = dt.datetime(2031, 1, 6, 6, 0, tzinfo=dt.UTC)
SMALL_PHONE = {"width": 360, "height": 740}
AGENDA = "Lifecycle stages and lead scoring"


@pytest.fixture
def world(monkeypatch, client_user, agent):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    calendar = Calendar.objects.get(is_default=True)
    calendar.timezone = "UTC"
    calendar.week = {str(d): [["09:00", "17:00"]] for d in range(5)}
    calendar.holiday_country = ""
    calendar.save()
    calendar.holidays.all().delete()
    team = PortalSettings.load().consultants or Team.objects.create(name="Consultants")
    team.members.add(agent)
    agent.timezone = "Europe/Rome"
    agent.save()
    client_user.timezone = "America/New_York"
    client_user.save()
    return agent


def no_sideways_scroll(page: Page) -> None:
    width = page.viewport_size["width"]
    assert_fits(page, width)


def request_consultation(page: Page, title: str) -> int:
    page.goto("/portal/tasks/new/")
    page.locator("[name=title]").fill(title)
    page.locator("[name=category]").select_option(label="Consultation Session")
    page.get_by_role("button", name="Submit request").click()
    # Straight to the week view, as the form promised.
    expect(page).to_have_url(re.compile(r"/portal/tasks/\d+/book/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a consultation session")
    return int(re.search(r"/tasks/(\d+)/", page.url).group(1))


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
def test_request_pick_a_time_next_week_and_confirm(new_page, world, client_user, viewport):
    phone = viewport is MOBILE
    options = {"is_mobile": True, "has_touch": True} if phone else {}
    page = new_page(viewport=viewport, **options)
    sign_in(page, client_user.email)
    pk = request_consultation(page, "Talk about our lifecycle stages")
    expect(page.locator(".messages")).to_contain_text("Now choose a time")

    # This week, Sunday to Saturday (English), today (Monday in New York) marked.
    week = page.locator("#week")
    expect(week.get_by_role("heading", level=2)).to_have_text("5 Jan – 11 Jan 2031")
    days = week.locator("li.day")
    expect(days).to_have_count(7)
    expect(days.first).to_contain_text("Sunday")
    expect(days.first).to_contain_text("No free times")
    today = week.locator('li.day[aria-current="date"]')
    expect(today).to_contain_text("Monday")
    expect(today).to_contain_text("Today")
    expect(today.get_by_role("button").first).to_have_text("4:00 AM")  # 09:00 UTC
    # (on a phone the week links come again after the days: .first is the top one)
    expect(week.locator("[aria-disabled=true]", has_text="Previous week").first).to_be_visible()
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    if phone:  # the days stack: one column, no sideways scrolling
        assert second["y"] >= first["y"] + first["height"] - 1
        assert abs(second["x"] - first["x"]) < 1
        no_sideways_scroll(page)
    else:  # the days are columns side by side
        assert abs(second["y"] - first["y"]) < 1
        assert second["x"] > first["x"] + first["width"] - 1

    # Next week: swapped in place, its address kept in the history. On a phone, by the links
    # after the days; the new week shows from its top.
    next_week = week.get_by_role("link", name="Next week")
    expect(next_week).to_have_count(2 if phone else 1)
    (next_week.last if phone else next_week.first).click()
    expect(week.get_by_role("heading", level=2)).to_have_text("12 Jan – 18 Jan 2031")
    expect(week.get_by_role("heading", level=2)).to_be_in_viewport()
    expect(page).to_have_url(re.compile(r"\?week=2031-01-12$"))
    expect(page.locator('#week li.day[aria-current="date"]')).to_have_count(0)
    expect(page.locator("#week").get_by_role("link", name="Previous week").first).to_be_visible()
    if phone:
        no_sideways_scroll(page)

    # Tuesday 14 January, 09:00 UTC: 4:00 AM for the client, 10:00 AM for the consultant.
    page.get_by_role("button", name="Tuesday, 14 Jan 2031, 4:00 AM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your consultation session")
    expect(page.locator("#confirm-consultant")).to_have_text(world.display_name)
    expect(page.locator("#confirm")).to_contain_text("Your time (America/New_York)")
    expect(page.locator("#confirm-when")).to_contain_text("Tuesday, 14 Jan 2031, 4:00 AM")
    expect(page.locator("#confirm")).to_contain_text("Consultant’s time (Europe/Rome)")
    expect(page.locator("#confirm-consultant-when")).to_contain_text(
        "Tuesday, 14 Jan 2031, 10:00 AM"
    )
    expect(page.locator("#confirm")).to_contain_text("45 min")
    assert not Task.objects.get(pk=pk).sessions.exists()  # nothing booked before confirming
    if phone:
        no_sideways_scroll(page)
        page.set_viewport_size(SMALL_PHONE)
        no_sideways_scroll(page)
    page.get_by_label("Agenda or notes (optional)").fill(AGENDA)
    page.get_by_role("button", name="Confirm booking").click()

    # The task shows the session; the agenda is on its thread.
    expect(page).to_have_url(re.compile(rf"/portal/tasks/{pk}/$"))
    expect(page.locator(".messages")).to_contain_text("The consultation session is booked")
    sessions = page.locator("#sessions")
    expect(sessions).to_contain_text("Tuesday, 14 Jan 2031, 4:00 AM")
    expect(sessions).to_contain_text(world.display_name)
    expect(sessions.get_by_role("link", name="Reschedule")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text(AGENDA)
    session = Task.objects.get(pk=pk).sessions.get()
    assert session.starts_at == dt.datetime(2031, 1, 14, 9, tzinfo=dt.UTC)
    assert session.consultant == world
    if phone:
        page.set_viewport_size(SMALL_PHONE)
        page.goto(f"/portal/tasks/{pk}/book/?week=2031-01-12")
        expect(page.locator("#week, .errors-box").first).to_be_visible()
        no_sideways_scroll(page)


def test_a_time_taken_meanwhile_shows_the_week_again_with_why(new_page, world, client_user):
    page = new_page()
    sign_in(page, client_user.email)
    pk = request_consultation(page, "Reporting questions")
    page.goto(f"/portal/tasks/{pk}/book/?week=2031-01-12")
    page.get_by_role("button", name="Tuesday, 14 Jan 2031, 4:45 AM").click()
    expect(page.get_by_role("button", name="Confirm booking")).to_be_visible()

    # A colleague books that time on another request (the only consultant) first.
    other = services.task_submit(
        by=client_user,
        title="A colleague's consultation",
        category=TaskCategory.objects.get(is_consultation=True),
    )
    taken = dt.datetime(2031, 1, 14, 9, 45, tzinfo=dt.UTC)
    booking.session_book(by=client_user, task=other, starts_at=taken)

    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("alert")).to_contain_text("just been booked by someone else")
    week = page.locator("#week")
    expect(week.get_by_role("heading", level=2)).to_have_text("12 Jan – 18 Jan 2031")
    expect(page.get_by_role("button", name="Tuesday, 14 Jan 2031, 4:45 AM")).to_have_count(0)
    # Another time of that week books.
    page.get_by_role("button", name="Tuesday, 14 Jan 2031, 5:30 AM").click()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page).to_have_url(re.compile(rf"/portal/tasks/{pk}/$"))
    expect(page.locator("#sessions")).to_contain_text("5:30 AM")
