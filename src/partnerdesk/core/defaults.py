"""Default records (pipelines, teams, plans, ...) are installed once per stable key, never again.

Each app's ``defaults.py`` runs after ``migrate``. It gives every default record a stable
``key`` and installs it through ``install_once``, which records the key in the
``InstalledDefault`` ledger. A key in the ledger is never installed again: a default an admin
renamed or deleted stays renamed or deleted, and code that needs a default record later finds
it by its key, never by its name.

Ledger keys read ``<app>.<model>.<key>`` (``crm.pipeline.ticket.bug-investigation``). A default's
parts (a pipeline's stages and SLA policies) are installed with it and need no entry of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, models, transaction

from .models import InstalledDefault


def is_installed(key: str) -> bool:
    return InstalledDefault.objects.filter(key=key).exists()


def install_once[T](key: str, create: Callable[[], T]) -> T | None:
    """Call ``create`` and record ``key``, unless ``key`` is recorded already (then ``None``).

    The ledger row is claimed first, in the same transaction as ``create``: a concurrent
    installer of the same key waits on the unique index and then finds the key taken, and a
    ``create`` that fails leaves no record behind.
    """
    if is_installed(key):
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                InstalledDefault.objects.create(key=key)
        except IntegrityError:
            return None  # installed by a concurrent run meanwhile
        return create()


def adopt_or_create[M: models.Model](
    model: type[M],
    *,
    key: str,
    match: dict[str, Any],
    values: dict[str, Any],
    scope: dict[str, Any] | None = None,
) -> tuple[M | None, bool]:
    """The row of ``model`` to install default ``key`` as: ``(row, created)``.

    The row that has the key already; else the unkeyed row that ``match`` finds (the same
    record under the default's name, made before keys existed), which gets the key; else a new
    row with ``values``. ``(None, False)`` when ``match`` finds a row that is another default.
    ``scope`` narrows all three (``{"object_type": "ticket"}`` for a pipeline).
    """
    scope = scope or {}
    rows = model._default_manager.filter(**scope)
    row = rows.filter(key=key).first()
    if row is not None:
        return row, False
    found = rows.filter(**match).order_by("pk").values_list("pk", "key").first()
    if found is None:
        return model._default_manager.create(key=key, **scope, **values), True
    pk, other_key = found
    if other_key:
        return None, False
    rows.filter(pk=pk).update(key=key)
    return rows.get(pk=pk), False
