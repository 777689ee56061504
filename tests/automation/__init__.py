"""Helpers shared by the automation tests (the fixtures are in conftest.py).

Nothing of the application is mocked: emails go to a real SMTP server (aiosmtpd), Slack posts
and GitHub API calls to a real local HTTP server, tasks run through django.tasks backends.
"""

from __future__ import annotations

from asgiref.local import Local
from django.tasks import TaskResult, TaskResultStatus
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone
from django.utils.crypto import get_random_string

from partnerdesk.automation.models import Workflow
from partnerdesk.crm import services as crm
from partnerdesk.crm.models import Deal, Pipeline, Product, Stage

EMAIL_DEAL_PROPERTIES = {
    "purchased_mailbox_names": "info, sales",
    "domain_name": "acme-dental.com",
    "number_of_licences": 2,
}


class DeferringImmediateBackend(ImmediateBackend):
    """ImmediateBackend, except that tasks deferred with ``run_after`` (retries with backoff)
    are kept in ``deferred`` so that a test can run them "later", as a worker would once their
    time has come. (ImmediateBackend refuses run_after; the production database backend
    supports it.)"""

    supports_defer = True
    deferred: list[TaskResult] = []

    def enqueue(self, task, args, kwargs):
        if task.run_after is None:
            return super().enqueue(task, args, kwargs)
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        DeferringImmediateBackend.deferred.append(result)
        return result


def run_deferred() -> list:
    """Run the deferred tasks (their run_after has "come"); returns their return values."""
    pending = list(DeferringImmediateBackend.deferred)
    DeferringImmediateBackend.deferred.clear()
    return [r.task.call(*r.args, **r.kwargs) for r in pending]


def reset_task_backends() -> None:
    """django.tasks caches its backends and does not listen to setting_changed for TASKS."""
    from django.tasks import task_backends

    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None
    task_backends._connections = Local(task_backends.thread_critical)


def deal_pipeline(name: str) -> Pipeline:
    return Pipeline.objects.get(object_type="deal", name=name)


def deal_stage(pipeline_name: str, stage_name: str) -> Stage:
    return Stage.objects.get(
        pipeline__object_type="deal", pipeline__name=pipeline_name, name=stage_name
    )


def workflow(key: str) -> Workflow:
    return Workflow.objects.get(key=key)


def product(sku: str) -> Product:
    return Product.objects.get(sku=sku)


def email_deal(by, company, *, properties=None, line_items=True, contacts=(), name="") -> Deal:
    """An Email Subscription deal with everything the Closed Won stage requires."""
    return crm.deal_create(
        by=by,
        name=name or f"{company.name} mailboxes",
        pipeline=deal_pipeline("Email Subscription"),
        company=company,
        amount="70",
        contacts=contacts,
        line_items=[{"product": product("email-10gb"), "quantity": 2}] if line_items else [],
        properties=EMAIL_DEAL_PROPERTIES if properties is None else properties,
    )


def move_deal(deal: Deal, stage_name: str, *, by) -> Deal:
    return crm.deal_move(deal=deal, stage=deal.pipeline.stages.get(name=stage_name), by=by)


def win(deal: Deal, *, by) -> Deal:
    return move_deal(deal, "Closed Won", by=by)
