"""Customer satisfaction (CSAT): one survey per completed task or closed ticket.

A ``Survey`` is created when the work ends (see ``handlers.py``), emailed to the client with
five one-click links, and answered once: a score from 1 to 5, then an optional comment. The
reports read these rows (per client, agent, pipeline and category), so the names here are a
contract: ``task``, ``ticket``, ``company``, ``agent``, ``score``, ``answered_at``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.tenancy import TenantQuerySet

MIN_SCORE, MAX_SCORE = 1, 5
SCORES = range(MIN_SCORE, MAX_SCORE + 1)
SCORE_LABELS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neither satisfied nor dissatisfied"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}


class AnsweredVia(models.TextChoices):
    EMAIL = "email", _("Email link")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")


class SurveyQuerySet(TenantQuerySet):
    def answered(self):
        return self.filter(answered_at__isnull=False)

    def pending(self, now):
        """Not answered yet and still open at ``now``."""
        return self.filter(answered_at__isnull=True, expires_at__gt=now)


class Survey(models.Model):
    """One question ("How satisfied are you?") about one task or one ticket, answered once."""

    task = models.OneToOneField(
        "portal.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="csat_survey",
    )
    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="csat_survey",
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="csat_surveys",
        db_index=False,
    )
    # The client asked: the task's requester, or the client user whose address is the ticket
    # contact's. A ticket contact without an account is asked by email only (no recipient).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient_email = models.EmailField(_("sent to"))
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # The ticket's owner or the task's assignee when the survey was sent (reports group by it).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    sent_at = models.DateTimeField(_("sent"))
    # The survey closes then: links, the portal and the API record nothing after it.
    expires_at = models.DateTimeField(_("open until"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_via = models.CharField(
        _("answered via"), max_length=8, choices=AnsweredVia.choices, blank=True
    )
    # Who answered when signed in (portal, API); none for a one-click email answer.
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commented_at = models.DateTimeField(_("commented"), null=True, blank=True)
    # Email delivery (see mail.py): claimed before sending, stamped once sent.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)

    objects = SurveyQuerySet.as_manager()
    tenant_path = "company_id"

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False, ticket__isnull=True)
                | Q(task__isnull=True, ticket__isnull=False),
                name="csat_task_or_ticket",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE),
                name="csat_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True, answered_at__isnull=True)
                | Q(score__isnull=False, answered_at__isnull=False),
                name="csat_answered_with_score",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("sent_at")), name="csat_expires_after_sent"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "answered_at"], name="csat_company_answered"),
            models.Index(fields=["agent", "answered_at"], name="csat_agent_answered"),
            # The staff answers list (newest answers first) and the email retry sweep.
            models.Index(fields=["-answered_at", "-id"], name="csat_answers_newest"),
            models.Index(
                fields=["sent_at"], name="csat_unsent", condition=Q(emailed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"CSAT {self.pk}"

    @property
    def subject(self):
        """The task or the ticket asked about."""
        return self.task if self.task_id else self.ticket

    @property
    def kind(self) -> str:
        return "task" if self.task_id else "ticket"

    @property
    def subject_title(self) -> str:
        if self.task is not None:
            return self.task.title
        return self.ticket.name if self.ticket is not None else ""

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def score_label(self) -> str:
        return str(SCORE_LABELS.get(self.score, "")) if self.score else ""


class SurveySettings(models.Model):
    """Agency-wide satisfaction settings (one row, ``load()``)."""

    enabled_for_tasks = models.BooleanField(_("ask when a client task is complete"), default=True)
    enabled_for_tickets = models.BooleanField(
        _("ask when a ticket with a contact is closed"), default=True
    )
    link_valid_days = models.PositiveSmallIntegerField(_("days the survey stays open"), default=14)
    # Scores at or below it notify the agent's team lead (0: never).
    low_score_threshold = models.PositiveSmallIntegerField(
        _("low score: notify the team lead at or below"), default=2
    )

    class Meta:
        verbose_name_plural = _("satisfaction settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(link_valid_days__gte=1, link_valid_days__lte=365),
                name="csat_link_days_range",
            ),
            models.CheckConstraint(
                condition=Q(low_score_threshold__lte=MAX_SCORE - 1),
                name="csat_low_score_range",
            ),
        ]

    def __str__(self) -> str:
        return "satisfaction settings"

    @classmethod
    def load(cls) -> SurveySettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
