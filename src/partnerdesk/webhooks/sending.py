"""Sending one delivery: claim it, POST it (signed, short timeout, no redirects), log the
attempt with its response, and decide what comes next (done, retry later, failed).

The HTTP call happens outside any transaction and after the claim (a conditional UPDATE), so
two workers never send the same delivery at once; a worker that dies mid-send leaves the
delivery "sending", and the sweep hands it back after ``STUCK_AFTER`` (so a delivery is sent at
least once; receivers deduplicate by the event ``id``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import httpx
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from partnerdesk.core import crypto

from . import signing
from .models import Attempt, Delivery, DeliveryStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # per round; then the delivery is failed (an admin may replay it)
TIMEOUT_SECONDS = 10.0
BODY_LIMIT = 4096  # bytes of the response kept with the attempt
STUCK_AFTER = dt.timedelta(minutes=5)  # "sending" longer than this: the worker died
USER_AGENT = "Partnerdesk-Webhooks/1"


def backoff(attempt: int) -> dt.timedelta:
    """1 min, 2 min, 4 min … after the n-th failed attempt, at most 1 hour."""
    return dt.timedelta(seconds=min(3600, 60 * 2 ** max(0, attempt - 1)))


@dataclass
class Response:
    status_code: int | None = None
    body: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Outcome:
    status: str
    retry_at: dt.datetime | None = None


def _text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL; the body is only there for a person to read.
    return raw[:BODY_LIMIT].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST ``body``; never raises for what the receiver or the network does."""
    started = time.monotonic()
    result = Response()
    try:
        with (
            httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            result.status_code = response.status_code
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= BODY_LIMIT:
                    break
            result.body = _text(raw)
            if not result.ok:
                result.error = f"HTTP {response.status_code}"
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    result.error += f": redirects are not followed (Location: {location})"[:500]
    except httpx.HTTPError as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:2000] or type(exc).__name__
    except ValueError as exc:  # a URL httpx cannot use
        result.error = f"Invalid URL: {exc}"[:2000]
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def request_headers(delivery: Delivery, secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Partnerdesk-Event": delivery.kind,
        "Partnerdesk-Event-Id": str(delivery.event_id),
        "Partnerdesk-Delivery": str(delivery.pk),
        signing.HEADER: signing.header(secret, body),
    }


def _claim(delivery_id: int) -> Delivery | None:
    claimed = Delivery.objects.filter(
        pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    ).update(status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint").get(pk=delivery_id)


def attempt(delivery_id: int) -> Outcome:
    """Send the delivery once, if it is still to send; what to do next is in the outcome."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return Outcome("skipped")
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            attempts=F("attempts") - 1,
            claimed_at=None,
            next_attempt_at=None,
            last_error="The endpoint is disabled.",
        )
        return Outcome(DeliveryStatus.FAILED)
    body = delivery.body.encode()
    started_at = timezone.now()
    try:
        headers = request_headers(delivery, crypto.decrypt(endpoint.secret), body)
    except ValueError as exc:  # the encryption keys changed: nothing can be signed
        return _record(delivery, {}, Response(error=str(exc)), started_at=started_at)
    return _record(delivery, headers, post(endpoint.url, body, headers), started_at=started_at)


def _record(
    delivery: Delivery, headers: dict[str, str], response: Response, *, started_at: dt.datetime
) -> Outcome:
    now = timezone.now()
    if response.ok:
        status, retry_at = DeliveryStatus.SUCCEEDED, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        status, retry_at = DeliveryStatus.FAILED, None
    else:
        status, retry_at = DeliveryStatus.RETRYING, now + backoff(delivery.attempts)
    with transaction.atomic():
        number = Attempt.objects.filter(delivery=delivery).count() + 1
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            round=delivery.round,
            started_at=started_at,
            duration_ms=response.duration_ms,
            request_headers=headers,
            status_code=response.status_code,
            response_body=response.body,
            error=response.error,
            succeeded=response.ok,
        )
        changes = {
            "status": status,
            "claimed_at": None,
            "next_attempt_at": retry_at,
            "last_status_code": response.status_code,
            "last_error": response.error,
        }
        if response.ok:
            changes["delivered_at"] = now
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**changes)
    if not response.ok:
        log.warning(
            "webhook delivery %s attempt %s failed: %s", delivery.pk, number, response.error
        )
    return Outcome(status, retry_at)


def _hand_back(pk: int, now: dt.datetime) -> bool:
    """A delivery left "sending" by a worker that died is to send again."""
    return bool(
        Delivery.objects.filter(pk=pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.RETRYING,
            claimed_at=None,
            next_attempt_at=now,
            last_error="The worker sending it stopped; sending again.",
        )
    )


def due_for_sweep(*, older_than: dt.timedelta, limit: int = 1000) -> list[int]:
    """Deliveries whose task seems lost: pending or due for a retry for longer than
    ``older_than``, or "sending" for longer than STUCK_AFTER (handed back as retrying)."""
    now = timezone.now()
    stuck = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STUCK_AFTER
    ).values_list("pk", flat=True)[:limit]
    ids = [pk for pk in list(stuck) if _hand_back(pk, now)]
    cutoff = now - older_than
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff)
    due = Delivery.objects.filter(status=DeliveryStatus.RETRYING, next_attempt_at__lte=cutoff)
    ids += pending.order_by("id").values_list("pk", flat=True)[:limit]
    ids += due.order_by("id").values_list("pk", flat=True)[:limit]
    return list(dict.fromkeys(ids))
