"""Signing webhook bodies, and checking a signature as a receiver does (docs/webhooks.md).

``Partnerdesk-Signature: t=<unix seconds>,v1=<hex>`` where ``hex`` is
HMAC-SHA256(key = the endpoint's secret as UTF-8, message = ``"<t>.<body>"``). The timestamp is
part of what is signed, so a receiver refuses old messages (replays by a third party) by
refusing a ``t`` too far from its clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Partnerdesk-Signature"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={signature(secret, t, body)}"


def verify(
    secret: str,
    value: str,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``value`` (the header) signs ``body`` with ``secret`` within ``tolerance``
    seconds of ``now``. Several ``v1=`` entries may be present; one match is enough."""
    timestamp, candidates = None, []
    for part in value.split(","):
        key, _sep, item = part.strip().partition("=")
        if key == "t" and item.isdigit():
            timestamp = int(item)
        elif key == SCHEME and item:
            candidates.append(item)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
