"""Reads: endpoints and deliveries, with what their pages show selected up front."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Delivery, DeliveryStatus, Endpoint


def endpoints() -> QuerySet[Endpoint]:
    return Endpoint.objects.order_by("name", "id")


def deliveries(
    *,
    endpoint_id: int | None = None,
    status: str | None = None,
    event_id: int | None = None,
) -> QuerySet[Delivery]:
    """Newest first. The rows carry their endpoint (lists name it); the body and the log are
    left for the delivery's own page."""
    qs = (
        Delivery.objects.select_related("endpoint")
        .defer("body", "endpoint__secret")
        .order_by("-created_at", "-id")
    )
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    return qs


def delivery_detail() -> QuerySet[Delivery]:
    """For one delivery's page: its endpoint, who replayed it and every attempt."""
    return Delivery.objects.select_related("endpoint", "replayed_by").prefetch_related(
        "attempt_log"
    )
