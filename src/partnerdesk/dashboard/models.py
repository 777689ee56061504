"""The partner dashboard's own state (PRODUCT.md part 6): what people decide about renewals, who
communicates them, the agency's HubSpot team, and which alerts each user put away.

The renewals themselves are not copied here: a renewal is a partner-program subscription's
``renewal_date`` (the renewal start date), and its **deadline**, 45 days before, is computed
(``renewals.deadline``), never stored. A ``Renewal`` row appears only once something is
recorded about one renewal date of one subscription (a status, a renewal MRR, notes, a
reminder sent); without it the renewal is *pending* at its current MRR. When the renewal date
moves on (the subscription renewed), the next renewal starts pending again and the old row
keeps its history.

Fields and constraints only; the rules are in ``services`` and ``reminders``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.models import TimeStampedModel
from partnerdesk.core.tenancy import TenantQuerySet


class RenewalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    RENEWED = "renewed", _("Renewed")
    CANCELLATION_REQUESTED = "cancellation_requested", _("Cancellation requested")


class OwnerMode(models.TextChoices):
    """Who relays an upcoming renewal to the client (the seed's *renewal communication owner*)."""

    DEFAULT = "default", _("Default setting")
    HUBSPOT = "hubspot", _("HubSpot")  # notices go to the client's decision maker
    PARTNER = "partner", _("Partner")  # notices go to the agency's point of contact


class DefaultOwner(models.TextChoices):
    HUBSPOT = "hubspot", _("HubSpot")
    PARTNER = "partner", _("Partner")


def default_reminder_days() -> list[int]:
    return [30, 14, 7, 1]


class RenewalSettings(models.Model):
    """Agency-wide renewal settings (one row, ``load()``)."""

    window_days = models.PositiveSmallIntegerField(_("renewals to act on: days ahead"), default=120)
    # Days before the renewal deadline on which the owner is reminded, each once.
    reminder_days = models.JSONField(
        _("reminders: days before the deadline"), default=default_reminder_days
    )
    # Partner by default: notices reach the client only once the agency chooses HubSpot.
    default_owner = models.CharField(
        _("default renewal communication owner"),
        max_length=10,
        choices=DefaultOwner.choices,
        default=DefaultOwner.PARTNER,
    )
    # Who gets Partner-mode notices for clients without their own point of contact.
    default_point_of_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default point of contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = _("renewal settings")
        constraints = [
            models.CheckConstraint(condition=Q(window_days__gte=1), name="dash_window_positive"),
            models.CheckConstraint(
                condition=Q(default_owner__in=["hubspot", "partner"]), name="dash_default_owner"
            ),
        ]

    def __str__(self) -> str:
        return "renewal settings"

    @classmethod
    def load(cls) -> RenewalSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class RenewalOwner(TimeStampedModel):
    """A client's renewal communication owner and the people it names. No row: the default."""

    account = models.OneToOneField(
        "partner_program.HubSpotAccount",
        verbose_name=_("HubSpot account"),
        on_delete=models.CASCADE,
        related_name="renewal_owner",
    )
    mode = models.CharField(
        _("renewal communication owner"),
        max_length=10,
        choices=OwnerMode.choices,
        default=OwnerMode.DEFAULT,
    )
    decision_maker = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("client's decision maker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    copied_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("partner user copied"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    point_of_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("partner point of contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # HubSpot's renewal manager for this client (a person at HubSpot, not a user here).
    renewal_manager_name = models.CharField(
        _("HubSpot renewal manager"), max_length=150, blank=True
    )
    renewal_manager_email = models.EmailField(_("renewal manager's email"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("renewal owner")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.mode}"


class Renewal(TimeStampedModel):
    """What was recorded about one renewal date of one subscription."""

    subscription = models.ForeignKey(
        "partner_program.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="renewals",
        db_index=False,
    )
    # The renewal start date this row is about (the subscription's renewal_date at the time).
    renews_on = models.DateField(_("renewal start date"))
    status = models.CharField(
        _("status"), max_length=24, choices=RenewalStatus.choices, default=RenewalStatus.PENDING
    )
    # None: the subscription's current MRR.
    renewal_mrr = models.DecimalField(
        _("renewal MRR"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["renews_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "renews_on"], name="dash_one_renewal_per_date"
            ),
            models.CheckConstraint(
                condition=Q(renewal_mrr__isnull=True) | Q(renewal_mrr__gte=0),
                name="dash_renewal_mrr_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} on {self.renews_on}: {self.status}"


class RenewalReminder(models.Model):
    """A reminder sent for a renewal ``days_before`` its deadline: at most one each (unique)."""

    renewal = models.ForeignKey(
        Renewal, on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    sent_at = models.DateTimeField(_("sent"))
    recipients = models.JSONField(_("recipients"), default=list)  # the addresses, to and copy

    class Meta:
        ordering = ["renewal_id", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["renewal", "days_before"], name="dash_reminder_once_per_offset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.renewal_id} −{self.days_before}d"


class TeamRole(models.TextChoices):
    CHANNEL_ACCOUNT_MANAGER = "channel_account_manager", _("Channel Account Manager")
    CHANNEL_CONSULTANT = "channel_consultant", _("Channel Consultant")


class HubSpotTeamMember(TimeStampedModel):
    """The agency's contact at HubSpot in one role (one per role)."""

    role = models.CharField(_("role"), max_length=32, choices=TeamRole.choices, unique=True)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"))
    photo_url = models.URLField(_("photo URL"), max_length=500, blank=True)
    description = models.TextField(_("how they support the agency"), blank=True)

    class Meta:
        ordering = ["role"]
        verbose_name = _("HubSpot team member")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class AlertDismissal(models.Model):
    """A user put an alert away while its condition read ``fingerprint``; when the condition
    changes (another fingerprint), the alert shows again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alert_dismissals",
        db_index=False,
    )
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    dismissed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="dash_dismissal_once_per_alert")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"


class OpenWorkKind(models.TextChoices):
    TICKETS = "ticket", _("Open tickets")
    WORKING = "working", _("Client tasks in progress")
    ACCEPTED = "accepted", _("Client tasks accepted")


class OpenWork(models.Model):
    """How much open work each person has, kept by the database (``dashboard.totals``).

    Every change of a ticket's owner or open state, and of a client task's assignee or status,
    adds a row here (+1 for the person who gains the work, −1 for who loses it) in the same
    transaction, by triggers the migration installs; a periodic compaction folds the rows into
    one per person and kind. A person's open work of a kind is the sum of their rows, so the
    staff home ranks the whole team at the same cost whatever the number of tickets.
    ``manage.py check_totals`` recomputes it from the tickets and tasks and compares.

    ``person`` is a user's id without a foreign key: the triggers write it as the ticket's or
    task's column has it, and a deleted user's rows sum to zero and go at the next compaction.
    """

    person = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=OpenWorkKind.choices)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["person", "kind", "n"], name="open_work_person")]

    def __str__(self) -> str:
        return f"{self.person} {self.kind} {self.n:+d}"


class DealValue(models.Model):
    """The deals in each pipeline stage and currency, counted, and their amounts added up (in
    cents), kept by the database like :class:`OpenWork` (``dashboard.totals``; triggers on
    the deals, migration 0004): the value of a pipeline's open deals is the sum over its open
    stages' rows, exact, however many deals there are. Keyed by ids without foreign keys, as
    the triggers write them."""

    pipeline_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    n = models.IntegerField()
    cents = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["stage_id", "currency"], name="deal_value_stage")]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.currency} {self.n:+d} {self.cents:+d}"
