"""The built-in outbox handler: every processed event becomes one delivery per endpoint that
takes it, sent by a background task (the event's processing never waits for an HTTP call)."""

from __future__ import annotations

from typing import Any

from partnerdesk.core.events import ALL_KINDS, register_handler
from partnerdesk.core.models import Event

from . import services, tasks


def handle_event(event: Event, subject: Any) -> None:
    tasks.enqueue_after_commit(services.deliveries_for_event(event))


register_handler([ALL_KINDS], handle_event)
