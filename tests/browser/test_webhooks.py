"""An admin registers a webhook in the UI, copies its secret (shown once), sees a delivery
that failed against a real local receiver, and replays it.

Events are dispatched (``PARTNERDESK_DISPATCH_EVENTS``) and tasks run with the ImmediateBackend,
so the delivery is made and sent as soon as the deal's creation commits; the ImmediateBackend
cannot defer, so the failed delivery waits (retrying) until the admin replays it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from django.db import transaction
from playwright.sync_api import Page, expect

from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.webhooks.models import Delivery, DeliveryStatus, Endpoint
from tests.webhooks import conftest as webhook_fixtures

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone

# The real local receiver of the webhook tests (tests/webhooks/conftest.py).
http_receiver = webhook_fixtures.http_receiver
receiver = webhook_fixtures.receiver


def _verifies(secret: str, header: str, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def create_endpoint(page: Page, url: str) -> str:
    """Through the Settings menu and the form; returns the secret the page shows once."""
    page.goto("/app/")
    open_nav(page).locator("details.menu summary").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page).to_have_url(re.compile(r"/app/settings/webhooks/$"))
    form = page.locator("form", has=page.get_by_role("heading", name="New webhook"))
    form.get_by_label("Name").fill("Warehouse sync")
    form.get_by_label("URL").fill(url)
    form.get_by_label("deal.created", exact=True).check()
    form.get_by_role("button", name="Create webhook").click()
    expect(page.get_by_text("Webhook created.")).to_be_visible()
    secret = page.locator("#new-secret code.token").inner_text().strip()
    assert secret.startswith("whsec_")
    return secret


def test_admin_creates_a_webhook_sees_a_delivery_and_replays_it(
    page, dispatch, receiver, admin, company
):
    sign_in(page, admin.email)
    secret = create_endpoint(page, f"{receiver.url}/partnerdesk")
    endpoint = Endpoint.objects.get(name="Warehouse sync")
    assert endpoint.event_kinds == ["deal.created"]
    assert secret not in endpoint.secret  # stored encrypted

    # Shown once: the endpoint's own page never shows it again.
    page.goto(f"/app/settings/webhooks/{endpoint.pk}/")
    expect(page.get_by_role("heading", name="Warehouse sync")).to_be_visible()
    assert secret not in page.content()

    # A deal is created; the receiver is down for the first attempt.
    receiver.fail_next(1, status=503)
    with transaction.atomic():
        deal = crm_services.deal_create(
            by=admin,
            name="Acme mailboxes",
            pipeline=Pipeline.objects.get(object_type="deal", name="Email Subscription"),
            company=company,
        )
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.RETRYING

    page.reload()
    row = page.locator("#results tr", has_text="deal.created")
    expect(row).to_contain_text("Retrying")
    expect(row).to_contain_text("HTTP 503")
    row.get_by_role("link", name=f"#{delivery.pk}").click()
    expect(page.locator("#delivery-status")).to_have_text("Retrying")
    expect(page.locator("#attempts")).to_contain_text("HTTP 503")
    expect(page.locator("#attempts")).to_contain_text("boom")
    expect(page.locator("pre.json").first).to_contain_text(f'"id": {deal.pk}')

    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Delivery queued to be sent again.")).to_be_visible()
    expect(page.locator("#delivery-status")).to_have_text("Delivered")
    attempts = page.locator("#attempts tbody tr")
    expect(attempts).to_have_count(2)
    expect(attempts.first).to_contain_text("HTTP 200")
    expect(attempts.first).to_contain_text("replay")

    first, second = receiver.received()
    assert first.body == second.body
    assert json.loads(second.body)["subject"] == {"type": "deal", "id": deal.pk}
    for request in (first, second):
        assert _verifies(secret, request.headers["Partnerdesk-Signature"], request.body)
