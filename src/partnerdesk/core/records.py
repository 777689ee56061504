"""Helpers every service uses to change a record: set fields while listing the changes for the
timeline, validate with the model's own rules as a DomainError, check an owner."""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import ForeignKey, Model, QuerySet
from django.utils.translation import gettext as _

from .errors import DomainError, FieldError


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


# An argument a partial update was not given: leave the field as it is. (None is a value: for
# an owner or a company it clears the field.)
UNSET: Final = Unset.UNSET


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not UNSET), for a partial update."""
    return {name: value for name, value in values.items() if value is not UNSET}


def display(value: Any) -> Any:
    """A value as the timeline stores it: records by name, decimals and dates as text."""
    if value is None:
        return None
    if hasattr(value, "pk"):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def set_fields(record: Model, fields: dict[str, Any], labels: dict[str, Any]) -> list[dict]:
    """Assign ``fields`` on ``record``; return one change entry per field that really changed."""
    changes = []
    for name, value in fields.items():
        old = getattr(record, name)
        if old == value:
            continue
        setattr(record, name, value)
        changes.append(
            {
                "field": name,
                "label": str(labels.get(name, name)),
                "old": display(old),
                "new": display(value),
            }
        )
    return changes


def _loaded_relations(record: Model) -> list[str]:
    """The foreign keys of ``record`` set to an instance read from the database (same pk): their
    existence check (a ``SELECT 1`` each) would read again what the caller has just read."""
    loaded = []
    for field in record._meta.concrete_fields:
        if not isinstance(field, ForeignKey) or field.remote_field.limit_choices_to:
            continue
        if not field.is_cached(record):
            continue
        related = field.get_cached_value(record)
        if (
            related is not None
            and not related._state.adding
            and getattr(related, field.target_field.attname) == getattr(record, field.attname)
        ):
            loaded.append(field.name)
    return loaded


def full_clean(record: Model, exclude: tuple[str, ...] | list[str] = ()) -> None:
    """The model's field validation, raised as one DomainError with an entry per field. A
    foreign key set to an instance read from the database is not checked for existence again
    (its other checks, null and blank, hold for an instance)."""
    exclude = [*exclude, "properties", "secrets"]
    try:
        found: dict[str, list[ValidationError]] = {}
        try:
            record.clean_fields(exclude=[*exclude, *_loaded_relations(record)])
        except ValidationError as exc:
            found = exc.update_error_dict(found)
        try:
            record.clean()
        except ValidationError as exc:
            found = exc.update_error_dict(found)
        try:
            record.validate_constraints(exclude=set(exclude) | (set(found) - {NON_FIELD_ERRORS}))
        except ValidationError as exc:
            found = exc.update_error_dict(found)
        if found:
            raise ValidationError(found)
    except ValidationError as exc:
        errors = [
            FieldError(None if f == "__all__" else f, "invalid", str(m))
            for f, messages in exc.message_dict.items()
            for m in messages
        ]
        raise DomainError(
            code="invalid",
            message=" ".join(e.message for e in errors),
            field=errors[0].field,
            errors=errors,
        ) from None


def single(queryset: QuerySet) -> Any:
    """The row of ``queryset`` when it selects at most one (by a primary key or another unique
    value), else None: ``first()`` without the ORDER BY it adds, which is work for the ORM on
    every call (about 5 % of an API ticket creation's CPU went to ordering lookups by id)."""
    return next(iter(queryset.order_by()[:1]), None)


def reserve_ids(model: type[Model], count: int) -> list[int] | None:
    """``count`` primary keys taken now from the table's sequence, for rows written later with
    them in one INSERT (a step names its run before the run is written); None where the
    database has no sequence to take them from (SQLite: the caller writes the row at once)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def field_labels(model: type[Model]) -> dict[str, Any]:
    """Each field's verbose name, for change entries."""
    return {f.name: f.verbose_name for f in model._meta.get_fields() if hasattr(f, "verbose_name")}


def check_owner(owner) -> None:
    """An owner must be an active agency user."""
    if owner is not None and (not owner.is_agency_staff or not owner.is_active):
        raise DomainError(
            code="invalid_owner",
            message=_("The owner must be an active agency user."),
            field="owner",
        )


# ---------------------------------------------------------------- a worker's batch

# What services read of the configuration (property definitions, entry stages, SLA policies,
# calendars, webhook endpoints), read once per batch of events inside ``batch_memo``; outside
# one (web requests, tasks of their own) everything is read as before.
_BATCH = threading.local()


@contextmanager
def batch_memo() -> Iterator[None]:
    """Inside (a worker's batch of events, one transaction): configuration that services read
    through :func:`memoized` is read once. Entered by ``automation.outbox.process_batch`` only;
    left, the memo is dropped (nothing outlives the batch)."""
    outer = getattr(_BATCH, "memo", None)
    _BATCH.memo = {} if outer is None else outer
    try:
        yield
    finally:
        _BATCH.memo = outer


def in_batch() -> bool:
    return getattr(_BATCH, "memo", None) is not None


def memoized(key: tuple, load: Callable[[], Any]) -> Any:
    """``load()``, once per batch for ``key`` inside :func:`batch_memo`, else every time."""
    memo = getattr(_BATCH, "memo", None)
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


_FIRST_PASS = threading.local()


@contextmanager
def first_pass() -> Iterator[None]:
    """Inside: the first pass of a worker's batch (``automation.outbox.process_batch``), where
    whatever raises rolls the whole batch back, and the batch runs again with savepoints. Code
    that makes a savepoint only to catch an error and go on (a fresh workflow run's steps, a
    notification's duplicate) need not make it there: it lets the error go, and the second
    pass makes the savepoint."""
    _FIRST_PASS.on = True
    try:
        yield
    finally:
        _FIRST_PASS.on = False


def in_first_pass() -> bool:
    return getattr(_FIRST_PASS, "on", False)


def atomic_service(func: Callable) -> Callable:
    """``transaction.atomic`` for a service, without a savepoint of its own inside a batch: there
    whatever it did when it raises is rolled back by the engine's savepoints (one per event and
    one per workflow step, on a batch's second pass) or with the whole batch (on its first
    pass, ``first_pass``), and nobody in between catches and goes on. Elsewhere (a web
    request, a task, an import catching one row's error) it is ``transaction.atomic`` as
    ever."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(savepoint=not in_batch()):
            return func(*args, **kwargs)

    return wrapper
