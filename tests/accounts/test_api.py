"""Users, teams and invitations through the API: the same services, rules and results as the
Settings → Users and Teams pages and the portal's "Invite a colleague"."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from partnerdesk.accounts import services
from partnerdesk.accounts.models import ClientRole, Invitation, Role, Team, User
from partnerdesk.core.models import Event
from tests.conftest import login

pytestmark = pytest.mark.django_db


def send(client, method, url, body=None):
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


@pytest.fixture
def as_admin(admin, api_client_for):
    client = api_client_for(admin)
    return lambda method, url, body=None: send(client, method, url, body)


# ---------------------------------------------------------------- users


def test_staff_list_users_with_filters(agent, admin, client_user, other_client, api_client_for):
    client = api_client_for(agent)

    body = client.get("/api/users").json()
    assert body["count"] == 4
    assert {u["email"] for u in body["items"]} == {
        "admin@agency.test",
        "agent@agency.test",
        "client@acme-dental.com",
        "client@other.example",
    }
    clients = client.get("/api/users", {"role": "client"}).json()["items"]
    assert {u["email"] for u in clients} == {"client@acme-dental.com", "client@other.example"}
    own = client.get("/api/users", {"company_id": client_user.company_id}).json()["items"]
    assert [(u["email"], u["client_role"]) for u in own] == [("client@acme-dental.com", "admin")]
    assert [u["id"] for u in client.get("/api/users", {"q": "AGENT@"}).json()["items"]] == [
        agent.pk
    ]
    services.user_update(user=other_client, by=admin, is_active=False)
    inactive = client.get("/api/users", {"is_active": False}).json()["items"]
    assert [u["id"] for u in inactive] == [other_client.pk]
    assert client.get("/api/users", {"role": "owner"}).status_code == 422


def test_get_a_user(agent, api_client_for):
    client = api_client_for(agent)
    body = client.get(f"/api/users/{agent.pk}").json()
    assert (body["email"], body["role"], body["is_active"], body["language"]) == (
        "agent@agency.test",
        "agent",
        True,
        "en",
    )
    assert "password" not in body
    assert client.get("/api/users/999999").status_code == 404


def test_admin_changes_a_user_through_the_pages_service(admin, agent, as_admin):
    response = as_admin(
        "PATCH",
        f"/api/users/{agent.pk}",
        {"full_name": "Alice Agent", "role": "manager", "language": "ar"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["full_name"], body["role"], body["language"]) == ("Alice Agent", "manager", "ar")
    agent.refresh_from_db()
    assert (agent.full_name, agent.role, agent.language) == ("Alice Agent", Role.MANAGER, "ar")
    event = Event.objects.filter(kind="user.updated").get()
    assert {c["field"] for c in event.data["changes"]} == {"full_name", "role"}
    assert event.actor_id == admin.pk


def test_deactivating_a_user_revokes_their_tokens(agent, as_admin):
    _token, plain = services.api_token_create(user=agent, name="ci")

    response = as_admin("PATCH", f"/api/users/{agent.pk}", {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert services.api_token_authenticate(plain) is None


@pytest.mark.parametrize(
    ("target", "body", "status", "code", "field"),
    [
        ("admin", {"role": "manager"}, 422, "last_admin", "role"),
        ("admin", {"is_active": False}, 422, "cannot_deactivate_self", "is_active"),
        ("agent", {"role": "client"}, 422, "role_change_not_allowed", "role"),
        ("agent", {"role": "owner"}, 422, "invalid_input", "role"),
        ("agent", {"is_active": 0}, 422, "invalid_input", "is_active"),
        ("agent", {"language": "fr"}, 422, "invalid_input", "language"),
        ("agent", {"email": "new@agency.test"}, 422, "invalid_input", "email"),
    ],
)
def test_user_changes_refused_with_a_clear_problem(
    request, as_admin, target, body, status, code, field
):
    user = request.getfixturevalue(target)
    before = User.objects.filter(pk=user.pk).values().get()

    response = as_admin("PATCH", f"/api/users/{user.pk}", body)

    assert response.status_code == status, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert User.objects.filter(pk=user.pk).values().get() == before


def test_a_refused_language_keeps_the_other_changes_out_too(agent, as_admin, monkeypatch):
    """Name and language change in one transaction: both or neither."""

    def broken(**kwargs):
        raise services.DomainError(code="invalid_language", message="No.", field="language")

    monkeypatch.setattr(services, "user_set_language", broken)
    response = as_admin("PATCH", f"/api/users/{agent.pk}", {"full_name": "X", "language": "it"})

    assert response.status_code == 422
    agent.refresh_from_db()
    assert agent.full_name == "Agent"


def test_user_page_and_api_agree(admin, agent, as_admin):
    as_admin("PATCH", f"/api/users/{agent.pk}", {"full_name": "Changed By Api"})
    page = login(admin)
    assert "Changed By Api" in page.get(reverse("crm:user_list")).content.decode()

    response = page.post(
        reverse("crm:user_edit", args=[agent.pk]),
        {"full_name": "Changed On Page", "role": "manager", "is_active": "on"},
    )
    assert response.status_code == 302
    body = as_admin("GET", f"/api/users/{agent.pk}").json()
    assert (body["full_name"], body["role"]) == ("Changed On Page", "manager")


# ---------------------------------------------------------------- teams


def test_create_and_read_a_team(admin, agent, manager, as_admin, api_client_for):
    response = as_admin(
        "POST",
        "/api/teams",
        {"name": "Night shift", "member_ids": [agent.pk, manager.pk], "lead_id": agent.pk},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Night shift"
    assert body["lead"] == {"id": agent.pk, "email": agent.email, "full_name": agent.full_name}
    assert {m["id"] for m in body["members"]} == {agent.pk, manager.pk}
    team = Team.objects.get(name="Night shift")
    assert (set(team.members.all()), team.lead) == ({agent, manager}, agent)
    assert Event.objects.filter(kind="team.saved").count() == 1
    # Staff read teams (round-robin and "assign to the lead" name them).
    reader = api_client_for(agent)
    assert reader.get(f"/api/teams/{team.pk}").json() == body
    names = [t["name"] for t in reader.get("/api/teams", {"limit": 200}).json()["items"]]
    assert "Night shift" in names


def test_change_a_team_keeps_what_is_not_sent(agent, manager, as_admin):
    team = as_admin(
        "POST", "/api/teams", {"name": "Web", "member_ids": [agent.pk], "lead_id": agent.pk}
    ).json()

    renamed = as_admin("PATCH", f"/api/teams/{team['id']}", {"name": "Websites"}).json()
    assert (renamed["name"], renamed["lead"]["id"], [m["id"] for m in renamed["members"]]) == (
        "Websites",
        agent.pk,
        [agent.pk],
    )
    changed = as_admin(
        "PATCH", f"/api/teams/{team['id']}", {"member_ids": [agent.pk, manager.pk], "lead_id": None}
    ).json()
    assert changed["lead"] is None
    assert {m["id"] for m in changed["members"]} == {agent.pk, manager.pk}
    assert changed["name"] == "Websites"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"name": "Support Team"}, 409, "duplicate_team", "name"),
        ({"name": "A", "member_ids": ["agent"], "lead_id": "manager"}, 422, "invalid_lead", "lead"),
        ({"name": "A", "member_ids": ["client_user"]}, 422, "not_found", "member_ids"),
        ({"name": "A", "member_ids": [999999]}, 422, "not_found", "member_ids"),
        ({"name": "A", "lead_id": 999999}, 422, "not_found", "lead_id"),
        ({"name": ""}, 422, "invalid_input", "name"),
        ({"name": "A", "members": []}, 422, "invalid_input", "members"),
    ],
)
def test_team_refusals(request, as_admin, agent, manager, client_user, body, status, code, field):
    def resolve(value):
        return request.getfixturevalue(value).pk if isinstance(value, str) else value

    body = {
        k: [resolve(v) for v in value]
        if isinstance(value, list)
        else (resolve(value) if k == "lead_id" else value)
        for k, value in body.items()
    }
    teams = Team.objects.count()

    response = as_admin("POST", "/api/teams", body)

    assert response.status_code == status, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Team.objects.count() == teams


def test_agents_cannot_change_teams(agent, api_client_for):
    client = api_client_for(agent)
    team = Team.objects.first()
    assert send(client, "POST", "/api/teams", {"name": "Mine"}).status_code == 403
    assert send(client, "PATCH", f"/api/teams/{team.pk}", {"name": "Mine"}).status_code == 403
    assert not Team.objects.filter(name="Mine").exists()


def test_team_page_and_api_agree(admin, agent, as_admin):
    created = as_admin(
        "POST", "/api/teams", {"name": "Api Team", "member_ids": [agent.pk], "lead_id": agent.pk}
    ).json()
    page = login(admin)
    html = page.get(reverse("crm:team_list")).content.decode()
    assert "Api Team" in html
    edit = page.get(reverse("crm:team_edit", args=[created["id"]])).content.decode()
    assert "Api Team" in edit

    response = page.post(
        reverse("crm:team_edit", args=[created["id"]]),
        {"name": "Page Team", "members": [agent.pk]},
    )
    assert response.status_code == 302
    body = as_admin("GET", f"/api/teams/{created['id']}").json()
    assert (body["name"], body["lead"], [m["id"] for m in body["members"]]) == (
        "Page Team",
        None,
        [agent.pk],
    )


# ---------------------------------------------------------------- invitations


def test_admin_invites_and_the_link_is_emailed_not_returned(
    admin, as_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin(
            "POST",
            "/api/invitations",
            {"email": "New@Agency.test", "role": "agent", "language": "it"},
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"], body["status"], body["invited_by_id"]) == (
        "new@agency.test",
        "agent",
        "pending",
        admin.pk,
    )
    assert "token" not in json.dumps(body)
    assert len(mail.outbox) == 1
    assert "/accounts/invite/" in mail.outbox[0].body
    assert "invit" in mail.outbox[0].subject.lower()  # Italian: "invitato"


def test_admin_invites_a_client_user_of_a_company(company, as_admin):
    body = as_admin(
        "POST",
        "/api/invitations",
        {
            "email": "boss@acme-dental.com",
            "role": "client",
            "company_id": company.pk,
            "client_role": "admin",
        },
    ).json()
    assert (body["role"], body["company_id"], body["client_role"]) == (
        "client",
        company.pk,
        "admin",
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"email": "agent@agency.test", "role": "agent"}, 409, "user_exists", "email"),
        ({"email": "not-an-email", "role": "agent"}, 422, "invalid_email", "email"),
        ({"email": "x@agency.test"}, 422, "invalid_role", "role"),
        ({"email": "x@acme-dental.com", "role": "client"}, 422, "company_required", "company"),
        (
            {"email": "x@acme-dental.com", "role": "client", "company_id": 999999},
            422,
            "not_found",
            "company_id",
        ),
        (
            {"email": "x@agency.test", "role": "agent", "company_id": "company"},
            422,
            "company_not_allowed",
            "company",
        ),
        ({"email": "x@agency.test", "role": "owner"}, 422, "invalid_input", "role"),
        (
            {"email": "x@agency.test", "role": "agent", "token": "mine"},
            422,
            "invalid_input",
            "token",
        ),
    ],
)
def test_invitation_refusals(request, agent, as_admin, body, status, code, field):
    if body.get("company_id") == "company":
        body = {**body, "company_id": request.getfixturevalue("company").pk}

    response = as_admin("POST", "/api/invitations", body)

    assert response.status_code == status, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert not Invitation.objects.exists()


def test_client_admin_invites_a_colleague_like_the_portal_page(
    client_user, company, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(client_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "POST", "/api/invitations", {"email": "colleague@acme-dental.com"})
        login(client_user).post(
            reverse("portal:invite_colleague"),
            {"email": "other-colleague@acme-dental.com", "language": "en"},
        )

    assert response.status_code == 201, response.content
    through_api = Invitation.objects.get(email="colleague@acme-dental.com")
    through_page = Invitation.objects.get(email="other-colleague@acme-dental.com")
    fields = ("role", "company_id", "client_role", "invited_by_id")
    assert [getattr(through_api, f) for f in fields] == [getattr(through_page, f) for f in fields]
    assert (through_api.role, through_api.company, through_api.client_role) == (
        Role.CLIENT,
        company,
        ClientRole.MEMBER,
    )
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@acme-dental.com", "role": "agent"},
        {"email": "x@acme-dental.com", "client_role": "admin"},
        {"email": "x@other.example", "company_id": "other_company"},
        {"email": "x@other.example", "company_id": 999999},
    ],
)
def test_client_admin_invites_only_members_of_their_own_company(
    request, client_user, api_client_for, body
):
    if body.get("company_id") == "other_company":
        body = {**body, "company_id": request.getfixturevalue("other_company").pk}
    response = send(api_client_for(client_user), "POST", "/api/invitations", body)

    # A foreign company and a missing one get the same answer.
    assert response.status_code == 403
    assert response.json()["message"] == "You cannot invite this kind of user."
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["other_client", "agent", "manager"])
def test_others_cannot_invite(request, who, api_client_for):
    response = send(
        api_client_for(request.getfixturevalue(who)),
        "POST",
        "/api/invitations",
        {"email": "x@agency.test", "role": "agent", "unknown": 1},  # refused before reading
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Invitation.objects.exists()


def test_list_revoke_and_resend(admin, company, as_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, _t = services.invitation_create(by=admin, email="one@agency.test", role=Role.AGENT)
        second, _t = services.invitation_create(
            by=admin,
            email="two@acme-dental.com",
            role=Role.CLIENT,
            company=company,
            client_role=ClientRole.MEMBER,
        )
    old_link = re.search(r"/accounts/invite/(\S+)/", mail.outbox[1].body).group(1)

    listed = as_admin("GET", "/api/invitations").json()
    assert [i["email"] for i in listed["items"]] == ["two@acme-dental.com", "one@agency.test"]

    revoked = as_admin("POST", f"/api/invitations/{first.pk}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert [i["id"] for i in as_admin("GET", "/api/invitations").json()["items"]] == [second.pk]

    with django_capture_on_commit_callbacks(execute=True):
        resent = as_admin("POST", f"/api/invitations/{second.pk}/resend", {"language": "ar"})
    assert resent.status_code == 201, resent.content
    new = resent.json()
    assert new["id"] != second.pk
    assert (new["email"], new["role"], new["company_id"], new["client_role"]) == (
        "two@acme-dental.com",
        "client",
        company.pk,
        "member",
    )
    assert len(mail.outbox) == 3
    new_link = re.search(r"/accounts/invite/(\S+)/", mail.outbox[2].body).group(1)
    assert new_link != old_link
    # The old link stops working, the new one works.
    assert Client().get(f"/accounts/invite/{old_link}/").status_code == 404
    assert Client().get(f"/accounts/invite/{new_link}/").status_code == 200
    second.refresh_from_db()
    assert second.revoked_at is not None

    # A revoked or accepted invitation is not sent again.
    assert as_admin("POST", f"/api/invitations/{first.pk}/resend").json()["code"] == (
        "invitation_revoked"
    )
    services.invitation_accept(token=new_link, full_name="Two", password="a-long-passphrase-1")
    used = as_admin("POST", f"/api/invitations/{new['id']}/resend")
    assert (used.status_code, used.json()["code"]) == (409, "invitation_used")
    assert len(mail.outbox) == 3


def test_invitation_page_and_api_agree(admin, as_admin):
    created = as_admin("POST", "/api/invitations", {"email": "api@agency.test", "role": "manager"})
    page = login(admin)
    assert "api@agency.test" in page.get(reverse("crm:user_list")).content.decode()

    page.post(
        reverse("crm:user_invite"),
        {"email": "page@agency.test", "role": "agent", "language": "en"},
    )
    emails = [i["email"] for i in as_admin("GET", "/api/invitations").json()["items"]]
    assert set(emails) == {"api@agency.test", "page@agency.test"}

    page.post(reverse("crm:invitation_revoke", args=[created.json()["id"]]))
    emails = [i["email"] for i in as_admin("GET", "/api/invitations").json()["items"]]
    assert emails == ["page@agency.test"]
