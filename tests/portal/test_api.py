"""The task-queue API: the lifecycle as client and agent, refusals with codes, tenancy,
uploads and pinned query counts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.portal.models import Status, Task
from tests.portal.conftest import accepted, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path


def send(api, method, url, payload=None):
    call = getattr(api, method)
    if payload is None:
        return call(url)
    return call(url, data=json.dumps(payload), content_type="application/json")


def test_the_lifecycle_through_the_api(api_client_for, client_user, agent, category, on_duo):
    client, staff = api_client_for(client_user), api_client_for(agent)
    made = send(client, "post", "/api/tasks", {"title": "Set up SSO", "category_id": category.pk})
    assert made.status_code == 201, made.content
    task_id = made.json()["id"]
    assert made.json()["status"] == "triage"

    refused = send(staff, "post", f"/api/tasks/{task_id}/accept", {"estimate": "soon"})
    assert refused.status_code == 422 and refused.json()["code"] == "estimate_required"
    ok = send(staff, "post", f"/api/tasks/{task_id}/accept", {"estimate": "1h 30m"})
    assert ok.status_code == 200 and ok.json()["estimate_minutes"] == 90
    queue = client.get(f"/api/companies/{on_duo.pk}/queue").json()
    assert [i["task"]["id"] for i in queue["items"]] == [task_id]
    assert queue["items"][0]["expected_finish"] > queue["items"][0]["expected_start"]

    assert send(client, "post", f"/api/tasks/{task_id}/start").status_code == 403
    started = send(staff, "post", f"/api/tasks/{task_id}/start")
    assert started.status_code == 200 and started.json()["estimated_completion"]
    assert (
        send(staff, "post", f"/api/tasks/{task_id}/deliver", {"note": "Done"}).json()["status"]
        == "pending_approval"
    )
    changes = send(client, "post", f"/api/tasks/{task_id}/request-changes", {"body": "Also MFA"})
    assert changes.json()["status"] == "working"
    send(staff, "post", f"/api/tasks/{task_id}/deliver", {})
    approved = send(client, "post", f"/api/tasks/{task_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "complete"
    again = send(client, "post", f"/api/tasks/{task_id}/approve")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    bodies = [m["body"] for m in client.get(f"/api/tasks/{task_id}/messages").json()]
    assert bodies == ["Done", "Also MFA"]


def test_a_full_plan_refuses_to_start_with_a_clear_code(api_client_for, client_user, agent, on_duo):
    staff = api_client_for(agent)
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(3)]
    for task in tasks[:2]:
        assert send(staff, "post", f"/api/tasks/{task.pk}/start").status_code == 200
    full = send(staff, "post", f"/api/tasks/{tasks[2].pk}/start")
    assert full.status_code == 409 and full.json()["code"] == "no_free_slot"


def test_clients_reorder_only_their_queue(api_client_for, client_user, other_client, agent, on_duo):
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(3)]
    client = api_client_for(client_user)
    order = [tasks[2].pk, tasks[0].pk, tasks[1].pk]
    done = send(client, "put", f"/api/companies/{on_duo.pk}/queue", {"task_ids": order})
    assert [i["task"]["id"] for i in done.json()["items"]] == order
    stale = send(client, "put", f"/api/companies/{on_duo.pk}/queue", {"task_ids": order[:2]})
    assert stale.status_code == 409 and stale.json()["code"] == "queue_changed"
    other = api_client_for(other_client)
    assert (
        send(other, "put", f"/api/companies/{on_duo.pk}/queue", {"task_ids": order}).status_code
        == 404
    )
    assert other.get(f"/api/tasks/{tasks[0].pk}").status_code == 404
    assert other.get("/api/tasks").json()["count"] == 0


def test_uploads_are_validated(api_client_for, client_user):
    task = submit(client_user)
    client = api_client_for(client_user)
    bad = client.post(
        f"/api/tasks/{task.pk}/attachments",
        {"file": SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "file_type_not_allowed"
    good = client.post(
        f"/api/tasks/{task.pk}/attachments",
        {"file": SimpleUploadedFile("export.csv", b"a,b\n", "text/csv")},
    )
    assert good.status_code == 201, good.content
    assert good.json()["url"].startswith("/portal/files/")
    assert [a["name"] for a in client.get(f"/api/tasks/{task.pk}/attachments").json()] == [
        "export.csv"
    ]


def test_plans_and_subscriptions(api_client_for, admin, manager, client_user, company, duo):
    assert api_client_for(client_user).get("/api/plans").status_code == 200
    made = send(api_client_for(admin), "post", "/api/plans", {"name": "Big", "concurrent_tasks": 6})
    assert made.status_code == 201
    dup = send(api_client_for(admin), "post", "/api/plans", {"name": "big", "concurrent_tasks": 2})
    assert dup.status_code == 422 and dup.json()["code"] == "duplicate"
    put = send(
        api_client_for(manager),
        "put",
        f"/api/companies/{company.pk}/subscription",
        {"plan_id": duo.pk},
    )
    assert put.status_code == 200 and put.json()["current"]["plan"]["name"] == "Duo"
    mine = api_client_for(client_user).get(f"/api/companies/{company.pk}/subscription").json()
    assert mine["current"]["plan"]["id"] == duo.pk


def test_task_list_queries_do_not_grow(
    api_client_for, client_user, agent, on_duo, django_assert_max_num_queries
):
    for client_or_staff in (api_client_for(client_user), api_client_for(agent)):
        for i in range(3):
            submit(client_user, f"A{i}")
        with django_assert_max_num_queries(20) as few:
            assert client_or_staff.get("/api/tasks?status=all").status_code == 200
        for i in range(30):
            submit(client_user, f"B{i}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client_or_staff.get("/api/tasks?status=all&limit=100")
        assert response.json()["count"] == Task.objects.count()
    assert Task.objects.filter(status=Status.TRIAGE).count() == 66
