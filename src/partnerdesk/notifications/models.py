from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SLA_DUE_SOON = "sla_due_soon", _("A ticket's SLA is due soon")
    SLA_BREACHED = "sla_breached", _("A ticket's SLA was breached")
    WORKFLOW = "workflow", _("Messages from automations")
    ASSIGNED = "assigned", _("A record was assigned to me")
    TASK = "task", _("Client task updates")
    RENEWAL = "renewal", _("Renewal reminders")
    PARTNER = "partner", _("Partner program alerts")
    CSAT_LOW = "csat_low", _("Low client satisfaction scores")
    TICKET_REPLY = "ticket_reply", _("A customer wrote on my ticket")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # What caused it: one notification per (user, cause) however often the cause is processed.
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True)
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once")
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user"),
            models.Index(
                fields=["user"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True, in_app=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    """Per user and kind; a missing row means both channels are on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by email"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"


class BounceSent(models.Model):
    """A bounce we sent: the rate limit per address reads the last hour of them, so a sender
    whose mail keeps bouncing (an auto-responder without the automatic-mail headers, a loop)
    gets a few bounces and then silence (``notifications.inbound.message.send_bounce``).
    Rows older than a day are removed as new ones are written."""

    address = models.EmailField()
    reason = models.CharField(max_length=32)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["address", "sent_at"], name="bounce_sent_address"),
            models.Index(fields=["sent_at"], name="bounce_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"
