"""Settings → Integrations through the API (issue 9, point 12): the same service as the page,
never a secret's value in an answer, only whether it is set; omitted secrets are kept, secrets
sent as "" are removed; bad input is a 422 naming the field."""

from __future__ import annotations

import json

import pytest

from partnerdesk.automation.models import IntegrationSettings
from partnerdesk.core.models import Event
from tests.conftest import login

pytestmark = pytest.mark.django_db

URL = "/api/integrations"
PAGE = "/app/settings/automations/integrations/"
TOKEN = "ghp_api_secret_token"
HOOK_SECRET = "api-hook-secret"
SLACK = "https://hooks.slack.com/services/T000/B000/secretpart"
SECRETS = (TOKEN, HOOK_SECRET, SLACK)
FULL = {
    "github_api_url": "https://github.example.com/api/v3",
    "github_repository": "agency/backoffice",
    "github_token": TOKEN,
    "github_webhook_secret": HOOK_SECRET,
    "slack_webhook_url": SLACK,
}


def send(client, method: str, body) -> object:
    return client.generic(method, URL, json.dumps(body), content_type="application/json")


@pytest.fixture
def api(admin, api_client_for):
    return api_client_for(admin)


@pytest.fixture
def saved(api):
    response = send(api, "PUT", FULL)
    assert response.status_code == 200, response.content
    return response


def stored() -> dict:
    integration = IntegrationSettings.load()
    return {
        "github_api_url": integration.github_api_url,
        "github_repository": integration.github_repository,
        **{name: integration.secret(name) for name in sorted(integration.secrets)},
    }


def assert_no_secret_in(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    for encrypted in (IntegrationSettings.load().secrets or {}).values():
        assert encrypted not in text


def test_a_fresh_install_has_nothing_set(api):
    body = api.get(URL).json()
    assert body == {
        "github_api_url": "https://api.github.com",
        "github_repository": "",
        "github_token_set": False,
        "github_webhook_secret_set": False,
        "slack_webhook_url_set": False,
        "github_webhook_url": "http://testserver/hooks/github/",
    }


def test_round_trip_answers_whether_each_secret_is_set_never_its_value(api, saved):
    expected = {
        "github_api_url": FULL["github_api_url"],
        "github_repository": "agency/backoffice",
        "github_token_set": True,
        "github_webhook_secret_set": True,
        "slack_webhook_url_set": True,
        "github_webhook_url": "http://testserver/hooks/github/",
    }
    assert saved.json() == expected
    assert api.get(URL).json() == expected
    assert stored() == FULL  # the values themselves are stored (encrypted at rest)
    assert TOKEN not in json.dumps(IntegrationSettings.load().secrets)


def test_secrets_are_in_no_answer_and_no_event(api, saved):
    answers = [
        saved,
        api.get(URL),
        send(api, "PATCH", {"github_repository": "agency/other"}),
        send(api, "PUT", {**FULL, "github_repository": "agency/third"}),
        send(api, "PUT", {**FULL, "github_api_url": "not a url"}),  # a 422 echoes nothing secret
    ]
    for response in answers:
        assert_no_secret_in(response.content.decode())
    # The timeline and the outbox (events) never carry them either: each save is recorded
    # with the names of the settings it changed, not their values.
    events = list(Event.objects.filter(kind="integrations.updated").values_list("data", flat=True))
    assert events and all(set(e) == {"changed"} for e in events)
    assert "github_token" in events[0]["changed"]
    assert_no_secret_in(json.dumps(list(Event.objects.values("kind", "data")), default=str))


def test_a_secret_omitted_is_kept(api, saved):
    response = send(
        api, "PUT", {"github_api_url": "https://api.github.com", "github_repository": "a/b"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["github_token_set"] is True
    assert stored() == {
        **FULL,
        "github_api_url": "https://api.github.com",
        "github_repository": "a/b",
    }
    # null reads as omitted
    response = send(api, "PATCH", {"github_token": None, "slack_webhook_url": None})
    assert response.status_code == 200, response.content
    assert stored()["github_token"] == TOKEN
    assert stored()["slack_webhook_url"] == SLACK


def test_a_secret_sent_as_empty_text_is_removed(api, saved):
    response = send(api, "PATCH", {"github_token": ""})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["github_token_set"] is False
    assert body["github_webhook_secret_set"] is True and body["slack_webhook_url_set"] is True
    assert "github_token" not in IntegrationSettings.load().secrets
    assert IntegrationSettings.load().secret("github_token") == ""

    response = send(api, "PUT", {**FULL, "github_token": None, "slack_webhook_url": "  "})
    assert response.status_code == 200, response.content
    assert set(IntegrationSettings.load().secrets) == {"github_webhook_secret"}
    assert api.get(URL).json()["slack_webhook_url_set"] is False


def test_patch_changes_only_what_is_sent(api, saved):
    response = send(api, "PATCH", {"github_repository": "agency/other"})
    assert response.status_code == 200, response.content
    assert stored() == {**FULL, "github_repository": "agency/other"}
    response = send(api, "PATCH", {"github_token": "ghp_rotated"})
    assert response.status_code == 200, response.content
    assert stored() == {**FULL, "github_repository": "agency/other", "github_token": "ghp_rotated"}
    # PUT is the whole form: a repository omitted is none (a blank field on the page).
    response = send(api, "PUT", {"github_api_url": FULL["github_api_url"]})
    assert response.status_code == 200, response.content
    assert stored()["github_repository"] == ""


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"slack_webhook_url": "not a url"}, "slack_webhook_url", "invalid_url"),
        ({"slack_webhook_url": "ftp://hooks.slack.com/x"}, "slack_webhook_url", "invalid_url"),
        ({"github_api_url": "api.github.com"}, "github_api_url", "invalid_url"),
        ({"github_repository": "not a repo"}, "github_repository", "invalid_repository"),
        ({"github_repository": "a/b/c"}, "github_repository", "invalid_repository"),
        ({"github_api_url": ""}, "github_api_url", "invalid_input"),  # PUT requires it
        ({"github_token": 12345}, "github_token", "invalid_input"),
        ({"unknown": "x"}, "unknown", "invalid_input"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(api, saved, change, field, code):
    for method in ("PUT", "PATCH"):
        body = {**FULL, **change} if method == "PUT" else change
        if method == "PATCH" and change == {"github_api_url": ""}:
            continue  # PATCH's min_length: same 422, checked below
        response = send(api, method, body)
        assert response.status_code == 422, (method, response.content)
        problem = response.json()
        assert problem["field"] == field, (method, problem)
        assert problem["code"] == code, (method, problem)
        assert_no_secret_in(response.content.decode())
    assert stored() == FULL  # nothing changed


def test_several_bad_fields_are_named_each(api, saved):
    response = send(
        api,
        "PATCH",
        {"github_api_url": "nope", "github_repository": "x", "slack_webhook_url": "nope"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_integrations"
    assert [e["field"] for e in problem["errors"]] == [
        "github_api_url",
        "github_repository",
        "slack_webhook_url",
    ]
    assert stored() == FULL


def test_refused_roles_learn_nothing_and_change_nothing(saved, agent, client_user, api_client_for):
    for user, status in ((agent, 403), (client_user, 404)):
        client = api_client_for(user)
        assert client.get(URL).status_code == status
        for method in ("PUT", "PATCH"):
            # even a malformed body gets the refusal, not a 422
            assert send(client, method, {"github_token": 5}).status_code == status
            assert send(client, method, {"github_token": ""}).status_code == status
    assert stored() == FULL


def test_saved_on_the_page_reads_the_same_through_the_api(admin, api):
    page_form = {**FULL}
    response = login(admin).post(PAGE, page_form)
    assert response.status_code == 302
    through_page = stored()
    body = api.get(URL).json()
    assert body["github_api_url"] == through_page["github_api_url"] == FULL["github_api_url"]
    assert body["github_repository"] == "agency/backoffice"
    assert body["github_token_set"] and body["github_webhook_secret_set"]
    assert body["slack_webhook_url_set"]
    # The same input through the API stores the same thing.
    IntegrationSettings.objects.all().delete()
    assert send(api, "PUT", FULL).status_code == 200
    assert stored() == through_page == FULL


def test_saved_through_the_api_reads_the_same_on_the_page(admin, api, saved):
    assert send(api, "PATCH", {"github_webhook_secret": ""}).status_code == 200
    page = login(admin).get(PAGE).content.decode()
    assert 'value="https://github.example.com/api/v3"' in page
    assert 'value="agency/backoffice"' in page
    assert "github_token, slack_webhook_url" in page  # the secrets stored, by name
    assert_no_secret_in(page)
    # A blank secret field on the page keeps what the API stored; a bad Slack URL on the page is
    # refused beside its field, as by the API.
    web = login(admin)
    assert web.post(PAGE, {"github_api_url": FULL["github_api_url"]}).status_code == 302
    assert stored()["github_token"] == TOKEN
    bad = web.post(PAGE, {"github_api_url": FULL["github_api_url"], "slack_webhook_url": "nope"})
    assert bad.status_code == 400
    assert "Enter a full http:// or https:// URL" in bad.content.decode()
    assert stored()["slack_webhook_url"] == SLACK
