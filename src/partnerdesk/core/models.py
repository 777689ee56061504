from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tenancy import TenantQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class EventQuerySet(TenantQuerySet):
    def for_subject(self, subject):
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )


class Event(models.Model):
    """A domain event, written in the same transaction as the change it describes.

    The row is the record's timeline entry and the input of automations and notifications
    (processed after commit by the workers): one outbox, three uses.
    """

    kind = models.CharField(max_length=64, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject_id = models.PositiveBigIntegerField()
    # The client company the event belongs to (plain id: core depends on no domain app).
    company_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = EventQuerySet.as_manager()
    tenant_path = "company_id"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "-occurred_at"], name="event_subject"
            ),
            models.Index(
                fields=["id"],
                name="event_unprocessed",
                condition=models.Q(processed_at__isnull=True),
            ),
            # A record's waiting events in order: the outbox claims an event only when it is
            # the first of them (automation.outbox.claimable).
            models.Index(
                fields=["subject_type", "subject_id", "id"],
                name="event_unprocessed_subject",
                condition=models.Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.subject_id}"


class PeriodicRun(models.Model):
    """One row per periodic job and period: the unique key makes "enqueue once" a fact."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    enqueued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period_start"], name="periodic_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period_start:%Y-%m-%d %H:%M}"


class InstalledDefault(models.Model):
    """One row per default record (a pipeline, a team, a plan, ...) the installers created.

    A key recorded here is never installed again, so a default an admin renamed or deleted
    stays renamed or deleted after the next ``migrate``. See ``core.defaults.install_once``.
    """

    key = models.CharField(max_length=150, unique=True)
    installed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class WorkerHeartbeat(models.Model):
    """One row per background worker process (``manage.py db_worker``), keyed by its worker id
    (the id django-tasks-db writes into ``DBTaskResult.worker_ids`` when the worker claims a
    task). Written when the worker starts, every few seconds while it runs (from a thread, so a
    long task does not stop the beat) and when it stops cleanly. See ``core.workers``."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "worker_id"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class ConfigurationStamp(models.Model):
    """One row (id 1): a random value that triggers on the configuration's tables replace in
    the transaction of every change, so each process knows when what it keeps of the
    configuration is out of date (``core.configuration``)."""

    stamp = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.stamp
