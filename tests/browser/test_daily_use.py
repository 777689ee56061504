"""Daily use (issue 15): the bell opens its panel in place and Mark all read empties the count;
the task desk shows Start work disabled with the reason for a client at its plan's limit; the
main pages draw icons from the vendored set and show no emoji (empty boxes without an emoji
font)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.portal import services
from partnerdesk.portal.models import Plan, Status, Task, TaskCategory
from tests.core.test_icons import EMOJI

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone


def _notify(user, n: int) -> None:
    for i in range(n):
        Notification.objects.create(
            user=user,
            kind=Kind.TASK,
            title=f"Notice {i}",
            url="/app/tasks/",
            dedupe_key=f"daily-use-{i}",
        )


def _task(client_user, agent, title: str) -> Task:
    category = TaskCategory.objects.get(name="HubSpot Administration")
    task = services.task_submit(by=client_user, title=title, category=category)
    return services.task_accept(by=agent, task=task, estimate_minutes="3h")


def test_the_bell_opens_in_place_and_mark_all_read_empties_the_count(page: Page, agent):
    _notify(agent, 3)
    sign_in(page, agent.email)
    page.goto("/app/companies/")
    bell = open_nav(page).locator("details.bell")
    count = bell.locator("#unread-count")
    expect(count).to_have_text("3")  # with the page, before any request of its own
    panel = bell.locator("#bell-panel")
    expect(panel).to_be_hidden()

    # Keyboard: the bell is a button; Enter opens the panel, Escape closes it.
    summary = bell.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    items = panel.locator("ul.bell-items li")
    expect(items).to_have_count(3)
    expect(panel.locator("li.unread")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"/app/companies/$"))  # in place
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(summary).to_be_focused()

    # A click opens it; a click elsewhere closes it.
    summary.click()
    expect(items).to_have_count(3)
    page.get_by_role("heading", level=1).click()
    expect(panel).to_be_hidden()

    summary.click()
    panel.get_by_role("button", name="Mark all read").click()
    expect(panel.locator("li.unread")).to_have_count(0)
    expect(items).to_have_count(3)
    expect(count).to_have_count(0)  # the badge is gone
    expect(page).to_have_url(re.compile(r"/app/companies/$"))
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()

    # A notification in the panel opens its page.
    panel.get_by_role("button", name=re.compile("Notice 1")).click()
    expect(page).to_have_url(re.compile(r"/app/tasks/$"))


def test_start_work_is_disabled_with_the_reason_at_the_plans_limit(
    page: Page, agent, manager, company, client_user
):
    services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name="Duo"))
    for n in (1, 2):
        services.task_start(by=agent, task=_task(client_user, agent, f"Working {n}"))
    waiting = _task(client_user, agent, "Waiting for a slot")
    sign_in(page, agent.email)

    page.goto("/app/tasks/?status=accepted")
    row = page.locator("tr", has=page.get_by_role("link", name="Waiting for a slot"))
    start = row.get_by_role("button", name="Start work")
    expect(start).to_be_disabled()
    expect(start).to_have_accessible_description("Duo plan: 2 of 2 in progress")
    expect(row).to_contain_text("Duo plan: 2 of 2 in progress")

    page.goto(f"/app/tasks/{waiting.pk}/")
    start = page.locator("#start").get_by_role("button", name="Start work")
    expect(start).to_be_disabled()
    expect(start).to_have_accessible_description(re.compile(r"^Duo plan: 2 of 2 in progress"))
    assert Task.objects.get(pk=waiting.pk).status == Status.ACCEPTED

    # The client approves a delivery: a slot frees, the button works again.
    working = Task.objects.get(title="Working 1")
    services.task_deliver(by=agent, task=working)
    services.task_approve(by=client_user, task=Task.objects.get(pk=working.pk))
    page.goto("/app/tasks/?status=accepted")
    if Task.objects.get(pk=waiting.pk).status == Status.ACCEPTED:  # unless it started by itself
        row = page.locator("tr", has=page.get_by_role("link", name="Waiting for a slot"))
        row.get_by_role("button", name="Start work").click()
        expect(page).to_have_url(re.compile(r"/app/tasks/\?status=accepted$"))
    assert Task.objects.get(pk=waiting.pk).status == Status.WORKING


def _no_emoji(page: Page, path: str) -> None:
    page.goto(path)
    open_nav(page)  # the bell is in the navigation, folded on a phone
    text = page.locator("body").inner_text()
    found = sorted(set(EMOJI.findall(text)))
    assert not found, f"{path} shows emoji {found}"
    # Icons come from the vendored sprite and are drawn (a size, not an empty box).
    icons = page.locator("svg.icon use")
    if icons.count():
        assert "/static/vendor/lucide/icons.svg#" in icons.first.get_attribute("href")
        box = page.locator("svg.icon-bell").bounding_box()  # in every page's header
        assert box and box["width"] > 4 and box["height"] > 4, path


def test_the_main_pages_show_icons_not_emoji(new_page, agent, admin, client_user, company, deal):
    task = _task(client_user, agent, "With a file")
    services.message_post(
        by=client_user,
        task=task,
        body="The export",
        files=[SimpleUploadedFile("export.csv", b"a,b\n", "text/csv")],
    )
    staff = new_page()
    sign_in(staff, admin.email)
    for path in (
        "/app/",
        "/app/companies/",
        f"/app/companies/{company.pk}/",
        "/app/deals/",
        f"/app/deals/{deal.pk}/",
        "/app/deals/board/",
        "/app/tickets/",
        "/app/tickets/board/",
        "/app/tasks/",
        f"/app/tasks/{task.pk}/",
        "/app/reports/",
        "/app/knowledge/",
        "/app/settings/automations/",
        "/notifications/",
        "/app/no-such-page/",
    ):
        _no_emoji(staff, path)
    staff.goto(f"/app/tasks/{task.pk}/")
    attachment = staff.get_by_role("link", name=re.compile("export.csv"))
    expect(attachment.locator("svg.icon-paperclip")).to_have_count(1)

    client = new_page()
    sign_in(client, client_user.email)
    for path in ("/portal/", "/portal/tasks/", f"/portal/tasks/{task.pk}/", "/portal/tickets/"):
        _no_emoji(client, path)
    client.goto(f"/portal/tasks/{task.pk}/")
    attachment = client.get_by_role("link", name=re.compile("export.csv"))
    expect(attachment.locator("svg.icon-paperclip")).to_have_count(1)
