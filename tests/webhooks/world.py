"""The webhook rows of the query-budget World (tests/budgets/world.py): a focus endpoint and
delivery whose pages are measured, and per unit an endpoint, a delivery and an attempt more."""

from __future__ import annotations

from django.utils import timezone

from partnerdesk.core.events import record_event
from partnerdesk.webhooks import services
from partnerdesk.webhooks.models import Attempt, Delivery, DeliveryStatus

UNIT_KIND = "budget.unit"  # once per delivery row on the delivery lists


def setup(world) -> None:
    world.webhook_endpoint, _secret = services.endpoint_create(
        by=world.admin, name="Focus hook", url="https://hooks.example.com/focus", all_events=True
    )
    world.webhook_delivery = _delivery(world, world.webhook_endpoint, "budget.focus")


def _delivery(world, endpoint, kind: str) -> Delivery:
    event = record_event(kind=kind, subject=world.deal, company_id=world.company.pk)
    return Delivery.objects.create(
        endpoint=endpoint,
        event=event,
        kind=kind,
        body=services.body_of(event),
        status=DeliveryStatus.FAILED,
        attempts=1,
        last_status_code=500,
        last_error="HTTP 500",
    )


def unit(world, i: int) -> None:
    endpoint, _secret = services.endpoint_create(
        by=world.admin,
        name=f"Webhook {i:03}",
        url=f"https://hooks.example.com/{i}",
        event_kinds=["deal.stage_changed", "ticket.created"],
    )
    _delivery(world, endpoint, "budget.other")
    _delivery(world, world.webhook_endpoint, UNIT_KIND)
    focus = world.webhook_delivery
    Attempt.objects.create(
        delivery=focus,
        number=i + 1,
        started_at=timezone.now(),
        duration_ms=12,
        request_headers={"Partnerdesk-Event": focus.kind},
        status_code=500,
        response_body=f"Attempt {i:03} failed",
        error="HTTP 500",
    )
