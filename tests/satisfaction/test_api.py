"""The satisfaction API: staff read every survey, a client their company's (another company's
is a 404); a client answers once (409 after, 410 when closed, 422 for a bad score)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.satisfaction.models import Survey
from partnerdesk.tickets import services as ticket_services
from tests.conftest import make_user
from tests.satisfaction.conftest import close_ticket

pytestmark = pytest.mark.django_db

LIST = "/api/satisfaction/surveys"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def foreign_survey(admin, other_company, agent, on_duo):
    """A survey of the other company (its ticket closed for its contact)."""
    make_user("o@other.example", Role.CLIENT, company=other_company, client_role="admin")
    contact = crm_services.contact_create(
        by=admin, first_name="O", email="o@other.example", company=other_company
    )
    ticket = ticket_services.ticket_create(
        by=admin,
        pipeline=Pipeline.objects.get(object_type="ticket", name="Website Creation"),
        company=other_company,
        contact=contact,
        owner=agent,
        name="Other website",
    )
    close_ticket(ticket, admin)
    return Survey.objects.get(ticket=ticket)


def test_staff_list_every_survey(survey, foreign_survey, agent, api_client_for):
    data = api_client_for(agent).get(LIST).json()
    assert {item["id"] for item in data["items"]} == {survey.pk, foreign_survey.pk}
    assert data["count"] == 2


def test_a_client_lists_only_their_companys(survey, foreign_survey, client_user, api_client_for):
    data = api_client_for(client_user).get(LIST).json()
    assert [item["id"] for item in data["items"]] == [survey.pk]
    item = data["items"][0]
    assert item["kind"] == "task" and item["task"]["id"] == survey.task_id
    assert item["company"]["name"] == "Acme Dental" and item["score"] is None


def test_filters(survey, foreign_survey, client_user, agent, api_client_for):
    Survey.objects.filter(pk=survey.pk).update(score=2, answered_at=clock.now())
    staff = api_client_for(agent)
    assert [i["id"] for i in staff.get(LIST, {"answered": "true"}).json()["items"]] == [survey.pk]
    assert [i["id"] for i in staff.get(LIST, {"answered": "false"}).json()["items"]] == [
        foreign_survey.pk
    ]
    assert [i["id"] for i in staff.get(LIST, {"kind": "ticket"}).json()["items"]] == [
        foreign_survey.pk
    ]
    assert staff.get(LIST, {"score": 2}).json()["count"] == 1
    assert staff.get(LIST, {"score": 6}).status_code == 422


def test_one_survey_and_another_companys(survey, foreign_survey, client_user, api_client_for):
    client = api_client_for(client_user)
    assert client.get(f"{LIST}/{survey.pk}").json()["id"] == survey.pk
    foreign = client.get(f"{LIST}/{foreign_survey.pk}")
    missing = client.get(f"{LIST}/999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_a_client_answers_once(survey, client_user, api_client_for):
    client = api_client_for(client_user)
    url = f"{LIST}/{survey.pk}/answer"
    response = post(client, url, {"score": 5, "comment": "Spot on"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["score"], body["comment"], body["answered_via"]) == (5, "Spot on", "api")
    again = post(client, url, {"score": 1})
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    survey.refresh_from_db()
    assert survey.score == 5


@pytest.mark.parametrize(
    "body", [{"score": 0}, {"score": 6}, {"score": "5"}, {"score": True}, {}, {"score": 3, "x": 1}]
)
def test_a_bad_answer_is_a_422(survey, client_user, api_client_for, body):
    response = post(api_client_for(client_user), f"{LIST}/{survey.pk}/answer", body)
    assert response.status_code == 422
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_closed_survey_is_a_410(survey, client_user, api_client_for):
    Survey.objects.filter(pk=survey.pk).update(
        sent_at=clock.now() - dt.timedelta(days=20), expires_at=clock.now() - dt.timedelta(days=6)
    )
    response = post(api_client_for(client_user), f"{LIST}/{survey.pk}/answer", {"score": 5})
    assert response.status_code == 410 and response.json()["code"] == "expired"


def test_staff_and_other_clients_cannot_answer(survey, foreign_survey, agent, api_client_for):
    url = f"{LIST}/{survey.pk}/answer"
    assert post(api_client_for(agent), url, {"score": 5}).status_code == 403
    other = foreign_survey.recipient
    assert post(api_client_for(other), url, {"score": 5}).status_code == 404
    survey.refresh_from_db()
    assert survey.answered_at is None
