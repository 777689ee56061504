"""JSON API for webhook endpoints and their deliveries (staff read, admins change)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, STAFF
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    fields_from,
    paginate,
    require_staff,
)

from . import selectors, services
from .kinds import EVENT_KINDS
from .models import Delivery, DeliveryStatus, Endpoint

router = Router(tags=["webhooks"])

EventKind = Literal[EVENT_KINDS]  # type: ignore[valid-type]
StatusName = Annotated[str, OneOf(DeliveryStatus)]
SIGNING = (
    "Each delivery is a POST of the event as JSON, signed in the `Partnerdesk-Signature` header "
    '(`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`); '
    "see docs/webhooks.md."
)


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    enabled: bool
    all_events: bool
    event_kinds: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    secret_rotated_at: dt.datetime | None


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="The signing secret: shown this once, stored encrypted")


class EndpointPage(Page):
    items: list[EndpointOut]


class EndpointIn(Strict):
    name: str = Field(..., min_length=1, max_length=150)
    url: str = Field(..., min_length=1, max_length=2000, description="http:// or https://")
    enabled: bool = True
    all_events: bool = Field(False, description="Every event, including kinds added later")
    event_kinds: list[EventKind] = Field([], max_length=200)


class EndpointPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=150)
    url: str | None = Field(None, min_length=1, max_length=2000)
    enabled: bool | None = None
    all_events: bool | None = None
    event_kinds: list[EventKind] | None = Field(None, max_length=200)


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: int
    kind: str
    status: str
    attempts: int = Field(description="Attempts in the current round (a replay starts a round)")
    round: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None
    replayed_at: dt.datetime | None
    created_at: dt.datetime


class AttemptOut(Schema):
    number: int
    round: int
    started_at: dt.datetime
    duration_ms: int
    request_headers: dict[str, str]
    status_code: int | None
    response_body: str = Field(description="The first 4 KB of the response")
    error: str
    succeeded: bool


class DeliveryDetail(DeliveryOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryPage(Page):
    items: list[DeliveryOut]


class DeliveryFilters(Schema):
    endpoint_id: int | None = Field(None, ge=1, le=MAX_ID)
    event_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: StatusName | None = None


def _endpoint(endpoint: Endpoint, user=None) -> Endpoint:
    return endpoint


def _delivery_detail(delivery: Delivery) -> dict:
    return {
        **{name: getattr(delivery, name) for name in DeliveryOut.model_fields},
        "payload": json.loads(delivery.body),
        "attempt_log": list(delivery.attempt_log.all()),
    }


def _get_endpoint(endpoint_id: int) -> Endpoint:
    return get_object_or_404(Endpoint, pk=endpoint_id)


@router.get("/webhooks", auth=STAFF, response=EndpointPage, summary="Webhook endpoints")
def list_endpoints(request, page: Query[PageParams]):
    require_staff(request)
    return paginate(selectors.endpoints(), page, _endpoint)


@router.post(
    "/webhooks",
    auth=ADMIN,
    response={201: EndpointWithSecret, 403: Problem, 404: Problem, 422: Problem},
    summary="Register a webhook endpoint",
    description=SIGNING,
)
def create_endpoint(request, payload: EndpointIn):
    require_staff(request)
    endpoint, secret = services.endpoint_create(by=request.auth, **payload.model_dump())
    return Status(201, {**EndpointOut.model_validate(endpoint).model_dump(), "secret": secret})


@router.get("/webhooks/{endpoint_id}", auth=STAFF, response={200: EndpointOut, 404: Problem})
def get_endpoint(request, endpoint_id: int = Id):
    require_staff(request)
    return _get_endpoint(endpoint_id)


@router.patch(
    "/webhooks/{endpoint_id}",
    auth=ADMIN,
    response={200: EndpointOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Change a webhook endpoint (only the fields sent)",
)
def update_endpoint(request, payload: EndpointPatch, endpoint_id: int = Id):
    require_staff(request)
    endpoint = _get_endpoint(endpoint_id)
    fields = fields_from(payload, services.EDITABLE, partial=True)
    return services.endpoint_update(by=request.auth, endpoint=endpoint, **fields)


@router.delete(
    "/webhooks/{endpoint_id}",
    auth=ADMIN,
    response={204: None, 403: Problem, 404: Problem},
    summary="Delete a webhook endpoint with its deliveries",
)
def delete_endpoint(request, endpoint_id: int = Id):
    require_staff(request)
    services.endpoint_delete(by=request.auth, endpoint=_get_endpoint(endpoint_id))
    return Status(204, None)


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    auth=ADMIN,
    response={200: EndpointWithSecret, 403: Problem, 404: Problem},
    summary="Replace the signing secret (the new one is shown this once)",
)
def rotate_secret(request, endpoint_id: int = Id):
    require_staff(request)
    endpoint, secret = services.endpoint_rotate_secret(
        by=request.auth, endpoint=_get_endpoint(endpoint_id)
    )
    return {**EndpointOut.model_validate(endpoint).model_dump(), "secret": secret}


@router.get(
    "/webhook-deliveries", auth=STAFF, response=DeliveryPage, summary="Deliveries, newest first"
)
def list_deliveries(request, filters: Query[DeliveryFilters], page: Query[PageParams]):
    require_staff(request)
    qs = selectors.deliveries(
        endpoint_id=filters.endpoint_id, status=filters.status, event_id=filters.event_id
    )
    return paginate(qs, page, lambda delivery, user: delivery)


@router.get(
    "/webhook-deliveries/{delivery_id}",
    auth=STAFF,
    response={200: DeliveryDetail, 404: Problem},
    summary="A delivery with its payload and every attempt's response",
)
def get_delivery(request, delivery_id: int = Id):
    require_staff(request)
    return _delivery_detail(get_object_or_404(selectors.delivery_detail(), pk=delivery_id))


@router.post(
    "/webhook-deliveries/{delivery_id}/replay",
    auth=ADMIN,
    response={202: DeliveryOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Send a delivery again (a new round of attempts)",
)
def replay_delivery(request, delivery_id: int = Id):
    require_staff(request)
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    delivery = services.delivery_replay(by=request.auth, delivery=delivery)
    return Status(202, Delivery.objects.get(pk=delivery.pk))
