"""django-tasks-db's ``db_worker``, unchanged, plus a heartbeat (see ``core.workers``).

This command has the same name as django-tasks-db's and Django finds it first because
``partnerdesk.core`` is listed before ``django_tasks_db`` in INSTALLED_APPS, so every way of
starting a worker (``manage.py db_worker``, ``manage.py serve``, a process manager) records its
heartbeat. The heartbeat runs in the process that runs the worker loop: with ``--reload`` that
is the reloader's child, not the parent that only watches the files.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from partnerdesk.core.workers import Heartbeat


class Command(db_worker.Command):
    help = (
        "Run a database background worker; it records a heartbeat every "
        "PARTNERDESK_WORKER_HEARTBEAT_SECONDS (see manage.py workers)."
    )

    def handle(self, *args, **options):
        reloading_parent = (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if reloading_parent:
            return super().handle(*args, **options)
        heartbeat = Heartbeat(worker_id=options["worker_id"])
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
