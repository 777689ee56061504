"""The survey email's one-click links: a valid click records the score once; a forged,
tampered, reused or expired link records nothing and says why; the comment after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from partnerdesk.core import clock
from partnerdesk.core.models import Event
from partnerdesk.satisfaction import links
from partnerdesk.satisfaction.events import CsatEvent
from partnerdesk.satisfaction.models import AnsweredVia, Survey
from tests.conftest import login

pytestmark = pytest.mark.django_db


def click(survey, score, client=None, token=None):
    return (client or Client()).get(links.answer_path(survey, score, token))


def body(response) -> str:
    return response.content.decode()


def nothing_recorded(survey) -> None:
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.score is None
    assert not Event.objects.filter(kind=CsatEvent.ANSWERED).exists()


def test_one_click_records_the_score(survey):
    response = click(survey, 4)
    assert response.status_code == 200
    assert "You rated it 4 out of 5 (Satisfied)." in body(response)
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    survey.refresh_from_db()
    assert (survey.score, survey.answered_via, survey.answered_by) == (4, AnsweredVia.EMAIL, None)
    event = Event.objects.get(kind=CsatEvent.ANSWERED)
    assert event.actor is None and event.data["score"] == 4 and event.data["via"] == "email"


def test_the_page_speaks_the_surveys_language(survey):
    Survey.objects.filter(pk=survey.pk).update(language="ar")
    assert 'lang="ar" dir="rtl"' in body(click(survey, 5))


def test_a_forged_signature_records_nothing_and_says_why(survey):
    token = links.make_token(survey)
    payload, stamp, _signature = token.split(":")
    for forged in (
        f"{payload}:{stamp}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        token[:-2],
        "x",
    ):
        response = click(survey, 5, token=forged)
        assert response.status_code == 400
        assert "This link is not valid" in body(response)
    nothing_recorded(survey)


def test_another_surveys_id_in_the_token_is_refused(survey):
    other = signing.dumps({"s": survey.pk + 1}, salt="another salt", compress=False)
    payload = signing.b64_encode(b'{"s":%d}' % survey.pk).decode()
    _p, stamp, signature = links.make_token(survey).split(":")
    tampered = signing.b64_encode(b'{"s":%d}' % (survey.pk + 1)).decode() + f":{stamp}:{signature}"
    assert payload != tampered.split(":")[0]
    for token in (other, tampered):
        assert click(survey, 5, token=token).status_code == 400
    nothing_recorded(survey)


@pytest.mark.parametrize("score", ["0", "6", "9", "-1", "five", "4.5", "٤", "04"])
def test_a_score_we_did_not_send_is_not_a_link(survey, score):
    url = reverse("satisfaction:answer", kwargs={"token": links.make_token(survey), "score": score})
    response = Client().get(url)
    assert response.status_code == 400
    assert "This link is not valid" in body(response)
    nothing_recorded(survey)


def test_a_reused_link_records_nothing_and_says_when_it_was_answered(survey):
    assert click(survey, 4).status_code == 200
    again = click(survey, 1)
    assert again.status_code == 409
    assert "Already answered" in body(again)
    assert "with 4 out of 5" in body(again)
    survey.refresh_from_db()
    assert survey.score == 4
    assert Event.objects.filter(kind=CsatEvent.ANSWERED).count() == 1


def test_an_expired_link_records_nothing_and_says_when_it_expired(survey, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: survey.expires_at + dt.timedelta(minutes=1))
    response = click(survey, 5)
    assert response.status_code == 410
    assert "This link expired on" in body(response)
    nothing_recorded(survey)


def test_the_last_moment_before_expiry_still_counts(survey, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: survey.expires_at - dt.timedelta(seconds=1))
    assert click(survey, 5).status_code == 200


def test_only_get_records(survey):
    url = links.answer_path(survey, 5)
    assert Client().head(url).status_code == 405
    assert Client().post(url).status_code == 405
    nothing_recorded(survey)


def test_a_link_of_a_deleted_survey_is_not_valid(survey):
    url = links.answer_path(survey, 5)
    Survey.objects.filter(pk=survey.pk).delete()
    assert Client().get(url).status_code == 400


# ---------------------------------------------------------------- the comment after a click


def comment_form(response) -> tuple[str, str]:
    page = body(response)
    proof = page.split('name="proof" value="', 1)[1].split('"', 1)[0]
    action = page.split('id="csat-comment"', 1)[0].rsplit('action="', 1)[1].split('"', 1)[0]
    return action, proof


def test_a_comment_right_after_the_click_needs_no_sign_in(survey):
    browser = Client()
    action, proof = comment_form(click(survey, 2, client=browser))
    token = action.split("/")[2]  # /csat/<token>/comment/: the link's token (its own second)
    assert action == reverse("satisfaction:comment", kwargs={"token": token})
    assert links.read_token(token) == survey.pk
    response = browser.post(action, {"proof": proof, "comment": "The logo is still wrong."})
    assert response.status_code == 200
    assert "Your comment was added" in body(response)
    survey.refresh_from_db()
    assert survey.comment == "The logo is still wrong." and survey.commented_at is not None
    again = browser.post(action, {"proof": proof, "comment": "And another thing"})
    assert again.status_code == 409
    survey.refresh_from_db()
    assert survey.comment == "The logo is still wrong."


def test_an_old_link_asks_to_sign_in_for_the_comment(survey, monkeypatch, client_user):
    action, proof = comment_form(click(survey, 3))
    later = clock.now() + links.COMMENT_WINDOW + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = Client().post(action, {"proof": proof, "comment": "Late thought"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/csat/portal/")
    survey.refresh_from_db()
    assert survey.comment == ""
    # signed in as a user of the company, the same form adds it
    response = login(client_user).post(action, {"proof": proof, "comment": "Late thought"})
    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.comment == "Late thought"


def test_a_forged_proof_is_no_proof(survey):
    action, _proof = comment_form(click(survey, 3))
    response = Client().post(action, {"proof": "forged", "comment": "Hi"})
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.comment == ""


def test_a_comment_that_is_too_long_is_shown_on_the_form(survey):
    action, proof = comment_form(click(survey, 3))
    response = Client().post(action, {"proof": proof, "comment": "x" * 5001})
    assert response.status_code == 400
    assert 'id="err-comment"' in body(response)


def test_a_comment_on_a_forged_link_is_not_valid(survey):
    url = reverse("satisfaction:comment", kwargs={"token": "forged:token:here"})
    assert Client().post(url, {"proof": "x", "comment": "Hi"}).status_code == 400
