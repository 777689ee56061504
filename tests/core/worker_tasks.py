"""A task for the worker end-to-end test (imported by a real ``db_worker`` process)."""

import time

from django.tasks import task


@task
def nap(seconds: float) -> None:
    time.sleep(seconds)
