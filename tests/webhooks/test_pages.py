"""Settings → Webhooks pages: create (the secret shown once), edit, rotate, delete, deliveries
and replay."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from partnerdesk.automation import engine
from partnerdesk.core import crypto
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from partnerdesk.webhooks.models import Delivery, DeliveryStatus, Endpoint
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_create_shows_the_secret_once_then_never(admin, receiver):
    web = login(admin)
    response = web.post(
        reverse("webhooks:endpoint_list"),
        {
            "name": "Warehouse",
            "url": f"{receiver.url}/in",
            "enabled": "on",
            "event_kinds": ["deal.stage_changed", "ticket.created"],
        },
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    secret = crypto.decrypt(endpoint.secret)
    assert secret in response.content.decode()
    assert endpoint.event_kinds == ["deal.stage_changed", "ticket.created"]

    page = web.get(reverse("webhooks:endpoint_detail", kwargs={"pk": endpoint.pk}))
    assert page.status_code == 200
    assert secret not in page.content.decode()
    assert "Warehouse" in web.get(reverse("webhooks:endpoint_list")).content.decode()


def test_the_form_says_what_to_fix(admin):
    response = login(admin).post(
        reverse("webhooks:endpoint_list"), {"name": "Bad", "url": "ftp://example.com/"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="err-url"' in body and 'id="err-event_kinds"' in body
    assert not Endpoint.objects.exists()


def test_edit_rotate_and_delete(admin, make_endpoint):
    endpoint, secret = make_endpoint()
    web = login(admin)
    url = reverse("webhooks:endpoint_detail", kwargs={"pk": endpoint.pk})
    response = web.post(
        url, {"action": "save", "name": "Renamed", "url": endpoint.url, "all_events": "on"}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.enabled) == ("Renamed", False)

    response = web.post(url, {"action": "rotate"})
    endpoint.refresh_from_db()
    new = crypto.decrypt(endpoint.secret)
    assert new != secret and new in response.content.decode()

    response = web.post(reverse("webhooks:endpoint_delete", kwargs={"pk": endpoint.pk}))
    assert response.status_code == 302
    assert not Endpoint.objects.exists()


def test_deliveries_attempts_and_replay(
    admin, receiver, make_endpoint, company, email_pipeline, django_capture_on_commit_callbacks
):
    make_endpoint()
    receiver.fail_next(1, status=500)
    with transaction.atomic():
        crm.deal_create(by=admin, name="Page deal", pipeline=email_pipeline, company=company)
    with django_capture_on_commit_callbacks(execute=True):
        engine.process_event(Event.objects.get(kind="deal.created").pk)
    delivery = Delivery.objects.get()
    Delivery.objects.update(status=DeliveryStatus.FAILED)
    web = login(admin)

    listing = web.get(reverse("webhooks:delivery_list"), {"status": "failed"}).content.decode()
    assert f"#{delivery.pk}" in listing and "HTTP 500" in listing
    detail_url = reverse("webhooks:delivery_detail", kwargs={"pk": delivery.pk})
    detail = web.get(detail_url).content.decode()
    assert (
        "boom" in detail
        and "Replay" in detail
        and "&quot;kind&quot;: &quot;deal.created&quot;" in detail
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("webhooks:delivery_replay", kwargs={"pk": delivery.pk}))
    assert response.status_code == 302 and response["Location"] == detail_url
    delivery.refresh_from_db()
    assert (delivery.status, delivery.round) == (DeliveryStatus.SUCCEEDED, 1)
    assert delivery.attempt_log.count() == 2
    # Replaying what is being sent is refused with a message, nothing changes.
    Delivery.objects.update(status=DeliveryStatus.PENDING)
    response = web.post(
        reverse("webhooks:delivery_replay", kwargs={"pk": delivery.pk}), follow=True
    )
    assert "being sent already" in response.content.decode()
    assert Delivery.objects.get().round == 1


def test_pages_are_for_admins(agent, client_user, make_endpoint):
    endpoint, _secret = make_endpoint()
    url = reverse("webhooks:endpoint_detail", kwargs={"pk": endpoint.pk})
    assert login(agent).get(url).status_code == 403
    assert login(client_user).get(url).status_code == 404
    assert login(agent).post(url, {"action": "rotate"}).status_code == 403
    assert Endpoint.objects.get().secret == endpoint.secret


def test_settings_menu_links_the_page(admin, agent):
    link = reverse("webhooks:endpoint_list")
    assert link in login(admin).get(reverse("dashboard:home")).content.decode()
    assert link not in login(agent).get(reverse("dashboard:home")).content.decode()
