"""Recording domain events (the outbox) and reading timelines."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils.translation import gettext as _

from .models import Event
from .records import in_batch, memoized
from .translated import base_values

REDACTED = "••••••"


def record_event(*, kind: str, subject, actor=None, data: dict | None = None, company_id=None):
    """Write one event row in the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = Event(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        company_id=company_id,
        actor=actor,
        data=base_values(data or {}),
    )
    deferred = getattr(_DEFERRED, "events", None)
    if deferred is not None:
        deferred.append(event)  # written with the others when ``deferred_events`` ends
    else:
        event.save(force_insert=True)
        _dispatch(event)
    if in_batch():  # a worker's batch: the record changed (``written_in_batch``)
        written_in_batch().add((event.subject_type_id, event.subject_id))
    return event


def _dispatch(event: Event) -> None:
    for dispatch in _DISPATCHERS:
        transaction.on_commit(lambda pk=event.pk, fn=dispatch: fn(pk))


_DEFERRED = threading.local()


@contextmanager
def deferred_events() -> Iterator[None]:
    """Inside (one generation of a worker batch's first pass, ``automation.outbox``): the events
    recorded are written together when it ends, one ``INSERT`` in the order they were recorded,
    instead of one each; ``record_event`` returns them without a primary key meanwhile. Nothing
    inside reads back an event it has just recorded (the outbox claims them as the next
    generation, after this ends). A block that raises writes none: its transaction is rolled
    back whole. Nested, the outer one writes."""
    if getattr(_DEFERRED, "events", None) is not None or not (
        connection.features.can_return_rows_from_bulk_insert
    ):
        yield
        return
    _DEFERRED.events = []
    try:
        yield
        pending = _DEFERRED.events
    finally:
        _DEFERRED.events = None
    if pending:
        Event.objects.bulk_create(pending)
        for event in pending:
            _dispatch(event)


def written_in_batch() -> set[tuple[int, int]]:
    """Inside a worker's batch (``core.records.batch_memo``): the records (content type id, pk)
    events were recorded about, that is the records the batch changed (every service records
    an event about what it changes). The outbox reads a generation's records up front and
    reads one again when an earlier event of the generation changed it."""
    return memoized(("written_subjects",), set)


# Called with the id of every event once its transaction commits (the automation app
# registers the worker hand-off here; core imports no domain app).
_DISPATCHERS: list[Callable[[int], None]] = []


def register_dispatcher(dispatch: Callable[[int], None]) -> None:
    if dispatch not in _DISPATCHERS:
        _DISPATCHERS.append(dispatch)


def timeline(subject, *, limit: int = 100):
    return Event.objects.for_subject(subject).select_related("actor")[:limit]


# Human sentences for timeline entries, registered by each app for its own event kinds.
_DESCRIBERS: dict[str, Callable[[Event], str]] = {}


def register_describer(kind: str, describe: Callable[[Event], str]) -> None:
    _DESCRIBERS[kind] = describe


def describe(event: Event) -> str:
    fn = _DESCRIBERS.get(event.kind)
    return fn(event) if fn else event.kind


# Built-in reactions to events, registered by each app for the kinds it reacts to (SLA alerts,
# recomputing due times after a calendar change). The worker that processes an event runs them
# before the automations; this is how a lower app's change reaches a higher app.
_HANDLERS: dict[str, list[Callable[[Event, Any], None]]] = {}

# Register a handler for [ALL_KINDS] to see every event, whatever its kind (webhooks out); it runs
# after the handlers of the event's own kind.
ALL_KINDS = "*"


def register_handler(kinds: Iterable[str], handler: Callable[[Event, Any], None]) -> None:
    for kind in kinds:
        handlers = _HANDLERS.setdefault(str(kind), [])
        if handler not in handlers:
            handlers.append(handler)


def run_handlers(event: Event, subject) -> None:
    for handler in (*_HANDLERS.get(event.kind, ()), *_HANDLERS.get(ALL_KINDS, ())):
        handler(event, subject)


def describe_changes(event) -> str:
    """A change list in event data as one line: \"Label: old → new; …\" (secrets redacted)."""
    parts = []
    for change in event.data.get("changes", []):
        if change.get("secret"):
            parts.append(
                _("%(label)s changed (%(hidden)s)") % {"label": change["label"], "hidden": REDACTED}
            )
        else:
            old, new = change.get("old"), change.get("new")
            parts.append(
                _("%(label)s: %(old)s → %(new)s")
                % {
                    "label": change["label"],
                    "old": "—" if old in (None, "") else old,
                    "new": "—" if new in (None, "") else new,
                }
            )
    return "; ".join(parts)
