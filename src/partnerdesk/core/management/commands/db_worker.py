"""django-tasks-db's ``db_worker`` with what Partnerdesk's workers add (docs/performance.md):

- **a heartbeat** (``core.workers.Heartbeat``), recorded every
  PARTNERDESK_WORKER_HEARTBEAT_SECONDS, also while a long task runs;
- **a kept connection**: the worker keeps its database connection for
  PARTNERDESK_WORKER_CONN_MAX_AGE seconds (default 600) whatever CONN_MAX_AGE says for web
  requests, checked before reuse (CONN_HEALTH_CHECKS) once a second and after any error,
  instead of twice per task. A new connection per task (CONN_MAX_AGE=0) was most of a short
  task's time on PostgreSQL;
- **a warm start**: the URLconf is imported before the first claim (a first email would
  otherwise pay for importing every app's views and API schemas);
- **pollers** (``core.queue.register_poller``): between tasks the worker runs the pollers —
  the outbox drain, which processes waiting events in batches (``automation.outbox``) — and
  sleeps ``--interval`` only when neither they nor the task queue had anything to do.

This command has the same name as django-tasks-db's and Django finds it first because
``partnerdesk.core`` is listed before ``django_tasks_db`` in INSTALLED_APPS, so every way of
starting a worker (``manage.py db_worker``, ``manage.py serve``, a process manager) gets the
above. The heartbeat runs in the process that runs the worker loop: with ``--reload`` that is
the reloader's child, not the parent that only watches the files.
"""

from __future__ import annotations

import logging
import os
import random
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django.urls import get_resolver
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from partnerdesk.core.queue import pollers
from partnerdesk.core.workers import Heartbeat

logger = logging.getLogger("django_tasks_db")

# While busy, the connections are checked (age, errors, health) this often, and after an error.
CHECK_EVERY = 1.0


def keep_connections(max_age: int) -> None:
    """Give this process's connections ``max_age`` seconds of life and health checks."""
    for alias in connections:
        for settings_dict in (connections.settings[alias], connections[alias].settings_dict):
            settings_dict["CONN_MAX_AGE"] = max_age
            settings_dict["CONN_HEALTH_CHECKS"] = True


def warm_up() -> None:
    """Import what tasks import lazily (the URLconf, with the API's schemas: emails reverse
    URLs) before the first claim, so that no task or batch pays seconds for it."""
    get_resolver().url_patterns  # noqa: B018  (the import is the point)


def had_errors() -> bool:
    return any(c.errors_occurred for c in connections.all(initialized_only=True))


class Worker(db_worker.Worker):
    """django-tasks-db's worker loop with the pollers, and fewer connection checks."""

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311  (a thundering herd, not a secret)
        checked = 0.0
        while self.running:
            # A stop signal during an iteration (a batch, a claim, a task) only asks the loop
            # to stop after it: only a sleeping worker exits at once (django-tasks-db's
            # ``shutdown``), so nothing is interrupted half-way through a database call.
            self.running_task = True
            try:
                if time.monotonic() - checked >= CHECK_EVERY or had_errors():
                    close_old_connections()
                    checked = time.monotonic()
                polled = self.poll()
                task_result, retrieved = self.claim() if self.running else (None, False)
                if task_result is not None:
                    self.run_task(task_result)
            finally:
                self.running_task = False
            busy = polled > 0 or task_result is not None
            if self.batch and retrieved and not busy:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran %d tasks on worker=%s - exiting.", self._run_tasks, self.worker_id)
                return
            if self.running and not busy:
                close_old_connections()
                checked = time.monotonic()
                time.sleep(self.interval)

    def poll(self) -> int:
        """Run every poller once; how much they did (0 after an error, so the loop sleeps)."""
        done = 0
        for poll in pollers():
            try:
                done += poll()
            except Exception:
                logger.exception("worker %s: %s failed", self.worker_id, poll.__qualname__)
                close_old_connections()
                return 0
        return done

    def claim(self) -> tuple[DBTaskResult | None, bool]:
        """Take the next task, as django-tasks-db does; and whether the queue could be read."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as e:
                if is_locked_database_exception(e):
                    return None, False  # SQLite busy: try again later
                raise
        return task_result, True


class Command(db_worker.Command):
    help = (
        "Run a database background worker: tasks, the outbox in batches, a heartbeat every "
        "PARTNERDESK_WORKER_HEARTBEAT_SECONDS (see manage.py workers)."
    )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together: no reload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            run_with_reloader(worker.run)  # the parent only watches the files
            return
        keep_connections(settings.PARTNERDESK_WORKER_CONN_MAX_AGE)
        warm_up()
        worker.configure_signals()
        heartbeat = Heartbeat(worker_id=worker_id)
        heartbeat.start()
        try:
            if reload:
                run_with_reloader(worker.run)
            else:
                worker.run()
        finally:
            heartbeat.stop()
