from django.tasks import task

from . import engine
from .models import RunStatus, WorkflowRun


@task
def process_event_task(event_id: int) -> int:
    return engine.process_event(event_id)


@task
def retry_run(run_id: int) -> str:
    run = WorkflowRun.objects.select_related("workflow", "event").filter(pk=run_id).first()
    if run is None or run.status not in (RunStatus.RETRYING, RunStatus.RUNNING, RunStatus.PENDING):
        return "skipped"
    return engine.execute_run(run).status


@task
def outbox_sweep() -> int:
    return engine.sweep_outbox()


def dispatch(event_id: int) -> None:
    """Hand a committed event to the workers (registered with core.events)."""
    if engine.dispatch_enabled():
        process_event_task.enqueue(event_id=event_id)
