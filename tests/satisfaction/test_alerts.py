"""A low score notifies the team lead(s) of the agent asked about, once; otherwise nobody."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.models import Role, Team
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.satisfaction import services
from partnerdesk.satisfaction.events import CsatEvent
from partnerdesk.satisfaction.models import SurveySettings
from tests.conftest import make_user
from tests.satisfaction.conftest import close_ticket, process

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return make_user("lead@agency.test", Role.AGENT)


@pytest.fixture
def team(agent, lead):
    team = Team.objects.create(name="Website team", lead=lead)
    team.members.add(agent, lead)
    return team


def answer(survey, client_user, score, comment=""):
    services.survey_answer(survey=survey, by=client_user, score=score, comment=comment)
    process(CsatEvent.ANSWERED, survey.task or survey.ticket)


def alerts():
    return Notification.objects.filter(kind=Kind.CSAT_LOW)


def test_a_low_score_notifies_the_team_lead_once(survey, client_user, team, lead, manager):
    answer(survey, client_user, 2, "Took too long.")
    note = alerts().get()
    assert note.user == lead
    assert note.title == (
        "Low satisfaction score (2/5) from Acme Dental: Clean up the lifecycle stages"
    )
    assert "Took too long." in note.body and "Handled by Agent." in note.body
    assert note.url == f"/app/tasks/{survey.task_id}/"
    process(CsatEvent.ANSWERED, survey.task)  # processed again: no second notification
    assert alerts().count() == 1


def test_a_good_score_notifies_nobody(survey, client_user, team, manager):
    answer(survey, client_user, 3)
    assert not alerts().exists()


def test_without_a_team_the_admins_and_managers_hear_of_it(survey, client_user, admin, manager):
    answer(survey, client_user, 1)
    assert set(alerts().values_list("user__email", flat=True)) == {admin.email, manager.email}


def test_a_leads_own_low_score_goes_to_the_admins_and_managers(
    survey, client_user, agent, admin, manager
):
    team = Team.objects.create(name="Solo team", lead=agent)
    team.members.add(agent)
    answer(survey, client_user, 1)
    assert set(alerts().values_list("user", flat=True)) == {admin.pk, manager.pk}


def test_the_threshold_is_a_setting(survey, client_user, team, lead):
    SurveySettings.objects.update_or_create(pk=1, defaults={"low_score_threshold": 0})
    answer(survey, client_user, 1)
    assert not alerts().exists()


def test_a_ticket_survey_alert_links_to_the_ticket(ticket, admin, client_user, team, lead):
    close_ticket(ticket, admin)
    answer(ticket.csat_survey, client_user, 1)
    assert alerts().get().url == f"/app/tickets/{ticket.pk}/"
