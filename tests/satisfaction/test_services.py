"""Sending surveys when work ends (once), answering once, commenting, the settings."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import TaskCategory
from partnerdesk.satisfaction import services
from partnerdesk.satisfaction.events import CsatEvent
from partnerdesk.satisfaction.models import AnsweredVia, Survey, SurveySettings
from tests.conftest import make_user
from tests.satisfaction.conftest import close_ticket, complete_task, process

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- tasks


def test_a_completed_task_gets_one_survey_for_its_requester(
    survey, completed_task, client_user, agent
):
    assert survey.company_id == completed_task.company_id
    assert survey.recipient == client_user
    assert survey.recipient_email == client_user.email
    assert survey.agent == agent
    assert survey.language == client_user.language
    assert survey.score is None and survey.answered_at is None
    assert survey.expires_at - survey.sent_at == dt.timedelta(days=14)
    sent = Event.objects.for_subject(completed_task).get(kind=CsatEvent.SENT)
    assert sent.data == {"survey_id": survey.pk, "recipient_email": client_user.email}
    assert describe(sent) == f"Satisfaction survey sent to {client_user.email}"


def test_processing_the_completion_again_sends_nothing_more(survey, completed_task):
    process(PortalEvent.TASK_STATE_CHANGED, completed_task)
    services.survey_create_for_task(task=completed_task, by=SYSTEM)
    assert Survey.objects.filter(task=completed_task).count() == 1
    assert Event.objects.for_subject(completed_task).filter(kind=CsatEvent.SENT).count() == 1


def test_other_transitions_send_no_survey(on_duo, client_user, agent):
    task = portal_services.task_submit(
        by=client_user,
        title="Still open",
        category=TaskCategory.objects.get(name="HubSpot Administration"),
    )
    process(PortalEvent.TASK_STATE_CHANGED, task)
    assert services.survey_create_for_task(task=task, by=SYSTEM) is None
    assert not Survey.objects.exists()


def test_no_survey_when_tasks_are_off(on_duo, client_user, agent):
    SurveySettings.objects.update_or_create(pk=1, defaults={"enabled_for_tasks": False})
    task = complete_task(client_user, agent)
    process(PortalEvent.TASK_STATE_CHANGED, task)
    assert not Survey.objects.exists()


def test_no_survey_without_a_client_to_ask(on_duo, client_user, agent):
    task = complete_task(client_user, agent)
    client_user.is_active = False
    client_user.save()
    process(PortalEvent.TASK_STATE_CHANGED, task)
    assert not Survey.objects.exists()


def test_a_task_without_requester_asks_a_client_admin(on_duo, client_user, agent, company):
    task = complete_task(client_user, agent)
    type(task).objects.filter(pk=task.pk).update(requested_by=None)
    colleague = make_user(
        "member@acme-dental.com", Role.CLIENT, company=company, client_role="member"
    )
    process(PortalEvent.TASK_STATE_CHANGED, task)
    assert Survey.objects.get(task=task).recipient == client_user  # the client admin
    assert colleague != client_user


def test_the_survey_is_in_the_recipients_language(on_duo, client_user, agent):
    client_user.language = "it"
    client_user.save()
    task = complete_task(client_user, agent)
    process(PortalEvent.TASK_STATE_CHANGED, task)
    assert Survey.objects.get(task=task).language == "it"


# ---------------------------------------------------------------- tickets


def test_a_closed_ticket_with_a_contact_gets_a_survey(ticket, admin, client_user, agent):
    close_ticket(ticket, admin)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.recipient == client_user  # the contact's address is the client user's
    assert survey.recipient_email == "client@acme-dental.com"
    assert survey.agent == agent
    assert survey.company_id == ticket.company_id


def test_a_ticket_contact_without_an_account_is_asked_by_email(ticket, admin, contact):
    contact.email = "someone@acme-dental.com"
    contact.save()
    close_ticket(ticket, admin)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.recipient is None
    assert survey.recipient_email == "someone@acme-dental.com"
    assert survey.language == "en"


def test_no_ticket_survey_without_a_contact_email(ticket, admin, contact):
    contact.email = ""
    contact.save()
    close_ticket(ticket, admin)
    assert not Survey.objects.exists()


def test_no_ticket_survey_when_tickets_are_off(ticket, admin):
    SurveySettings.objects.update_or_create(pk=1, defaults={"enabled_for_tickets": False})
    close_ticket(ticket, admin)
    assert not Survey.objects.exists()


def test_an_open_stage_sends_nothing(ticket, admin):
    stage = ticket.pipeline.stages.filter(kind="open").exclude(pk=ticket.stage_id).first()
    if stage is None:
        pytest.skip("no second open stage")
    assert services.survey_create_for_ticket(ticket=ticket, by=SYSTEM) is None
    assert not Survey.objects.exists()


# ---------------------------------------------------------------- answering


def test_a_client_answers_once(survey, client_user):
    answered = services.survey_answer(survey=survey, by=client_user, score=4, comment=" Good ")
    assert (answered.score, answered.comment, answered.answered_via) == (
        4,
        "Good",
        AnsweredVia.PORTAL,
    )
    assert answered.answered_by == client_user and answered.commented_at is not None
    with pytest.raises(DomainError) as exc:
        services.survey_answer(survey=survey, by=client_user, score=1)
    assert (exc.value.code, exc.value.status) == ("already_answered", 409)
    survey.refresh_from_db()
    assert survey.score == 4
    event = Event.objects.get(kind=CsatEvent.ANSWERED)
    assert event.data == {"survey_id": survey.pk, "score": 4, "via": "portal", "comment": "Good"}
    assert describe(event) == "The client rated this 4 out of 5: “Good”"


@pytest.mark.parametrize("score", [0, 6, -1, True, "4", None, 4.0])
def test_a_score_outside_1_to_5_is_refused(survey, client_user, score):
    with pytest.raises(DomainError) as exc:
        services.survey_answer(survey=survey, by=client_user, score=score)
    assert (exc.value.code, exc.value.field) == ("invalid_score", "score")
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_only_a_user_of_the_company_answers(survey, agent, other_company):
    other = make_user("x@other.example", Role.CLIENT, company=other_company, client_role="admin")
    for user in (agent, other):
        with pytest.raises(DomainError) as exc:
            services.survey_answer(survey=survey, by=user, score=5)
        assert exc.value.code == "forbidden"


def test_a_closed_survey_records_nothing(survey, client_user, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: survey.expires_at)
    with pytest.raises(DomainError) as exc:
        services.survey_answer(survey=survey, by=client_user, score=5)
    assert (exc.value.code, exc.value.status) == ("expired", 410)
    survey.refresh_from_db()
    assert survey.answered_at is None
    assert not Event.objects.filter(kind=CsatEvent.ANSWERED).exists()


def test_a_comment_needs_an_answer_first_and_is_added_once(survey, client_user):
    with pytest.raises(DomainError) as exc:
        services.survey_comment(survey=survey, by=client_user, comment="Hello")
    assert exc.value.code == "not_answered"
    services.survey_answer(survey=survey, by=client_user, score=3)
    services.survey_comment(survey=survey, by=client_user, comment="Slow but fine")
    with pytest.raises(DomainError) as exc:
        services.survey_comment(survey=survey, by=client_user, comment="Again")
    assert exc.value.code == "already_commented"
    survey.refresh_from_db()
    assert survey.comment == "Slow but fine"
    event = Event.objects.get(kind=CsatEvent.COMMENTED)
    assert describe(event) == "The client commented on their rating: “Slow but fine”"


def test_a_long_comment_is_refused_on_its_field(survey, client_user):
    with pytest.raises(DomainError) as exc:
        services.survey_answer(survey=survey, by=client_user, score=3, comment="x" * 5001)
    assert (exc.value.code, exc.value.field) == ("too_long", "comment")


# ---------------------------------------------------------------- settings


def test_settings_change_the_next_surveys(admin, on_duo, client_user, agent):
    services.survey_settings_update(by=admin, link_valid_days=3, low_score_threshold=1)
    task = complete_task(client_user, agent)
    process(PortalEvent.TASK_STATE_CHANGED, task)
    survey = Survey.objects.get(task=task)
    assert survey.expires_at - survey.sent_at == dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("link_valid_days", 0, "invalid_days"),
        ("link_valid_days", 366, "invalid_days"),
        ("low_score_threshold", 5, "invalid_threshold"),
        ("low_score_threshold", -1, "invalid_threshold"),
        ("enabled_for_tasks", 1, "invalid"),
    ],
)
def test_settings_refuse_bad_values(admin, field, value, code):
    with pytest.raises(DomainError) as exc:
        services.survey_settings_update(by=admin, **{field: value})
    assert (exc.value.code, exc.value.field) == (code, field)


def test_only_admins_change_the_settings(agent):
    with pytest.raises(DomainError) as exc:
        services.survey_settings_update(by=agent, link_valid_days=3)
    assert exc.value.code == "forbidden"
