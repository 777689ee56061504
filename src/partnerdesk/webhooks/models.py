"""Outgoing webhooks: endpoints an admin registers, one delivery per (endpoint, event), and
every HTTP attempt of a delivery with its response."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.tenancy import TenantQuerySet


class Endpoint(models.Model):
    """A receiver's URL and the event kinds it takes. Agency-level configuration: no tenant path,
    so client users never see one."""

    name = models.CharField(_("name"), max_length=150)
    url = models.URLField(_("URL"), max_length=2000)
    enabled = models.BooleanField(_("enabled"), default=True)
    all_events = models.BooleanField(_("all events"), default=False)
    # The kinds taken when not all_events, e.g. ["deal.stage_changed", "ticket.created"].
    event_kinds = models.JSONField(_("event kinds"), default=list, blank=True)
    # The signing secret, Fernet-encrypted (core.crypto); shown in clear only when made.
    secret = models.TextField(editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def takes(self, kind: str) -> bool:
        return self.enabled and (self.all_events or kind in self.event_kinds)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)


class Delivery(models.Model):
    """One event for one endpoint: created once (unique), sent until a 2xx answer or the last
    attempt; an admin may replay it, which starts a new round of attempts."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64)  # the event's kind, for lists without a join
    body = models.TextField()  # the JSON sent, byte for byte what is signed
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)  # in the current round
    round = models.PositiveIntegerField(default=0)  # 0 at first, +1 per replay
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a worker is sending since
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["status", "-created_at"], name="webhook_delivery_status"),
            # The sweep's scan: only deliveries still to send.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="webhook_delivery_open",
                condition=models.Q(status__in=["pending", "sending", "retrying"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint_id}"

    @property
    def replayable(self) -> bool:
        """Not while it is queued or being sent; a delivery waiting for its retry may be sent
        again at once."""
        return self.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class Attempt(models.Model):
    """One HTTP POST of a delivery and what came back (or why nothing did)."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False
    )
    number = models.PositiveIntegerField()  # 1, 2, … over the delivery's whole life
    round = models.PositiveIntegerField(default=0)  # the delivery's round (replays)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    request_headers = models.JSONField(default=dict)  # what was sent (no secret in them)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first few KB
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number")
        ]

    def __str__(self) -> str:
        return f"#{self.number} of delivery {self.delivery_id}"
