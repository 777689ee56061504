"""The staff's answers list (filters, links to the task or ticket) and the admin settings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.core import clock
from partnerdesk.satisfaction import services
from partnerdesk.satisfaction.models import Survey, SurveySettings
from tests.conftest import login
from tests.satisfaction.conftest import close_ticket

pytestmark = pytest.mark.django_db

ANSWERS = reverse("satisfaction:answers")


@pytest.fixture
def answered(survey, ticket, admin):
    close_ticket(ticket, admin)
    Survey.objects.filter(pk=survey.pk).update(
        score=1, comment="Task comment", answered_at=clock.now(), answered_via="email"
    )
    Survey.objects.filter(ticket=ticket).update(
        score=5, comment="Ticket comment", answered_at=clock.now(), answered_via="portal"
    )
    return survey


def html(client, params=None) -> str:
    response = client.get(ANSWERS, params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_the_answers_list_links_each_answer(answered, agent, ticket):
    page = html(login(agent))
    assert "Task comment" in page and "Ticket comment" in page
    assert reverse("taskdesk:detail", kwargs={"pk": answered.task_id}) in page
    assert reverse("tickets:detail", kwargs={"pk": ticket.pk}) in page


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"score": "1"}, "Task comment", "Ticket comment"),
        ({"kind": "ticket"}, "Ticket comment", "Task comment"),
        ({"answered_from": "2999-01-01"}, "No answer matches", "Task comment"),
        ({"status": "pending"}, "No answer matches", "Task comment"),
        ({"score": "nonsense"}, "Task comment", "No answer matches"),  # a bad filter: ignored
    ],
)
def test_filters(answered, agent, params, shown, hidden):
    page = html(login(agent), params)
    assert shown in page and hidden not in page


def test_the_list_is_not_for_clients(answered, client_user):
    assert login(client_user).get(ANSWERS).status_code == 404


def test_an_admin_changes_the_settings(admin):
    url = reverse("satisfaction:settings")
    response = login(admin).post(
        url, {"enabled_for_tasks": "on", "link_valid_days": "7", "low_score_threshold": "1"}
    )
    assert response.status_code == 302
    row = SurveySettings.load()
    assert (row.enabled_for_tasks, row.enabled_for_tickets) == (True, False)
    assert (row.link_valid_days, row.low_score_threshold) == (7, 1)
    bad = login(admin).post(url, {"link_valid_days": "0", "low_score_threshold": "9"})
    assert bad.status_code == 400
    assert SurveySettings.load().link_valid_days == 7


def test_the_answer_is_on_the_tasks_timeline(survey, client_user, agent):
    services.survey_answer(survey=survey, by=client_user, score=2, comment="Too slow")
    page = login(agent).get(reverse("taskdesk:detail", kwargs={"pk": survey.task_id}))
    html_ = page.content.decode()
    assert "Satisfaction survey sent to client@acme-dental.com" in html_
    assert "The client rated this 2 out of 5: “Too slow”" in html_
