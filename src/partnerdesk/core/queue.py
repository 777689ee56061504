"""Small helpers over django.tasks for work that is retried later or swept up.

Deferred retries need a backend that can defer (the database backend can). One that cannot,
such as the immediate backend, leaves the retry to the periodic sweep instead of failing.
"""

from __future__ import annotations

import datetime as dt
import logging

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
