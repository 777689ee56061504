import pytest

from partnerdesk.accounts.models import Team
from partnerdesk.accounts.services import team_save
from partnerdesk.core.errors import DomainError
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_team_save_sets_members_and_lead(admin, agent, manager):
    team = team_save(by=admin, name="Night shift", members=[agent, manager], lead=agent)
    assert set(team.members.all()) == {agent, manager}
    assert team.lead == agent


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": " "}, "required"),
        ({"name": "Support Team"}, "duplicate_team"),  # installed by default (case-insensitive)
    ],
)
def test_team_save_refuses(admin, kwargs, code):
    with pytest.raises(DomainError) as exc:
        team_save(by=admin, **kwargs)
    assert exc.value.code == code


def test_lead_must_be_a_member_and_members_staff(admin, agent, manager, client_user):
    with pytest.raises(DomainError) as exc:
        team_save(by=admin, name="A", members=[agent], lead=manager)
    assert exc.value.code == "invalid_lead"
    with pytest.raises(DomainError) as exc:
        team_save(by=admin, name="B", members=[client_user])
    assert exc.value.code == "invalid_member"


def test_only_admins_change_teams(agent):
    with pytest.raises(DomainError) as exc:
        team_save(by=agent, name="Mine")
    assert exc.value.status == 403


def test_team_pages(admin, agent):
    client = login(admin)
    assert client.get("/app/settings/teams/").status_code == 200
    response = client.post(
        "/app/settings/teams/", {"name": "Web", "members": [agent.pk], "lead": agent.pk}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Web")
    assert client.get(f"/app/settings/teams/{team.pk}/").status_code == 200
    response = client.post(
        f"/app/settings/teams/{team.pk}/", {"name": "Web", "members": [], "lead": agent.pk}
    )
    assert response.status_code == 400
    assert "The lead must be a member of the team." in response.content.decode()
    assert login(agent).get("/app/settings/teams/").status_code == 403
