"""The worker rows of the query-budget World (tests/budgets/world.py): per unit, a worker's
heartbeat and a task row it has RUNNING, both listed on Settings → Workers."""

from __future__ import annotations

import datetime as dt

from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from partnerdesk.core.models import WorkerHeartbeat

TASK_PATH = "tests.core.worker_tasks.nap"  # once per running row on the page


def unit(world, i: int) -> None:
    now = timezone.now()
    worker_id = f"qc-worker-{i:03}"
    WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        hostname="qc-host",
        pid=1000 + i,
        started_at=now - dt.timedelta(hours=1),
        last_seen_at=now - dt.timedelta(seconds=i),
    )
    DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        started_at=now - dt.timedelta(minutes=i),
        worker_ids=[worker_id],
        args_kwargs={"args": [], "kwargs": {"seconds": 1}},
        task_path=TASK_PATH,
        backend_name="default",
        run_after=get_date_max(),
    )
