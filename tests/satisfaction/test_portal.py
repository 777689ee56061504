"""The question in the portal: on a completed task's page and on the home page, answered
there (score and comment in one form); another company's survey does not exist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.satisfaction.models import AnsweredVia, Survey
from tests.conftest import login, make_user
from tests.portal.conftest import accepted
from tests.satisfaction.conftest import close_ticket

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_task_page_asks_and_takes_the_answer(survey, client_user):
    browser = login(client_user)
    task_url = reverse("portal:task_detail", kwargs={"pk": survey.task_id})
    html = page(browser, task_url)
    assert 'id="csat-prompt"' in html and "How did we do?" in html
    response = browser.post(
        reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk}),
        {"score": "5", "comment": "Great work", "next": task_url},
    )
    assert response.status_code == 302 and response["Location"] == task_url
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_via) == (
        5,
        "Great work",
        AnsweredVia.PORTAL,
    )
    assert survey.answered_by == client_user
    assert "You rated it 5 out of 5 (Very satisfied)." in page(browser, task_url)


def test_an_open_task_page_asks_nothing(on_duo, client_user, agent):
    task = accepted(client_user, agent)
    assert 'id="csat-prompt"' not in page(
        login(client_user), reverse("portal:task_detail", kwargs={"pk": task.pk})
    )


def test_the_home_page_lists_the_open_surveys(survey, client_user):
    browser = login(client_user)
    html = page(browser, reverse("portal:home"))
    assert 'id="csat-pending"' in html
    assert reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk}) in html
    Survey.objects.filter(pk=survey.pk).update(score=3, answered_at=clock.now())
    assert 'id="csat-pending"' not in page(browser, reverse("portal:home"))


def test_a_colleague_may_answer_and_a_bad_form_says_why(survey, company):
    colleague = make_user(
        "member@acme-dental.com", Role.CLIENT, company=company, client_role="member"
    )
    browser = login(colleague)
    url = reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})
    bad = browser.post(url, {"score": "9"})
    assert bad.status_code == 400 and 'id="err-score"' in bad.content.decode()
    assert browser.post(url, {"score": "1"}).status_code == 302
    survey.refresh_from_db()
    assert survey.answered_by == colleague


def test_an_answered_survey_takes_a_comment_once(survey, client_user):
    Survey.objects.filter(pk=survey.pk).update(
        score=4, answered_at=clock.now(), answered_via="email"
    )
    browser = login(client_user)
    url = reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})
    html = page(browser, url)
    assert "4 out of 5" in html and 'name="comment"' in html and 'name="score"' not in html
    assert browser.post(url, {"comment": "Added later"}).status_code == 302
    survey.refresh_from_db()
    assert survey.comment == "Added later" and survey.score == 4
    assert "Added later" in page(browser, url)


def test_a_closed_survey_says_so_and_records_nothing(survey, client_user, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: survey.expires_at + dt.timedelta(days=1))
    browser = login(client_user)
    url = reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})
    assert 'id="csat-closed"' in page(browser, url)
    response = browser.post(url, {"score": "5"})
    assert response.status_code == 400 and "closed on" in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_ticket_survey_is_answered_on_its_page(ticket, admin, client_user):
    close_ticket(ticket, admin)
    survey = ticket.csat_survey
    browser = login(client_user)
    url = reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})
    assert "Acme website" in page(browser, url)
    assert browser.post(url, {"score": "4"}).status_code == 302


def test_another_companys_survey_does_not_exist(survey, other_company, agent):
    other = make_user("o@other.example", Role.CLIENT, company=other_company, client_role="admin")
    url = reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})
    assert login(other).get(url).status_code == 404
    assert login(other).post(url, {"score": "1"}).status_code == 404
    assert login(agent).get(url).status_code == 404
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_an_outside_next_is_ignored(survey, client_user):
    response = login(client_user).post(
        reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk}),
        {"score": "4", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})
