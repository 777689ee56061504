"""The webhooks API: endpoints (the secret once), deliveries with their attempts, replay."""

from __future__ import annotations

import pytest
from django.db import transaction

from partnerdesk.automation import engine
from partnerdesk.core import crypto
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from partnerdesk.webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(api_client_for, admin):
    return api_client_for(admin)


def _post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_create_shows_the_secret_once(admin_api, receiver):
    response = _post(
        admin_api,
        "/api/webhooks",
        {"name": "CRM sync", "url": receiver.url, "event_kinds": ["deal.stage_changed"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert crypto.decrypt(endpoint.secret) == secret
    assert body["event_kinds"] == ["deal.stage_changed"] and body["all_events"] is False

    again = admin_api.get(f"/api/webhooks/{endpoint.pk}").json()
    assert "secret" not in again
    listed = admin_api.get("/api/webhooks").json()
    assert [e["id"] for e in listed["items"]] == [endpoint.pk]
    assert secret not in str(listed)


def test_unknown_kinds_and_bad_urls_are_problems(admin_api):
    response = _post(
        admin_api, "/api/webhooks", {"name": "x", "url": "https://e.com", "event_kinds": ["nope"]}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "event_kinds.0"
    response = _post(admin_api, "/api/webhooks", {"name": "x", "url": "file:///etc/passwd"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"url", "event_kinds"}
    assert not Endpoint.objects.exists()


def test_patch_changes_only_what_is_sent_and_rotate_gives_a_new_secret(admin_api, make_endpoint):
    endpoint, secret = make_endpoint(event_kinds=["deal.created"])
    body = _patch(admin_api, f"/api/webhooks/{endpoint.pk}", {"enabled": False}).json()
    assert (body["enabled"], body["event_kinds"], body["name"]) == (
        False,
        ["deal.created"],
        "Receiver",
    )
    rotated = _post(admin_api, f"/api/webhooks/{endpoint.pk}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != secret
    endpoint.refresh_from_db()
    assert crypto.decrypt(endpoint.secret) == new


def test_delete_removes_the_endpoint_and_its_deliveries(admin_api, make_endpoint, deal):
    endpoint, _secret = make_endpoint()
    Delivery.objects.create(
        endpoint=endpoint, event=Event.objects.first(), kind="deal.created", body="{}"
    )
    assert admin_api.delete(f"/api/webhooks/{endpoint.pk}").status_code == 204
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    assert admin_api.get(f"/api/webhooks/{endpoint.pk}").status_code == 404


def test_deliveries_with_their_attempts_and_replay(
    admin_api,
    receiver,
    make_endpoint,
    admin,
    company,
    email_pipeline,
    django_capture_on_commit_callbacks,
):
    endpoint, _secret = make_endpoint()
    receiver.fail_next(1, status=502)
    with transaction.atomic():
        deal = crm.deal_create(by=admin, name="API deal", pipeline=email_pipeline, company=company)
    event = Event.objects.get(kind="deal.created", subject_id=deal.pk)
    with django_capture_on_commit_callbacks(execute=True):
        engine.process_event(event.pk)
    Delivery.objects.update(status=DeliveryStatus.FAILED)

    page = admin_api.get("/api/webhook-deliveries", {"status": "failed"}).json()
    assert page["count"] == 1
    [item] = page["items"]
    assert (item["event_id"], item["endpoint_id"], item["kind"]) == (
        event.pk,
        endpoint.pk,
        "deal.created",
    )
    assert item["last_status_code"] == 502
    assert admin_api.get("/api/webhook-deliveries", {"status": "succeeded"}).json()["count"] == 0

    detail = admin_api.get(f"/api/webhook-deliveries/{item['id']}").json()
    assert detail["payload"]["id"] == event.pk
    assert detail["payload"]["subject"] == {"type": "deal", "id": deal.pk}
    [attempt] = detail["attempt_log"]
    assert (attempt["status_code"], attempt["response_body"], attempt["error"]) == (
        502,
        "boom",
        "HTTP 502",
    )
    assert attempt["request_headers"]["Partnerdesk-Event"] == "deal.created"

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_api, f"/api/webhook-deliveries/{item['id']}/replay")
    assert response.status_code == 202
    assert response.json()["round"] == 1
    detail = admin_api.get(f"/api/webhook-deliveries/{item['id']}").json()
    assert detail["status"] == "succeeded"
    assert [(a["number"], a["round"], a["status_code"]) for a in detail["attempt_log"]] == [
        (2, 1, 200),
        (1, 0, 502),
    ]


def test_agents_read_but_do_not_change_and_clients_see_nothing(
    api_client_for, agent, client_user, make_endpoint
):
    endpoint, _secret = make_endpoint()
    staff = api_client_for(agent)
    assert staff.get("/api/webhooks").status_code == 200
    refused = _patch(staff, f"/api/webhooks/{endpoint.pk}", {"name": "Mine"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert _post(staff, f"/api/webhooks/{endpoint.pk}/rotate-secret").status_code == 403
    client = api_client_for(client_user)
    for url in ("/api/webhooks", f"/api/webhooks/{endpoint.pk}", "/api/webhook-deliveries"):
        assert client.get(url).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.name == "Receiver"


def test_the_schema_lists_the_kinds_and_explains_signing():
    from partnerdesk.api.api import api

    schema = api.get_openapi_schema()
    create = schema["paths"]["/api/webhooks"]["post"]
    assert "Partnerdesk-Signature" in create["description"]
    assert "deal.stage_changed" in str(schema["components"]["schemas"]["EndpointIn"])
