"""The hand-off of committed events to the workers.

The tasks themselves are defined in ``engine`` (a failing run schedules its own retry there);
they are named here too, under the paths the periodic jobs and queued rows already use.
"""

from . import engine
from .engine import outbox_sweep, process_event_task, retry_run

__all__ = ["dispatch", "outbox_sweep", "process_event_task", "retry_run"]


def dispatch(event_id: int) -> None:
    """Hand a committed event to the workers (registered with core.events): nothing to do when
    they drain the outbox themselves (the database task backend, ``automation.outbox``), else
    a task of its own."""
    if engine.dispatch_enabled() and not engine.drained():
        process_event_task.enqueue(event_id=event_id)
