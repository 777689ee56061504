"""Workflows through the API and the admin pages: create with a condition tree and ordered
actions, validation errors, list / get / put, run history; a workflow built this way runs."""

from __future__ import annotations

import json

import pytest

from partnerdesk.automation.defaults import WORKFLOWS
from partnerdesk.automation.models import (
    Action,
    IntegrationSettings,
    RunStatus,
    Workflow,
    WorkflowRun,
)
from partnerdesk.crm.models import Pipeline
from partnerdesk.notifications.models import Notification
from tests.automation import deal_pipeline, deal_stage, email_deal, move_deal, workflow
from tests.conftest import login

pytestmark = pytest.mark.django_db

CONDITIONS = {
    "all": [
        {"field": "deal.amount", "op": "gte", "value": 50},
        {
            "any": [
                {"field": "company.country", "op": "equals", "value": "EG"},
                {"field": "company.country", "op": "in", "value": "IT, AE"},
            ]
        },
    ]
}


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def put(client, path, body):
    return client.put(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def api(admin, api_client_for):
    return api_client_for(admin)


@pytest.fixture
def payload(agent, remote):
    return {
        "name": "Qualified deals in our countries",
        "trigger": "deal_stage_entered",
        "trigger_config": {
            "pipeline_id": deal_pipeline("Email Subscription").pk,
            "stage_id": deal_stage("Email Subscription", "Qualified").pk,
        },
        "conditions": CONDITIONS,
        "actions": [
            {
                "type": "set_property",
                "config": {"name": "domain_name", "value": "{{ company.domain }}"},
            },
            {
                "type": "notify",
                "config": {
                    "user_ids": [agent.pk],
                    "title": "Qualified: {{ deal.name }}",
                    "message": "{{ company.name }} for {{ deal.amount }} {{ deal.currency }}",
                },
            },
            {
                "type": "slack",
                "config": {"text": "{{ deal.name }} is qualified"},
                "secrets": {"webhook_url": remote.slack_url},
            },
        ],
    }


@pytest.mark.usefixtures("dispatch")
def test_a_workflow_created_through_the_api_runs(
    api, payload, admin, agent, company, other_company, remote, committed
):
    response = post(api, "/api/workflows", payload)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == payload["name"] and created["key"] == ""
    assert created["enabled"] is True
    assert created["trigger_config"] == payload["trigger_config"]
    assert created["conditions"] == CONDITIONS
    assert [(a["order"], a["type"]) for a in created["actions"]] == [
        (0, "set_property"),
        (1, "notify"),
        (2, "slack"),
    ]
    slack = created["actions"][2]
    assert slack["secrets_set"] == ["webhook_url"] and "webhook_url" not in slack["config"]
    stored = Action.objects.get(pk=slack["id"]).secrets["webhook_url"]
    assert remote.slack_url not in json.dumps(stored)  # encrypted at rest
    assert remote.slack_url not in json.dumps(api.get("/api/workflows").json())

    matching = email_deal(admin, company, properties={})  # Egypt, 70 USD
    other_company.country = "US"
    other_company.save()
    elsewhere = email_deal(admin, other_company, properties={})
    with committed():
        move_deal(matching, "Qualified", by=admin)
        move_deal(elsewhere, "Qualified", by=admin)

    matching.refresh_from_db()
    assert matching.properties["domain_name"] == "acme-dental.com"
    note = Notification.objects.get(user=agent)
    assert note.title == f"Qualified: {matching.name}"
    assert note.body == "Acme Dental for 70.00 USD"
    assert [p.body for p in remote.slack_posts] == [{"text": f"{matching.name} is qualified"}]
    assert remote.slack_posts[0].path == "/slack/T000/B000/XXXX"

    runs = api.get(f"/api/workflow-runs?workflow_id={created['id']}").json()
    assert runs["count"] == 2
    by_status = {item["status"]: item for item in runs["items"]}
    assert set(by_status) == {"succeeded", "skipped"}
    assert [e["action"] for e in by_status["succeeded"]["log"]] == [
        "set_property",
        "notify",
        "slack",
    ]
    assert by_status["succeeded"]["step"] == 3
    succeeded = api.get(f"/api/workflow-runs?workflow_id={created['id']}&status=succeeded").json()
    assert [i["id"] for i in succeeded["items"]] == [by_status["succeeded"]["id"]]
    assert api.get("/api/workflow-runs?status=failed").json()["count"] == 0
    one = api.get(f"/api/workflow-runs/{by_status['skipped']['id']}").json()
    assert one["status"] == "skipped" and one["log"] == []
    assert api.get("/api/workflow-runs/999999").status_code == 404
    assert api.get("/api/workflow-runs?status=exploded").status_code == 422


def test_list_get_and_put(api, payload, admin):
    created = post(api, "/api/workflows", payload).json()
    listed = api.get("/api/workflows?limit=200").json()
    assert listed["count"] == Workflow.objects.count() == len(WORKFLOWS) + 1  # the defaults
    assert {w["key"] for w in listed["items"]} >= {
        "email-won-new-client",
        "website-delivered-slack",
        "bug-issue-closed",
    }
    assert api.get(f"/api/workflows/{created['id']}").json() == created
    assert api.get("/api/workflows/999999").status_code == 404

    replaced = put(
        api,
        f"/api/workflows/{created['id']}",
        {
            **payload,
            "name": "Renamed",
            "enabled": False,
            "conditions": {},
            "actions": [{"type": "set_property", "config": {"name": "domain_name", "value": "x"}}],
        },
    )
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["name"], body["enabled"], body["conditions"]) == ("Renamed", False, {})
    assert [a["type"] for a in body["actions"]] == ["set_property"]
    assert Action.objects.filter(workflow_id=created["id"]).count() == 1

    kept = put(api, f"/api/workflows/{created['id']}", {**payload, "actions": None})
    assert [a["type"] for a in kept.json()["actions"]] == ["set_property"]  # actions untouched
    assert kept.json()["conditions"] == CONDITIONS
    missing = put(api, "/api/workflows/999999", payload)
    assert missing.status_code == 404


def test_an_admin_edits_a_default_workflow_through_the_api(api):
    default = workflow("website-delivered-slack")
    current = api.get(f"/api/workflows/{default.pk}").json()
    body = {k: current[k] for k in ("name", "trigger", "trigger_config", "conditions")} | {
        "enabled": True
    }
    assert put(api, f"/api/workflows/{default.pk}", body).status_code == 200
    default.refresh_from_db()
    assert default.enabled and default.key == "website-delivered-slack"
    assert default.actions.get().type == "slack"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {"conditions": {"all": [{"field": "deal.amount", "op": "bigger", "value": 1}]}},
            "invalid_conditions",
            "conditions",
        ),
        (
            {"conditions": {"all": [{"field": "user.email", "op": "is_set"}]}},
            "invalid_conditions",
            "conditions",
        ),
        (
            {"conditions": {"any": [{"field": "deal.amount", "op": "equals", "value": [1]}]}},
            "invalid_conditions",
            "conditions",
        ),
        ({"trigger_config": {"stage_id": 999_999}}, "invalid_stage", "stage_id"),
        ({"trigger_config": {"pipeline_id": 999_999}}, "not_found", "pipeline_id"),
        ({"trigger_config": {"product_id": 999_999}}, "not_found", "product_id"),
        ({"trigger": "deal_exploded"}, "invalid_input", "trigger"),
        ({"trigger_config": {"stage_kind": "maybe"}}, "invalid_input", "trigger_config.stage_kind"),
        ({"name": ""}, "invalid_input", "name"),
        ({"actions": [{"type": "move_stage", "config": {}}]}, "required", "stage_id"),
        ({"actions": [{"type": "create_ticket", "config": {}}]}, "required", "pipeline_id"),
        (
            {"actions": [{"type": "assign_owner", "config": {"mode": "lead"}}]},
            "required",
            "user_id",
        ),
        ({"actions": [{"type": "notify", "config": {"title": "Hi"}}]}, "required", "user_ids"),
        (
            {
                "actions": [
                    {"type": "notify", "config": {"include_owner": True, "title": "{% if %}"}}
                ]
            },
            "invalid_template",
            None,
        ),
        (
            {"actions": [{"type": "slack", "config": {}, "secrets": {"webhook_url": "ftp://x"}}]},
            "invalid_url",
            "webhook_url",
        ),
        ({"actions": [{"type": "teleport", "config": {}}]}, "invalid_input", "actions.0.type"),
        ({"extra": 1}, "invalid_input", "extra"),
    ],
)
def test_validation_errors(api, payload, change, code, field):
    before = Workflow.objects.count()
    response = post(api, "/api/workflows", {**payload, **change})
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["code"] == code
    assert problem["field"] == field
    assert Workflow.objects.count() == before  # nothing half-saved


def test_a_stage_of_another_pipeline_is_refused(api, payload):
    website_new = deal_stage("Website Creation", "New")
    response = post(
        api,
        "/api/workflows",
        {**payload, "trigger_config": {**payload["trigger_config"], "stage_id": website_new.pk}},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_stage"


@pytest.mark.parametrize("action_type", ["move_stage", "create_ticket"])
def test_an_action_naming_a_stage_that_does_not_exist_is_refused(api, payload, action_type):
    """A workflow whose action points at no stage could never succeed: refuse it when saved,
    as the trigger's stage is, instead of failing every run later."""
    creation = Pipeline.objects.get(object_type="ticket", name="Email Creation")
    config = {"stage_id": 999_999} | (
        {"pipeline_id": creation.pk} if action_type == "create_ticket" else {}
    )
    response = post(
        api, "/api/workflows", {**payload, "actions": [{"type": action_type, "config": config}]}
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "stage_id"


def test_a_failed_update_changes_nothing(api, payload):
    created = post(api, "/api/workflows", payload).json()
    bad = put(
        api,
        f"/api/workflows/{created['id']}",
        {**payload, "name": "Half", "actions": [{"type": "move_stage", "config": {}}]},
    )
    assert bad.status_code == 422
    assert api.get(f"/api/workflows/{created['id']}").json() == created


def test_only_admins_change_workflows(agent, client_user, payload, api_client_for):
    as_agent = api_client_for(agent)
    refused = post(as_agent, "/api/workflows", payload)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert as_agent.get("/api/workflows").status_code == 200  # staff may read them
    as_client = api_client_for(client_user)
    assert as_client.get("/api/workflows").status_code == 404
    assert as_client.get("/api/workflow-runs").status_code == 404
    assert post(as_client, "/api/workflows", payload).status_code == 404


# ---------------------------------------------------------------- the admin pages


def test_an_admin_builds_a_workflow_in_the_forms(admin, agent):
    web = login(admin)
    qualified = deal_stage("Email Subscription", "Qualified")
    response = web.post(
        "/app/settings/automations/",
        {
            "name": "Qualified → notify",
            "enabled": "on",
            "trigger": "deal_stage_entered",
            "pipeline_id": qualified.pipeline_id,
            "stage_id": qualified.pk,
            "match": "all",
        },
    )
    assert response.status_code == 302
    wf = Workflow.objects.get(name="Qualified → notify")
    edit = f"/app/settings/automations/{wf.pk}/"
    assert response["Location"] == edit
    assert wf.trigger_config == {"pipeline_id": qualified.pipeline_id, "stage_id": qualified.pk}

    for field, op, value in [
        ("deal.amount", "gte", "50"),
        ("company.country", "in", "EG, IT"),
        ("deal.stage_kind", "is_not_set", ""),
    ]:
        added = web.post(
            edit, {"action": "add_condition", "field": field, "op": op, "value": value}
        )
        assert added.status_code == 302
    wf.refresh_from_db()
    assert wf.conditions == {
        "all": [
            {"field": "deal.amount", "op": "gte", "value": "50"},
            {"field": "company.country", "op": "in", "value": "EG, IT"},
            {"field": "deal.stage_kind", "op": "is_not_set"},
        ]
    }
    bad = web.post(edit, {"action": "add_condition", "field": "deal.amount", "op": "bigger"})
    assert bad.status_code == 400
    wf.refresh_from_db()
    assert len(wf.conditions["all"]) == 3

    # Switch to "any" and remove the second condition.
    assert web.post(edit, {"action": "remove_condition", "index": 1}).status_code == 302
    saved = web.post(
        edit,
        {
            "action": "save",
            "name": "Qualified → notify",
            "enabled": "on",
            "trigger": "deal_stage_entered",
            "pipeline_id": qualified.pipeline_id,
            "stage_id": qualified.pk,
            "match": "any",
        },
    )
    assert saved.status_code == 302
    wf.refresh_from_db()
    assert wf.conditions == {
        "any": [
            {"field": "deal.amount", "op": "gte", "value": "50"},
            {"field": "deal.stage_kind", "op": "is_not_set"},
        ]
    }

    added = web.post(
        edit,
        {
            "action": "add_action",
            "type": "notify",
            "user_ids": [agent.pk],
            "title": "Hi {{ deal.name }}",
        },
    )
    assert added.status_code == 302
    assert web.post(edit, {"action": "add_action", "type": "move_stage"}).status_code == 400
    [action] = wf.actions.all()
    assert action.type == "notify"
    assert action.config["user_ids"] == [agent.pk]
    assert action.config["title"] == "Hi {{ deal.name }}"

    assert web.post(edit, {"action": "disable"}).status_code == 302
    wf.refresh_from_db()
    assert not wf.enabled
    page = web.get(edit).content.decode()
    assert "It has not run yet." in page and "deal.amount" in page
    assert login(agent).get(edit).status_code == 403


def test_removing_a_condition_in_the_form_removes_that_condition(api, admin, payload):
    """The page lists the top-level conditions of a tree that also holds a nested group (made
    through the API); "Remove" next to one of them removes that one, not the group."""
    created = post(api, "/api/workflows", payload).json()  # {"all": [leaf, {"any": [...]}]}
    tree = {"all": [CONDITIONS["all"][1], CONDITIONS["all"][0]]}  # the group first
    put(api, f"/api/workflows/{created['id']}", {**payload, "conditions": tree, "actions": None})
    web = login(admin)
    edit = f"/app/settings/automations/{created['id']}/"
    page = web.get(edit).content.decode()
    assert 'name="index" value="0"' in page and "deal.amount" in page

    web.post(edit, {"action": "remove_condition", "index": 0})  # the only listed: deal.amount

    wf = Workflow.objects.get(pk=created["id"])
    assert wf.conditions == {"all": [CONDITIONS["all"][1]]}


@pytest.mark.usefixtures("dispatch")
def test_the_edit_page_shows_the_run_history(admin, company, support_lead, committed):
    deal = email_deal(admin, company)
    with committed():
        move_deal(deal, "Closed Won", by=admin)
    wf = workflow("email-won-new-client")
    run = WorkflowRun.objects.get(workflow=wf)
    assert run.status == RunStatus.SUCCEEDED
    page = login(admin).get(f"/app/settings/automations/{wf.pk}/").content.decode()
    assert f"/app/settings/automations/runs/{run.pk}/" in page
    # What happened, naming the deal with a link to it.
    assert f'Deal <a href="/app/deals/{deal.pk}/"><strong>{deal.name}</strong></a> won' in page
    listing = login(admin).get("/app/settings/automations/").content.decode()
    assert "0 failed runs" in listing and wf.name in listing


def test_the_integrations_page_saves_and_never_shows_the_secrets(admin, agent, remote):
    web = login(admin)
    saved = web.post(
        "/app/settings/automations/integrations/",
        {
            "github_api_url": remote.url,
            "github_repository": "agency/backoffice",
            "github_token": "ghp_secret_value",
            "github_webhook_secret": "hook-secret-value",
            "slack_webhook_url": remote.slack_url,
        },
    )
    assert saved.status_code == 302
    integration = IntegrationSettings.load()
    assert integration.github_repository == "agency/backoffice"
    assert integration.secret("github_token") == "ghp_secret_value"
    assert "ghp_secret_value" not in json.dumps(integration.secrets)  # encrypted at rest

    page = web.get("/app/settings/automations/integrations/").content.decode()
    for secret in ("ghp_secret_value", "hook-secret-value", remote.slack_url):
        assert secret not in page
    assert "github_token, github_webhook_secret, slack_webhook_url" in page
    assert "/hooks/github/" in page

    # Blank secret fields keep the stored values; a malformed repository is refused.
    web.post(
        "/app/settings/automations/integrations/",
        {"github_api_url": remote.url, "github_repository": "agency/other"},
    )
    integration = IntegrationSettings.load()
    assert integration.github_repository == "agency/other"
    assert integration.secret("github_token") == "ghp_secret_value"
    bad = web.post(
        "/app/settings/automations/integrations/",
        {"github_api_url": remote.url, "github_repository": "not a repo"},
    )
    assert bad.status_code == 400
    assert IntegrationSettings.load().github_repository == "agency/other"
    assert login(agent).get("/app/settings/automations/integrations/").status_code == 403
