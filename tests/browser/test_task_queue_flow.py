"""The client task queue in a real browser: a client submits, an agent triages and works, the
client reorders the queue, asks for changes, approves (the next task starts by itself), and
books a consultation session."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.accounts.models import Team
from partnerdesk.portal import services
from partnerdesk.portal.models import Plan, PortalSettings, Status, Task, TaskCategory

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone


def _submit(page: Page, title: str, category: str = "HubSpot Administration") -> int:
    page.goto("/portal/tasks/new/")
    page.locator("[name=title]").fill(title)
    page.locator("[name=category]").select_option(label=category)
    page.locator("[name=description]").fill("Details follow.")
    page.get_by_role("button", name=re.compile("Submit")).click()
    expect(page).to_have_url(re.compile(r"/portal/tasks/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return int(re.search(r"/tasks/(\d+)/", page.url).group(1))


def test_client_and_agent_work_through_the_queue(new_page, client_user, agent, manager, company):
    services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name="Solo"))
    client = new_page()
    sign_in(client, client_user.email)

    # The client submits three requests, one with a bad (empty) title first.
    client.goto("/portal/tasks/new/")
    client.get_by_role("button", name=re.compile("Submit")).click()
    expect(client.locator(".errorlist").first).to_be_visible()
    ids = [_submit(client, f"Request {n}") for n in (1, 2, 3)]

    # The agent accepts each with an estimate (an empty one is refused) and starts the first.
    staff = new_page()
    sign_in(staff, agent.email)
    # The agent's home page counts the new requests as waiting on us and leads to them.
    staff.goto("/app/")
    card = staff.locator("#attention .card", has_text="Client tasks waiting on us")
    expect(card.locator(".num")).to_have_text("3")
    card.click()
    expect(staff).to_have_url(re.compile(r"/app/tasks/\?waiting=agency$"))
    expect(staff.get_by_role("link", name="Request 1")).to_be_visible()
    staff.goto(f"/app/tasks/{ids[0]}/")
    staff.get_by_role("button", name=re.compile("Accept")).click()
    expect(staff.locator(".errorlist, .errors-box").first).to_be_visible()
    for pk in ids:
        staff.goto(f"/app/tasks/{pk}/")
        staff.locator("[name=estimate]").fill("3h")
        staff.get_by_role("button", name=re.compile("Accept")).click()
        expect(staff.locator("#task-status")).to_have_text("Accepted")
    staff.goto(f"/app/tasks/{ids[0]}/")
    staff.get_by_role("button", name="Start work").click()
    expect(staff.locator("#task-status")).to_have_text("Working")
    expect(staff.locator("#estimated-completion")).not_to_be_empty()
    # The Solo plan has no free slot for a second one: Start work is disabled with the reason.
    staff.goto(f"/app/tasks/{ids[1]}/")
    start = staff.get_by_role("button", name="Start work")
    expect(start).to_be_disabled()
    expect(start).to_have_accessible_description(re.compile(r"^Solo plan: 1 of 1 in progress"))
    assert Task.objects.get(pk=ids[1]).status == Status.ACCEPTED

    # The client moves Request 3 to the top of the queue.
    client.goto("/portal/tasks/")
    queue = client.locator("#queue")
    expect(queue.locator(".queue-item").first).to_contain_text("Request 2")
    queue.locator(".queue-item", has_text="Request 3").get_by_role(
        "button", name=re.compile("top", re.I)
    ).click()
    expect(client.locator("#queue .queue-item").first).to_contain_text("Request 3")
    assert Task.objects.get(pk=ids[2]).queue_position == 1

    # The agent delivers; the client asks for changes, then approves the second delivery.
    staff.goto(f"/app/tasks/{ids[0]}/")
    staff.get_by_role("button", name=re.compile("Deliver")).click()
    expect(staff.locator("#task-status")).to_have_text("Pending Approval")
    client.goto(f"/portal/tasks/{ids[0]}/")
    client.locator("#changes textarea").fill("Please rename the property too.")
    client.get_by_role("button", name="Request changes").click()
    expect(client.locator("#task-status")).to_have_text("Working")
    expect(client.locator("#messages")).to_contain_text("Please rename the property too.")
    staff.goto(f"/app/tasks/{ids[0]}/")
    expect(staff.locator("#messages")).to_contain_text("Please rename the property too.")
    staff.get_by_role("button", name=re.compile("Deliver")).click()
    expect(staff.locator("#task-status")).to_have_text("Pending Approval")
    # The client's home page leads with the delivery waiting for them.
    client.goto("/portal/")
    waiting = client.locator("#your-tasks")
    expect(waiting).to_contain_text("Delivered: waiting for your approval")
    waiting.get_by_role("link", name="Request 1").click()
    expect(client).to_have_url(re.compile(f"/portal/tasks/{ids[0]}/$"))
    client.locator("#approval").get_by_role("button", name="Approve").click()
    expect(client.locator("#task-status")).to_have_text("Complete")
    # A complete task takes no more messages: its form is gone and the page says why.
    expect(client.locator("#messages form")).to_have_count(0)
    expect(client.locator("#messages-closed")).to_contain_text("This task is closed")

    # The freed slot went to the top of the queue: Request 3 is being worked on now.
    assert Task.objects.get(pk=ids[2]).status == Status.WORKING
    client.goto("/portal/tasks/")
    expect(client.locator("#working")).to_contain_text("Request 3")


def test_client_books_a_consultation_session(new_page, client_user, agent, company):
    team = PortalSettings.load().consultants or Team.objects.create(name="Consultants")
    team.members.add(agent)
    assert TaskCategory.objects.filter(is_consultation=True).exists()
    client = new_page()
    sign_in(client, client_user.email)
    # A consultation request leads straight to the times; the task page leads there too.
    client.goto("/portal/tasks/new/")
    client.locator("[name=title]").fill("Talk about our lifecycle stages")
    client.locator("[name=category]").select_option(label="Consultation Session")
    client.get_by_role("button", name=re.compile("Submit")).click()
    expect(client).to_have_url(re.compile(r"/portal/tasks/\d+/book/$"))
    pk = int(re.search(r"/tasks/(\d+)/", client.url).group(1))
    client.get_by_role("link", name="Back to the task").click()
    client.get_by_role("link", name="Book a session").click()
    expect(client).to_have_url(re.compile(rf"/portal/tasks/{pk}/book/$"))
    first = client.locator("form.slots button[name=starts_at]").first
    chosen = first.get_attribute("value")
    first.click()
    # The confirm step: nothing is booked until the client confirms.
    expect(client.get_by_role("heading", level=1)).to_have_text("Confirm your consultation session")
    assert not Task.objects.get(pk=pk).sessions.exists()
    client.get_by_role("button", name="Confirm booking").click()
    expect(client).to_have_url(re.compile(rf"/portal/tasks/{pk}/$"))
    sessions = client.locator("#sessions")
    expect(sessions).to_contain_text(agent.display_name)
    expect(sessions.get_by_role("link", name="Reschedule")).to_be_visible()

    task = Task.objects.get(pk=pk)
    session = task.sessions.get()
    assert session.starts_at.isoformat() == chosen or session.starts_at.isoformat().startswith(
        chosen[:16]
    )
