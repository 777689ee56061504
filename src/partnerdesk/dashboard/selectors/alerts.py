"""Which alerts a user still sees: an alert is put away per user while its condition stays the
same. The condition is summed up by a fingerprint the alert's producer computes from what
makes it true (the figures, the dates): when those change, the fingerprint changes and the
alert shows again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from ..models import AlertDismissal


class Alert(Protocol):
    key: str
    fingerprint: str


def fingerprint(*parts: Any) -> str:
    """A short stable digest of the values that make an alert true."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def visible_alerts[A: Alert](user, alerts: Sequence[A]) -> list[A]:
    """``alerts`` without those ``user`` dismissed under the same fingerprint (one query)."""
    keys: Iterable[str] = {a.key for a in alerts}
    dismissed = dict(
        AlertDismissal.objects.filter(user=user, key__in=keys).values_list("key", "fingerprint")
    )
    return [a for a in alerts if dismissed.get(a.key) != a.fingerprint]
