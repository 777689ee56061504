"""Configuration a process keeps between requests: what services read of the agency's setup
on every change they make (property definitions, the stages a pipeline opens in, SLA
policies, the default calendar), read once per process and read again when it changes.

The database says when it changed. Triggers on every table such a read touches
(:data:`TABLES`) set the one row of ``core_configurationstamp`` to a new random value in the
same transaction as the change, whatever made it (a service, a bulk update, a cascade, a
migration). :func:`configuration` asks for that stamp (one small query, no ORM) and returns
what this process loaded under it, loading it first if it has not:

- another process's change is seen at the next read after it commits, as a fresh read would;
- a transaction sees its own change at once (the stamp it reads is its own);
- a stamp is never used twice (random, not a counter), so nothing loaded inside a transaction
  that rolled back is ever taken for the state after it;
- the stamp is read before the load, so what is kept under a stamp is never older than it.

A value kept here is shared by every request of the process, so it is read-only: never change
one, and never follow a relation from one to a table outside :data:`TABLES` (read that fresh).
Code that reads several parts and changes none can read them all under one stamp
(:func:`one_stamp`): a service's checks before it writes, and a worker's whole batch
(``automation.outbox.process_batch``), which used to read the configuration once per batch
and now asks only for the stamp.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

# Every table a cached read reads, or that a relation cached on what it read reaches
# (tests/core/test_configuration.py checks each read against this list and each table for its
# triggers). A table added here needs a migration installing its triggers (sla 0005's pattern).
TABLES = (
    "crm_pipeline",
    "crm_stage",
    "crm_stage_required_properties",
    "crm_propertydefinition",
    "sla_slapolicy",
    "sla_calendar",
    "sla_holiday",
)

_STAMP_SQL = "SELECT stamp FROM core_configurationstamp WHERE id = 1"

# (database alias, stamp) → this process's values under it; only the latest stamp is kept.
_kept: tuple[tuple[str, str] | None, dict[tuple, Any]] = (None, {})
_lock = threading.Lock()


def stamp() -> str | None:
    """The configuration's stamp now (None: no stamp yet, e.g. after a test database's flush,
    until the next change makes one; nothing is kept meanwhile)."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


_held = threading.local()


@contextmanager
def one_stamp() -> Iterator[None]:
    """Inside, every read takes the stamp the first one read: for a stretch of code that reads
    several parts of the configuration and changes none of it (a service checking what it is
    about to write), one stamp query instead of one per read. The configuration it sees is
    the one of that first read, as if it had read everything then."""
    if getattr(_held, "on", False):
        yield
        return
    _held.on, _held.stamp = True, None
    try:
        yield
    finally:
        _held.on, _held.stamp = False, None


def _current() -> str | None:
    if not getattr(_held, "on", False):
        return stamp()
    if _held.stamp is None:
        _held.stamp = stamp()
    return _held.stamp


def configuration(key: tuple, load: Callable[[], Any]) -> Any:
    """``load()``'s value for ``key``, loaded once per configuration stamp in this process."""
    global _kept
    current = _current()
    if current is None:
        return load()
    version = (connection.alias, current)
    kept_version, values = _kept
    if kept_version != version:
        with _lock:
            if _kept[0] != version:
                _kept = (version, {})
            values = _kept[1]
    if key not in values:
        values[key] = load()
    return values[key]


def forget() -> None:
    """Drop what this process keeps (the stamp makes this unnecessary; for tests that count
    the reads)."""
    global _kept
    _kept = (None, {})
