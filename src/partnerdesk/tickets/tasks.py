"""Background work for tickets: SLA recomputation after configuration changes, and the sweep."""

from django.tasks import task

from partnerdesk.core import clock
from partnerdesk.crm.models import Pipeline

from . import services


@task
def recompute_sla_for_pipelines(pipeline_ids: list[int] | None = None) -> int:
    """Recompute the stored due times of every open ticket of these pipelines (all when None)."""
    ids = (
        pipeline_ids
        if pipeline_ids is not None
        else list(Pipeline.objects.filter(object_type="ticket").values_list("pk", flat=True))
    )
    now = clock.now()
    return sum(services.recompute_open_tickets(policy_pipeline_id=pk, now=now) for pk in ids)


def recompute_after_sla_change(event, subject) -> None:
    """An SLA calendar or policy changed (sla.targets_changed): recompute in the background."""
    recompute_sla_for_pipelines.enqueue(pipeline_ids=event.data.get("pipeline_ids"))


@task
def sla_sweep() -> dict:
    return services.sla_sweep()
