from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.core import crypto
from partnerdesk.core.tenancy import TenantQuerySet


class Trigger(models.TextChoices):
    DEAL_STAGE_ENTERED = "deal_stage_entered", _("Deal entered a stage")
    TICKET_CREATED = "ticket_created", _("Ticket created")
    TICKET_STAGE_ENTERED = "ticket_stage_entered", _("Ticket entered a stage")
    TRACKER_ISSUE_CLOSED = "tracker_issue_closed", _("Issue-tracker issue closed")
    SLA_DUE_SOON = "sla_due_soon", _("SLA due soon")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    TASK_STATE_CHANGED = "task_state_changed", _("Task request state changed")
    RENEWAL_APPROACHING = "renewal_approaching", _("Renewal deadline approaching")


# Which domain events each trigger listens to.
TRIGGER_EVENTS = {
    Trigger.DEAL_STAGE_ENTERED: ("deal.stage_changed",),
    Trigger.TICKET_CREATED: ("ticket.created",),
    Trigger.TICKET_STAGE_ENTERED: ("ticket.stage_changed",),
    Trigger.TRACKER_ISSUE_CLOSED: ("ticket.tracker_issue_closed",),
    Trigger.SLA_DUE_SOON: ("ticket.sla_due_soon",),
    Trigger.SLA_BREACHED: ("ticket.sla_breached",),
    Trigger.TASK_STATE_CHANGED: ("task.state_changed",),
    Trigger.RENEWAL_APPROACHING: ("renewal.deadline_approaching",),
}


class ActionType(models.TextChoices):
    CREATE_TICKET = "create_ticket", _("Create a ticket")
    ASSIGN_OWNER = "assign_owner", _("Assign an owner")
    MOVE_STAGE = "move_stage", _("Move to a stage")
    SET_PROPERTY = "set_property", _("Set a property")
    NOTIFY = "notify", _("Notify users or a team")
    SLACK = "slack", _("Post to Slack")
    GITHUB_ISSUE = "github_issue", _("Create a GitHub issue")


class Workflow(models.Model):
    """When ``trigger`` happens (narrowed by ``trigger_config``) and ``conditions`` hold, run the
    actions in order. ``key`` names the built-in default workflows (blank for others)."""

    name = models.CharField(_("name"), max_length=150)
    key = models.SlugField(max_length=60, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices)
    # e.g. {"pipeline_id": 3, "stage_id": 12} or {"pipeline_id": 3, "stage_kind": "won", "product_id": 7}
    trigger_config = models.JSONField(default=dict, blank=True)
    # {"all": [{"field": "deal.properties.domain_name", "op": "is_set"}, {"any": [...]}]}
    conditions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["trigger", "enabled"], name="workflow_trigger")]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="workflow_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Action(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="actions")
    order = models.PositiveIntegerField(default=0)
    type = models.CharField(_("action"), max_length=32, choices=ActionType.choices)
    config = models.JSONField(default=dict, blank=True)
    # Secrets of the action (Slack webhook URL, tokens), Fernet-encrypted.
    secrets = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["workflow", "order", "id"]

    def __str__(self) -> str:
        return f"{self.workflow_id}.{self.order} {self.type}"


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    RETRYING = "retrying", _("Waiting to retry")
    SUCCEEDED = "succeeded", _("Succeeded")
    SKIPPED = "skipped", _("Conditions not met")
    FAILED = "failed", _("Failed")


class WorkflowRun(models.Model):
    """One workflow for one event: the unique key makes "at most once per event" a fact.

    ``step`` is how many actions have completed; each database action commits together with
    the step it advances, so a crash or retry never repeats a completed action.
    """

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="workflow_runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    step = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    context = models.JSONField(default=dict, blank=True)  # ids produced by earlier actions
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "event"], name="one_run_per_workflow_and_event"
            )
        ]
        indexes = [
            models.Index(fields=["workflow", "-created_at"], name="run_history"),
            models.Index(fields=["status", "-created_at"], name="run_status"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow} / event {self.event_id}: {self.status}"


class OutboxHold(models.Model):
    """An event the outbox drain leaves to a task of its own (``automation.outbox``).

    ``isolated``: a matching workflow calls another system, which must not happen inside a
    batch's transaction. ``failed``: processing it raised in a batch or in its own task; it is
    retried alone at ``retry_at`` (backoff), and ``error`` says why the last attempt failed.
    The row is deleted when the event is processed. Batches skip held events.
    """

    class Reason(models.TextChoices):
        ISOLATED = "isolated", _("Calls another system")
        FAILED = "failed", _("Failed, to retry")

    event = models.OneToOneField(
        "core.Event", on_delete=models.CASCADE, primary_key=True, related_name="outbox_hold"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"event {self.event_id}: {self.reason}"


class IntegrationSettings(models.Model):
    """The agency's issue tracker (GitHub) and default Slack webhook. One row."""

    github_api_url = models.URLField(_("GitHub API URL"), default="https://api.github.com")
    github_repository = models.CharField(_("repository (owner/name)"), max_length=200, blank=True)
    secrets = models.JSONField(
        default=dict, blank=True
    )  # github_token, github_webhook_secret, slack_webhook_url

    def __str__(self) -> str:
        return "Integrations"

    def secret(self, name: str) -> str:
        token = (self.secrets or {}).get(name)
        return crypto.decrypt(token) if token else ""

    @classmethod
    def load(cls) -> "IntegrationSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
