"""Status-change emails to the customer (issue 14, part 4): per pipeline, which notices go out
and their editable text, and the record of each one sent (see ``tickets.notices``).

Imported by ``tickets.models``, so Django registers these models with the tickets app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeEvent(models.TextChoices):
    """What happened to the ticket that the customer is told about."""

    OPENED = "opened", _("Ticket opened")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on the customer")
    RESOLVED = "resolved", _("Resolved")


class CustomerNotice(models.Model):
    """Whether a pipeline's tickets email their contact on ``event``, and the email's text.

    ``texts`` maps a language code to ``{"subject": …, "body": …}``, Django template text
    rendered on a plain context (``notices.CONTEXT_NAMES``); a language without its own text
    uses the built-in text in that language. Without a row, nothing is sent.
    """

    pipeline = models.ForeignKey(
        "crm.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.CASCADE,
        db_index=False,  # customer_notice_once serves it
        related_name="customer_notices",
    )
    event = models.CharField(_("when"), max_length=24, choices=NoticeEvent.choices)
    enabled = models.BooleanField(_("send this email"), default=False)
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["pipeline", "event"]
        verbose_name = _("customer email")
        verbose_name_plural = _("customer emails")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "event"], name="customer_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.pipeline_id}: {self.event}"


class CustomerNoticeSent(models.Model):
    """One notice emailed about one event of the outbox (a ticket opened, a stage entered).

    Inserted before the email leaves, unique per event: a redelivered event or a retried task
    never sends it twice; a failed send deletes the row so the retry can claim it again.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="customer_notices"
    )
    event = models.CharField(max_length=24, choices=NoticeEvent.choices)
    outbox_event = models.OneToOneField(
        "core.Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("event")
    )
    stage = models.ForeignKey(
        "crm.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.ForeignKey(
        "tickets.TicketEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.event}"
