import pytest
from tests.conftest import login
from tests.portal.conftest import accepted, submit
pytestmark = pytest.mark.django_db

def test_pages(client_user, agent, on_duo):
    t = [accepted(client_user, agent, f"T{i}") for i in range(3)]
    s = submit(client_user, "Triage one")
    web = login(client_user)
    for url in ["/portal/tasks/", "/portal/tasks/new/", f"/portal/tasks/{t[0].pk}/", f"/portal/tasks/{s.pk}/"]:
        r = web.get(url); assert r.status_code == 200, (url, r.content[:3000])
    r = web.post("/portal/tasks/queue/", {"task": t[2].pk, "to": 1}); assert r.status_code == 302
    t[2].refresh_from_db(); assert t[2].queue_position == 1
    r = web.post("/portal/tasks/new/", {"title": "", "category": ""}); assert r.status_code == 400


def test_staff_pages(client_user, agent, admin, manager, company, on_duo):
    from partnerdesk.portal.models import Plan
    t = [accepted(client_user, agent, f"T{i}") for i in range(3)]
    s = submit(client_user, "Triage one")
    web = login(agent)
    for url in ["/app/tasks/", "/app/tasks/?waiting=agency&overdue=1&plan=1&q=T", "/app/tasks/new/", f"/app/tasks/{t[0].pk}/", f"/app/tasks/{s.pk}/", f"/app/tasks/companies/{company.pk}/plan/", f"/app/companies/{company.pk}/"]:
        r = web.get(url); assert r.status_code == 200, (url, r.content[:3000])
    r = web.post(f"/app/tasks/{s.pk}/accept/", {"estimate": ""}); assert r.status_code == 400
    r = web.post(f"/app/tasks/{s.pk}/accept/", {"estimate": "2h"}); assert r.status_code == 302
    r = web.post(f"/app/tasks/{t[0].pk}/start/"); assert r.status_code == 302
    r = web.get(f"/app/tasks/{t[0].pk}/"); assert r.status_code == 200
    r = web.post(f"/app/tasks/{t[0].pk}/estimate/", {"estimated_completion": "2030-01-01T10:00", "reason": "x"}); assert r.status_code == 302, r.content[:2000]
    r = web.post(f"/app/tasks/{t[0].pk}/deliver/", {"note": "done"}); assert r.status_code == 302
    assert login(admin).get("/app/tasks/settings/").status_code == 200
    assert web.get("/app/tasks/settings/").status_code == 403
    r = login(admin).post("/app/tasks/settings/", {"form": "plan", "plan-name": "Agency", "plan-concurrent_tasks": 5, "plan-is_active": "on"}); assert r.status_code == 302
    assert Plan.objects.filter(name="Agency").exists()
    r = login(manager).post(f"/app/tasks/companies/{company.pk}/plan/", {"plan": Plan.objects.get(name="Team").pk}); assert r.status_code == 302
