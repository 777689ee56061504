"""The client task pages and the staff task desk through Django's test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.portal.models import Plan, Status, Subscription, Task
from tests.conftest import login
from tests.portal.conftest import accepted, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path


def test_client_pages_render_and_reorder(client_user, agent, on_duo):
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(3)]
    triage = submit(client_user, "Triage one")
    web = login(client_user)
    for url in (
        "/portal/tasks/",
        "/portal/tasks/new/",
        f"/portal/tasks/{tasks[0].pk}/",
        f"/portal/tasks/{triage.pk}/",
    ):
        assert web.get(url).status_code == 200, url
    assert web.post("/portal/tasks/queue/", {"task": tasks[2].pk, "to": 1}).status_code == 302
    tasks[2].refresh_from_db()
    assert tasks[2].queue_position == 1
    order = [tasks[1].pk, tasks[2].pk, tasks[0].pk]
    assert web.post("/portal/tasks/queue/", {"order": order}).status_code == 302
    assert (
        list(
            Task.objects.filter(status=Status.ACCEPTED)
            .order_by("queue_position")
            .values_list("pk", flat=True)
        )
        == order
    )
    # A stale order (a task missing) changes nothing and says why.
    response = web.post("/portal/tasks/queue/", {"order": order[:2]}, follow=True)
    assert "The queue has changed" in response.content.decode()


def test_submitting_validates_and_keeps_nothing_on_error(client_user, category):
    web = login(client_user)
    assert web.post("/portal/tasks/new/", {"title": "", "category": ""}).status_code == 400
    bad = SimpleUploadedFile("tool.exe", b"MZ", "application/octet-stream")
    response = web.post(
        "/portal/tasks/new/", {"title": "Fix", "category": category.pk, "attachments": [bad]}
    )
    assert response.status_code == 400
    assert "tool.exe" in response.content.decode()
    assert not Task.objects.exists()
    good = SimpleUploadedFile("export.csv", b"a,b\n", "text/csv")
    response = web.post(
        "/portal/tasks/new/", {"title": "Fix", "category": category.pk, "attachments": [good]}
    )
    assert response.status_code == 302
    task = Task.objects.get()
    attachment = task.attachments.get()
    download = web.get(f"/portal/files/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"a,b\n"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_client_approves_or_asks_for_changes(client_user, agent, on_duo):
    from partnerdesk.portal import services

    task = accepted(client_user, agent)
    services.task_start(by=agent, task=task)
    services.task_deliver(by=agent, task=task)
    web = login(client_user)
    assert web.post(f"/portal/tasks/{task.pk}/changes/", {"body": ""}).status_code == 400
    assert web.post(f"/portal/tasks/{task.pk}/changes/", {"body": "Rename it"}).status_code == 302
    task.refresh_from_db()
    assert task.status == Status.WORKING
    assert task.messages.get().body == "Rename it"
    services.task_deliver(by=agent, task=task)
    assert web.post(f"/portal/tasks/{task.pk}/approve/").status_code == 302
    task.refresh_from_db()
    assert task.status == Status.COMPLETE


def test_portal_home_puts_what_needs_the_client_first(client_user, agent, on_duo, other_client):
    from partnerdesk.portal import services

    delivered = accepted(client_user, agent, "Delivered report")
    services.task_start(by=agent, task=delivered)
    services.task_deliver(by=agent, task=delivered)
    question = submit(client_user, "Unclear request")
    services.message_post(by=agent, task=question, body="Which pipeline?")
    accepted(client_user, agent, "Queued one")
    submit(other_client, "Another company's request")
    html = login(client_user).get("/portal/").content.decode()
    home = html[html.index('id="your-tasks"') :]
    home = home[: home.index("</section>")]
    assert "Delivered report" in home and "Delivered: waiting for your approval" in home
    assert "Unclear request" in home and "We asked you something" in home
    assert "Queued one" not in home  # nothing to do for the client
    assert "Another company" not in html
    assert "1 of 2" in home  # Duo plan, one pending approval


def test_client_sees_a_task_running_late(client_user, agent, on_duo, monkeypatch):
    import datetime as dt

    from partnerdesk.core import clock
    from partnerdesk.portal import services

    task = accepted(client_user, agent, "Late one", estimate="1h")
    services.task_start(by=agent, task=task)
    task.refresh_from_db()
    web = login(client_user)
    assert "Taking longer than estimated" not in web.get("/portal/tasks/").content.decode()
    later = task.estimated_completion + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "Taking longer than estimated" in web.get("/portal/tasks/").content.decode()
    assert "Taking longer than estimated" in web.get(f"/portal/tasks/{task.pk}/").content.decode()


def test_staff_desk_pages_and_actions(client_user, agent, admin, manager, company, on_duo):
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(3)]
    triage = submit(client_user, "Triage one")
    web = login(agent)
    for url in (
        "/app/tasks/",
        "/app/tasks/?waiting=agency&overdue=1&plan=1&q=T",
        "/app/tasks/?plan=99999999999999999999&assignee=none",
        "/app/tasks/new/",
        f"/app/tasks/{tasks[0].pk}/",
        f"/app/tasks/{triage.pk}/",
        f"/app/tasks/companies/{company.pk}/plan/",
        f"/app/companies/{company.pk}/",
    ):
        assert web.get(url).status_code == 200, url
    response = web.post(f"/app/tasks/{triage.pk}/accept/", {"estimate": ""})
    assert response.status_code == 400
    assert web.post(f"/app/tasks/{triage.pk}/accept/", {"estimate": "2h"}).status_code == 302
    triage.refresh_from_db()
    assert triage.estimate_minutes == 120 and triage.status == Status.ACCEPTED
    page = web.get(f"/app/tasks/{triage.pk}/").content.decode()
    assert "Accepted with an estimate of 2h 00m, place 4" in page  # the timeline, in words
    assert web.post(f"/app/tasks/{tasks[0].pk}/start/").status_code == 302
    response = web.post(
        f"/app/tasks/{tasks[0].pk}/estimate/",
        {"estimated_completion": "2030-01-01T10:00", "reason": "Waiting for their IT"},
    )
    assert response.status_code == 302
    assert web.post(f"/app/tasks/{tasks[0].pk}/deliver/", {"note": "Done"}).status_code == 302
    tasks[0].refresh_from_db()
    assert tasks[0].status == Status.PENDING_APPROVAL


def test_settings_are_for_admins_and_plans_keep_history(admin, agent, manager, company):
    assert login(agent).get("/app/tasks/settings/").status_code == 403
    web = login(admin)
    assert web.get("/app/tasks/settings/").status_code == 200
    response = web.post(
        "/app/tasks/settings/",
        {"form": "plan", "plan-name": "Agency", "plan-concurrent_tasks": 5, "plan-is_active": "on"},
    )
    assert response.status_code == 302
    assert Plan.objects.get(name="Agency").concurrent_tasks == 5
    for name in ("Solo", "Team"):
        response = login(manager).post(
            f"/app/tasks/companies/{company.pk}/plan/",
            {"plan": Plan.objects.get(name=name).pk},
        )
        assert response.status_code == 302
    history = list(Subscription.objects.filter(company=company).order_by("started_at", "id"))
    assert [s.plan.name for s in history] == ["Solo", "Team"]
    assert history[0].ended_at is not None and history[1].ended_at is None


def test_task_list_queries_do_not_grow_with_tasks(
    client_user, agent, on_duo, django_assert_max_num_queries
):
    web = login(client_user)
    for i in range(3):
        accepted(client_user, agent, f"A{i}")
        submit(client_user, f"S{i}")
    with django_assert_max_num_queries(30) as few:
        assert web.get("/portal/tasks/").status_code == 200
    for i in range(30):
        accepted(client_user, agent, f"B{i}")
        submit(client_user, f"U{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert web.get("/portal/tasks/").status_code == 200
    staff = login(agent)
    with django_assert_max_num_queries(30) as few:
        assert staff.get("/app/tasks/").status_code == 200
    for i in range(30):
        submit(client_user, f"V{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get("/app/tasks/").status_code == 200
