"""Small helpers over django.tasks for work that is retried later or swept up.

Deferred retries need a backend that can defer (the database backend can). One that cannot,
such as the immediate backend, leaves the retry to the periodic sweep instead of failing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def enqueue_later(task, when: dt.datetime, **kwargs) -> bool:
    """Enqueue ``task`` to run at ``when``; False when the backend cannot defer."""
    if not task.get_backend().supports_defer:
        log.info("%s not deferred: the task backend cannot defer; the sweep retries it", task.name)
        return False
    task.using(run_after=when).enqueue(**kwargs)
    return True


def pending(task, key: str, values, *, running_since: dt.datetime) -> set:
    """Which of ``values`` already have a queued ``task`` whose keyword ``key`` holds them, or
    one running since ``running_since`` (a task "running" for longer may belong to a worker
    that died), so a sweep does not enqueue the same work twice. Only the database backend
    can be asked; with any other nothing is known to be pending."""
    from django.db.models import Q
    from django.tasks import TaskResultStatus
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task.get_backend(), DatabaseBackend) or not values:
        return set()
    found = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=running_since),
        task_path=task.module_path,
        **{f"args_kwargs__kwargs__{key}__in": list(values)},
    ).values_list(f"args_kwargs__kwargs__{key}", flat=True)
    return set(found)


def stores_tasks_in_database(task) -> bool:
    """Whether ``task``'s backend keeps its queue in the application's database (the
    django-tasks-db backend): then enqueueing inside a transaction is part of it, and the
    ``db_worker`` runs the pollers below."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


# Work a worker does besides its tasks: each poller processes what is waiting (bounded in time)
# and returns how much it did. ``manage.py db_worker`` calls them in turn with its task queue
# and sleeps only when none had anything to do. Apps register theirs when ready (the automation
# app: the outbox drain); core imports no domain app.
_POLLERS: list[Callable[[], int]] = []


def register_poller(poll: Callable[[], int]) -> None:
    if poll not in _POLLERS:
        _POLLERS.append(poll)


def pollers() -> list[Callable[[], int]]:
    return list(_POLLERS)
