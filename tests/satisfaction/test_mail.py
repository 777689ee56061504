"""The survey email: sent once after the survey's transaction commits, in the recipient's
language, with five one-click links (each answers) and a link to the portal; retried after
a failure, never sent twice, not sent once the survey is answered."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from partnerdesk.core.permissions import SYSTEM
from partnerdesk.satisfaction import services
from partnerdesk.satisfaction.mail import send_survey_email
from partnerdesk.satisfaction.models import Survey
from tests.satisfaction.conftest import close_ticket, complete_task

pytestmark = pytest.mark.django_db

# A one-click link: a signed token (it holds colons) and a score.
LINK = re.compile(r"http://testserver(/csat/[^/\s\"]+:[^/\s\"]+/(\d)/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def send_task_survey(client_user, agent, capture, title="Clean up the lifecycle stages"):
    task = complete_task(client_user, agent, title)
    with capture(execute=True):
        survey = services.survey_create_for_task(task=task, by=SYSTEM)
    return survey


def test_the_email_asks_once_with_five_links_and_the_portal(
    on_duo, client_user, agent, django_capture_on_commit_callbacks
):
    survey = send_task_survey(client_user, agent, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [client_user.email]
    assert email.subject.endswith("How satisfied are you? Clean up the lifecycle stages")
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    html = email.alternatives[0][0]
    for text in (email.body, html):
        found = LINK.findall(text)
        assert [score for _path, score in found] == ["1", "2", "3", "4", "5"]
        assert f"/csat/portal/{survey.pk}/" in text
    assert "Your request “Clean up the lifecycle stages” is complete." in email.body
    survey.refresh_from_db()
    assert survey.emailed_at is not None and survey.email_attempts == 1
    # each of the five links is a working answer (the first click wins)
    path = LINK.findall(email.body)[3][0]
    assert Client().get(path).status_code == 200
    survey.refresh_from_db()
    assert survey.score == 4


def test_the_email_is_in_the_recipients_language(
    on_duo, client_user, agent, django_capture_on_commit_callbacks
):
    client_user.language = "ar"
    client_user.save()
    send_task_survey(client_user, agent, django_capture_on_commit_callbacks)
    assert 'lang="ar" dir="rtl"' in mail.outbox[0].alternatives[0][0]


def test_a_ticket_contact_without_an_account_gets_no_portal_link(
    ticket, admin, contact, django_capture_on_commit_callbacks
):
    contact.email = "someone@acme-dental.com"
    contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        close_ticket(ticket, admin)
    email = mail.outbox[-1]
    assert email.to == ["someone@acme-dental.com"]
    assert "Your ticket “Acme website” is closed." in email.body
    assert len(LINK.findall(email.body)) == 5
    assert "/csat/portal/" not in email.body


def test_the_email_is_sent_once(on_duo, client_user, agent, django_capture_on_commit_callbacks):
    survey = send_task_survey(client_user, agent, django_capture_on_commit_callbacks)
    assert send_survey_email(survey.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_is_released_and_retried(
    on_duo, client_user, agent, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    survey = send_task_survey(client_user, agent, django_capture_on_commit_callbacks)
    survey.refresh_from_db()
    assert survey.emailed_at is None and survey.email_claimed_at is None
    assert survey.email_attempts == 1 and "connection refused" in survey.email_error
    monkeypatch.undo()
    assert send_survey_email(survey.pk, attempt=1) is True
    survey.refresh_from_db()
    assert survey.emailed_at is not None and survey.email_error == ""
    assert len(mail.outbox) == 1


def test_a_survey_answered_before_its_email_is_not_sent(
    on_duo, client_user, agent, django_capture_on_commit_callbacks
):
    task = complete_task(client_user, agent)
    survey = services.survey_create_for_task(task=task, by=SYSTEM)  # its email not sent yet
    services.survey_answer(survey=survey, by=client_user, score=5)
    assert send_survey_email(survey.pk) is False
    assert mail.outbox == []
    assert Survey.objects.get(pk=survey.pk).emailed_at is None


def test_completing_a_task_sends_the_survey_through_the_outbox(
    dispatch, on_duo, client_user, agent, django_capture_on_commit_callbacks
):
    """The whole path: the approval's event, processed by the worker after commit, creates the
    survey, whose email leaves after that commit."""
    with django_capture_on_commit_callbacks(execute=True):
        task = complete_task(client_user, agent)
    survey = Survey.objects.get(task=task)
    assert survey.emailed_at is not None
    assert [m.to for m in mail.outbox if "How satisfied" in m.subject] == [[client_user.email]]
