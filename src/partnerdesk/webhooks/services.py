"""Writes: endpoints (create, change, rotate the secret, delete), the deliveries an event
makes, and an admin's replay of a delivery."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.core import crypto
from partnerdesk.core.errors import DomainError, FieldError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import Actor, person, require_admin
from partnerdesk.core.records import UNSET, Unset, given, memoized

from . import signing, tasks
from .events import WebhookEvent
from .kinds import EVENT_KINDS
from .models import Delivery, DeliveryStatus, Endpoint

EDITABLE = ("name", "url", "enabled", "all_events", "event_kinds")
URL_MAX = 2000


# ---------------------------------------------------------------- endpoints


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > URL_MAX
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise DomainError(
            code="invalid_url",
            message=_("Enter a full http:// or https:// URL (at most 2000 characters)."),
            field="url",
        )
    return url


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    errors = []
    name = (fields.get("name") or "").strip()
    if not name or len(name) > 150:
        errors.append(FieldError("name", "invalid_name", _("Enter a name of 1 to 150 characters.")))
    try:
        url = _check_url(fields.get("url", ""))
    except DomainError as exc:
        errors.append(FieldError("url", exc.code, exc.message))
        url = ""
    kinds = list(dict.fromkeys(str(k) for k in fields.get("event_kinds") or ()))
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        errors.append(
            FieldError(
                "event_kinds",
                "unknown_event_kind",
                _("Unknown event kind(s): %(kinds)s.") % {"kinds": ", ".join(unknown)},
            )
        )
    all_events = bool(fields.get("all_events"))
    if not all_events and not kinds:
        errors.append(
            FieldError(
                "event_kinds",
                "no_event_kinds",
                _("Choose at least one event kind, or all events."),
            )
        )
    if errors:
        if len(errors) == 1:
            e = errors[0]
            raise DomainError(code=e.code, message=e.message, field=e.field)
        raise DomainError(
            code="invalid_endpoint",
            message=_("The endpoint was not saved: %(n)s fields need a change.")
            % {"n": len(errors)},
            errors=errors,
        )
    return {
        "name": name,
        "url": url,
        "all_events": all_events,
        "event_kinds": [] if all_events else kinds,
        "enabled": bool(fields.get("enabled", True)),
    }


def _summary(endpoint: Endpoint) -> dict[str, Any]:
    """What an endpoint's events say about it: never its URL (it may carry a token) nor its
    secret; the host is enough to tell endpoints apart."""
    return {
        "name": endpoint.name,
        "host": urlsplit(endpoint.url).hostname or "",
        "enabled": endpoint.enabled,
        "all_events": endpoint.all_events,
        "event_kinds": list(endpoint.event_kinds),
    }


@transaction.atomic
def endpoint_create(
    *,
    by: Actor,
    name: str,
    url: str,
    event_kinds: Iterable[str] = (),
    all_events: bool = False,
    enabled: bool = True,
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret in clear (the only time it is shown)."""
    require_admin(by, _("Only an admin can manage webhooks."))
    clean = _check(
        {
            "name": name,
            "url": url,
            "event_kinds": list(event_kinds),
            "all_events": all_events,
            "enabled": enabled,
        }
    )
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        **clean, secret=crypto.encrypt(secret), created_by=person(by)
    )
    record_event(kind=WebhookEvent.CREATED, subject=endpoint, actor=by, data=_summary(endpoint))
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    by: Actor,
    endpoint: Endpoint,
    name: str | Unset = UNSET,
    url: str | Unset = UNSET,
    enabled: bool | Unset = UNSET,
    all_events: bool | Unset = UNSET,
    event_kinds: Iterable[str] | Unset = UNSET,
) -> Endpoint:
    """Change the fields given (UNSET keeps a field's value)."""
    require_admin(by, _("Only an admin can manage webhooks."))
    fields = given(
        name=name, url=url, enabled=enabled, all_events=all_events, event_kinds=event_kinds
    )
    if "event_kinds" in fields:
        fields["event_kinds"] = list(fields["event_kinds"])
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    current = {name: getattr(endpoint, name) for name in EDITABLE}
    clean = _check({**current, **fields})
    changed = [name for name in EDITABLE if clean[name] != current[name]]
    if changed:
        for name in changed:
            setattr(endpoint, name, clean[name])
        endpoint.save(update_fields=[*changed, "updated_at"])
        record_event(
            kind=WebhookEvent.UPDATED,
            subject=endpoint,
            actor=by,
            data={**_summary(endpoint), "changed": changed},
        )
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, by: Actor, endpoint: Endpoint) -> tuple[Endpoint, str]:
    """A new signing secret (in clear, shown once); the old one stops at once."""
    require_admin(by, _("Only an admin can manage webhooks."))
    secret = signing.new_secret()
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = crypto.encrypt(secret)
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    record_event(
        kind=WebhookEvent.SECRET_ROTATED, subject=endpoint, actor=by, data=_summary(endpoint)
    )
    return endpoint, secret


@transaction.atomic
def endpoint_delete(*, by: Actor, endpoint: Endpoint) -> None:
    """Remove the endpoint with its deliveries and their log."""
    require_admin(by, _("Only an admin can manage webhooks."))
    record_event(kind=WebhookEvent.DELETED, subject=endpoint, actor=by, data=_summary(endpoint))
    endpoint.delete()


# ---------------------------------------------------------------- deliveries


def payload(event: Event) -> dict[str, Any]:
    """What a receiver gets for an event. ``data`` is the event's own data, where secret
    property values never are (a secret change is recorded as changed, value redacted)."""
    subject_type = ContentType.objects.get_for_id(event.subject_type_id)
    return {
        "id": event.pk,
        "kind": event.kind,
        "created_at": event.occurred_at.isoformat(),
        "subject": {"type": subject_type.model, "id": event.subject_id},
        "company_id": event.company_id,
        "data": event.data,
    }


def body_of(event: Event) -> str:
    return json.dumps(payload(event), separators=(",", ":"), default=str)


def deliveries_for_event(event: Event) -> list[int]:
    """Make the event's delivery to every enabled endpoint that takes its kind and existed when
    it happened: one row per (endpoint, event) whatever the number of calls (unique). Returns
    the ids made by this call (the ones to send)."""
    endpoints = [
        endpoint
        for endpoint in memoized(
            ("webhook_endpoints",), lambda: list(Endpoint.objects.filter(enabled=True))
        )
        if endpoint.created_at <= event.occurred_at and endpoint.takes(event.kind)
    ]
    if not endpoints:
        return []
    body = body_of(event)
    made = []
    for endpoint in endpoints:
        delivery, created = Delivery.objects.get_or_create(
            endpoint=endpoint, event=event, defaults={"kind": event.kind, "body": body}
        )
        if created:
            made.append(delivery.pk)
    return made


@transaction.atomic
def delivery_replay(*, by: Actor, delivery: Delivery) -> Delivery:
    """Send a delivery again (a new round of attempts with the same body and event id)."""
    require_admin(by, _("Only an admin can replay a webhook delivery."))
    delivery = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.enabled:
        raise conflict("endpoint_disabled", _("The endpoint is disabled: enable it, then replay."))
    if not delivery.replayable:
        raise conflict(
            "already_queued", _("This delivery is being sent already; wait for its outcome.")
        )
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.round += 1
    delivery.next_attempt_at = None
    delivery.last_error = ""
    delivery.replayed_at = now
    delivery.replayed_by = person(by)
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "round",
            "next_attempt_at",
            "last_error",
            "replayed_at",
            "replayed_by",
        ]
    )
    tasks.enqueue_after_commit([delivery.pk])
    return delivery
