"""The agency's standing in HubSpot's partner program (PRODUCT.md part 5): client HubSpot
accounts, their subscriptions and MRR history, the agency's relationships to them, qualifying
activities, the point and currency tables, tiers and their reviews, certifications.

Fields and constraints only; the rules are in ``services``, the arithmetic in ``points`` and
``standing``.

Dates and periods. Every period here is ``[start, end)``: a relationship with ``started_on``
D1 and ``ended_on`` D2 is in force on D1 … D2 − 1 day, and not on D2 (ending services today
ends the managed credit today). Versioned tables (point rates, currency amounts, managing
partners, MRR) hold one row per version: the row in force on a day is the latest whose
effective date is on or before it.

Client users see nothing of the program, so no model here has a ``tenant_path``: a client's
``for_user`` query is empty.

Accreditations, complaints and marks on record live in ``accreditation_models`` (re-exported
here), so that neither module outgrows the 800-line limit.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.models import TimeStampedModel
from partnerdesk.core.tenancy import TenantQuerySet

# Re-exported: the accreditation models belong to this app's ``models``.
from .accreditation_models import (  # noqa: F401
    FINDINGS,
    HELD_STATES,
    LIVE_STATES,
    MAX_MARKS,
    STEP_ORDER,
    Accreditation,
    AccreditationEvaluation,
    AccreditationState,
    AccreditationType,
    Complaint,
    ComplaintSource,
    ComplaintStatus,
    ComplaintStep,
    ComplaintStepKind,
    EvaluationResult,
    MarkOnRecord,
    StepOutcome,
    WaitingOn,
)


class HubSpotAccount(TimeStampedModel):
    """A client's HubSpot account (portal), known by its hub id."""

    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="hubspot_accounts",
        db_index=False,
    )
    hub_id = models.CharField(_("hub id"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    growth_market = models.BooleanField(_("growth market"), default=False)
    # The day the account came into being: no activity or subscription can be dated before it.
    opened_on = models.DateField(_("account opened"))
    # Set by *end services*: the agency no longer serves this client (the managed relationship
    # ended that day); cleared when a managed relationship is added again by hand.
    services_ended_on = models.DateField(_("services ended"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("HubSpot account")
        verbose_name_plural = _("HubSpot accounts")
        indexes = [models.Index(fields=["company", "id"], name="pp_account_company")]

    def __str__(self) -> str:
        return f"{self.name} ({self.hub_id})"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")  # will not renew; still counts until it ends
    ENDED = "ended", _("Ended")


class Subscription(TimeStampedModel):
    """A HubSpot product and edition the account pays for. ``mrr`` and ``currency`` are the
    current values; their history (what was in force on each day) is ``SubscriptionChange``."""

    account = models.ForeignKey(
        HubSpotAccount,
        verbose_name=_("HubSpot account"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    product = models.CharField(_("product and edition"), max_length=150)
    seats = models.PositiveIntegerField(_("seats"), default=0)
    seats_used = models.PositiveIntegerField(_("seats used"), null=True, blank=True)
    mrr = models.DecimalField(_("MRR"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    start_date = models.DateField(_("start date"))
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    # The first day it no longer counts (status ended); its MRR history has 0 from that day.
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # The account's last use of the product, as HubSpot reports it (for the dashboard).
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["account_id", "product", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mrr__gte=0), name="pp_subscription_mrr_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(seats_used__isnull=True) | Q(seats_used__gte=0),
                name="pp_subscription_seats_used",
            ),
            models.CheckConstraint(
                condition=Q(renewal_date__isnull=True) | Q(renewal_date__gte=F("start_date")),
                name="pp_subscription_renews_after_start",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("start_date")),
                name="pp_subscription_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["renewal_date"], name="pp_subscription_renewal")]

    def __str__(self) -> str:
        return self.product


class SubscriptionChange(models.Model):
    """One version of a subscription's MRR: in force from ``effective_on`` until the next one.

    The first row is the MRR at the start; ending a subscription adds a row with MRR 0. Points
    for a past day use the row in force that day. One row per subscription and day: a second
    change on the same day replaces the first.
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    effective_on = models.DateField(_("effective from"))
    mrr = models.DecimalField(_("MRR"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["subscription_id", "-effective_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "effective_on"], name="pp_one_mrr_change_per_day"
            ),
            models.CheckConstraint(condition=Q(mrr__gte=0), name="pp_change_mrr_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.mrr} {self.currency} from {self.effective_on}"


class RelationshipKind(models.TextChoices):
    SOURCED = "sourced", _("Sourced")
    ASSISTED = "assisted", _("Assisted")
    MANAGED = "managed", _("Managed")


class EndReason(models.TextChoices):
    MANUAL = "manual", _("Ended by hand")
    # Managed: the daily job, on the day after the last day of credit (60 days after the last
    # qualifying activity).
    LAPSED = "lapsed", _("No qualifying activity for 60 days")
    SERVICES_ENDED = "services_ended", _("Services ended")


class Relationship(models.Model):
    """The agency's relationship of one kind to an account over ``[started_on, ended_on)``.

    Periods of one kind never overlap on one account (the services check it; the database
    allows one open period per account and kind). A *managed* period is also the managed
    relationship's lifecycle: it starts with the first qualifying activity, ends 60 days after
    the last (``EndReason.LAPSED``) or at once with *end services*.
    """

    account = models.ForeignKey(
        HubSpotAccount, on_delete=models.CASCADE, related_name="relationships", db_index=False
    )
    kind = models.CharField(_("relationship"), max_length=10, choices=RelationshipKind.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=EndReason.choices, blank=True
    )
    end_note = models.TextField(_("reason"), blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # True when the lifecycle opened it (the first qualifying activity), not a person.
    automatic = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["account_id", "kind", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="pp_relationship_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(ended_on__isnull=True),
                name="pp_one_open_relationship_per_kind",
            ),
            models.UniqueConstraint(
                fields=["account", "kind", "started_on"], name="pp_relationship_start_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.started_on}–{self.ended_on or ''}"


class ManagingPartners(models.Model):
    """How many partners (the agency included) manage an account, from ``effective_from``
    until the next row. No row: the agency alone (1). The managed MRR is split equally."""

    account = models.ForeignKey(
        HubSpotAccount, on_delete=models.CASCADE, related_name="managing_partners", db_index=False
    )
    count = models.PositiveSmallIntegerField(_("managing partners"))
    effective_from = models.DateField(_("effective from"))

    class Meta:
        ordering = ["account_id", "-effective_from"]
        verbose_name_plural = _("managing partners")
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="pp_managing_partners_min_one"),
            models.UniqueConstraint(
                fields=["account", "effective_from"], name="pp_managing_partners_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.count} from {self.effective_from}"


class PointRate(models.Model):
    """Points per 100 USD of MRR by relationship, in force from ``effective_from``."""

    effective_from = models.DateField(_("effective from"), unique=True)
    sourced = models.DecimalField(_("sourced"), max_digits=8, decimal_places=3)
    assisted = models.DecimalField(_("assisted"), max_digits=8, decimal_places=3)
    managed = models.DecimalField(_("managed"), max_digits=8, decimal_places=3)
    growth_multiplier = models.DecimalField(
        _("growth-market multiplier"), max_digits=6, decimal_places=3
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    sourced__gte=0, assisted__gte=0, managed__gte=0, growth_multiplier__gt=0
                ),
                name="pp_point_rates_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"rates from {self.effective_from}"


class CurrencyRate(models.Model):
    """How much of ``currency`` is worth 100 USD, in force from ``effective_from``."""

    currency = models.CharField(_("currency"), max_length=3)
    amount_per_100_usd = models.DecimalField(
        _("amount worth 100 USD"), max_digits=14, decimal_places=4
    )
    effective_from = models.DateField(_("effective from"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "effective_from"], name="pp_currency_rate_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(amount_per_100_usd__gt=0), name="pp_currency_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_per_100_usd} {self.currency} = 100 USD from {self.effective_from}"


class EmployeeConnection(models.Model):
    """Whether an agency employee is correctly connected to a client account (seed 003): a user
    in the partner account, the client assigned to that user, the same user in the client's
    account. Only all three make the employee count for managed credit."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="hubspot_connections",
        db_index=False,
    )
    account = models.ForeignKey(
        HubSpotAccount, on_delete=models.CASCADE, related_name="connections"
    )
    in_partner_account = models.BooleanField(_("user in the partner account"), default=False)
    client_assigned = models.BooleanField(_("client assigned to the user"), default=False)
    in_client_account = models.BooleanField(_("user in the client's account"), default=False)
    confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account_id", "employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "account"], name="pp_connection_once")
        ]
        indexes = [
            models.Index(
                fields=["account"],
                name="pp_connection_complete",
                condition=Q(in_partner_account=True, client_assigned=True, in_client_account=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} @ {self.account_id}"

    @property
    def is_complete(self) -> bool:
        return self.in_partner_account and self.client_assigned and self.in_client_account


class Tool(models.TextChoices):
    MARKETING = "marketing", _("Marketing Hub")
    SALES = "sales", _("Sales Hub")
    SERVICE = "service", _("Service Hub")
    CMS = "cms", _("Content Hub (CMS)")
    OPERATIONS = "operations", _("Operations Hub")
    COMMERCE = "commerce", _("Commerce Hub")


class ActivityType(models.Model):
    """A qualifying activity of the catalogue, per tool (an editable list)."""

    tool = models.CharField(_("tool"), max_length=16, choices=Tool.choices)
    name = models.CharField(_("name"), max_length=150)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["tool", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "name"], name="pp_activity_type_name"),
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="pp_activity_type_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ActivitySource(models.TextChoices):
    MANUAL = "manual", _("Recorded by hand")
    IMPORT = "import", _("CSV import")
    API = "api", _("API")
    AUTOMATIC = "automatic", _("From agency work")


class QualifyingActivity(models.Model):
    """A qualifying activity an employee performed in a client's account on a day.

    Automatic records link their source event (a completed task, a ticket reaching a stage);
    the unique (event, type) makes "once per event" a fact however often the event is
    processed. ``subject`` is the task or ticket it came from.
    """

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="qualifying_activities",
        db_index=False,
    )
    account = models.ForeignKey(
        HubSpotAccount,
        verbose_name=_("HubSpot account"),
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,
    )
    activity_type = models.ForeignKey(
        ActivityType, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=ActivitySource.choices, default=ActivitySource.MANUAL
    )
    source_event = models.ForeignKey(
        "core.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = _("qualifying activities")
        constraints = [
            models.UniqueConstraint(
                fields=["source_event", "activity_type"],
                condition=Q(source_event__isnull=False),
                name="pp_activity_once_per_event",
            )
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_on"], name="pp_activity_account"),
            models.Index(fields=["employee", "-occurred_on"], name="pp_activity_employee"),
            models.Index(fields=["-occurred_on", "-id"], name="pp_activity_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type_id} by {self.employee_id} on {self.occurred_on}"


class ActivityMapping(models.Model):
    """Agency work that records a qualifying activity: a portal task of ``task_category``
    reaching Complete, or a ticket entering ``stage`` (which names its pipeline)."""

    activity_type = models.ForeignKey(
        ActivityType, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="mappings"
    )
    task_category = models.ForeignKey(
        "portal.TaskCategory",
        verbose_name=_("task category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    stage = models.ForeignKey(
        "crm.Stage",
        verbose_name=_("ticket stage"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        ordering = ["activity_type_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(task_category__isnull=False, stage__isnull=True)
                | Q(task_category__isnull=True, stage__isnull=False),
                name="pp_mapping_one_source",
            ),
            models.UniqueConstraint(
                fields=["task_category", "activity_type"],
                condition=Q(task_category__isnull=False),
                name="pp_mapping_category_once",
            ),
            models.UniqueConstraint(
                fields=["stage", "activity_type"],
                condition=Q(stage__isnull=False),
                name="pp_mapping_stage_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_category_id or self.stage_id} → {self.activity_type_id}"


class Tier(models.Model):
    """A partner tier and its thresholds (an editable table; the shipped numbers are examples).

    Sold points are sourced + assisted; total points add managed. ``min_activities`` counts
    qualifying activities in the program's activity period (``ProgramSettings``).
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    min_total_points = models.PositiveIntegerField(_("minimum total points"), default=0)
    min_sold_points = models.PositiveIntegerField(
        _("minimum sold points (sourced and assisted)"), default=0
    )
    min_activities = models.PositiveIntegerField(
        _("minimum qualifying activities per period"), default=0
    )
    min_certified_employees = models.PositiveIntegerField(
        _("minimum certified employees"), default=0
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="pp_tier_key")
        ]

    def __str__(self) -> str:
        return self.name


class TierReview(models.Model):
    """A tier review (1 January, 1 June): the tier credited from that day, with the figures used.
    The credited tier is the last review's; ``tier`` is None below the lowest tier."""

    reviewed_on = models.DateField(_("review date"), unique=True)
    tier = models.ForeignKey(
        Tier, verbose_name=_("credited tier"), null=True, blank=True, on_delete=models.SET_NULL
    )
    figures = models.JSONField(_("figures"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on"]

    def __str__(self) -> str:
        return f"review {self.reviewed_on}"


class Certification(models.Model):
    """An employee's HubSpot Academy certification. Partner Certified: one not yet expired."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    name = models.CharField(_("certification"), max_length=150)
    issued_on = models.DateField(_("issued"))
    # None: it does not expire. Valid through this day.
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    academy_url = models.URLField(_("HubSpot Academy link"), max_length=500, blank=True)

    class Meta:
        ordering = ["employee_id", "expires_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="pp_certification_expires_after_issue",
            )
        ]
        indexes = [models.Index(fields=["expires_on"], name="pp_certification_expiry")]

    def __str__(self) -> str:
        return self.name


class ProgramSettings(models.Model):
    """Agency-wide settings of the partner program (one row)."""

    lapse_alert_days = models.PositiveSmallIntegerField(
        _("alert after days without qualifying activity"), default=45
    )
    relationship_end_days = models.PositiveSmallIntegerField(
        _("managed relationship ends after days without qualifying activity"), default=60
    )
    tier_risk_lead_days = models.PositiveSmallIntegerField(
        _("tier-at-risk alert days before a review"), default=60
    )
    certification_alert_days = models.PositiveSmallIntegerField(
        _("certification expiry alert days"), default=30
    )
    # The trailing window over which a tier's minimum of qualifying activities is counted.
    activity_period_days = models.PositiveSmallIntegerField(
        _("qualifying activity period (days)"), default=90
    )
    # From the review that credits a tier below an accreditation's minimum: long enough by
    # default to reach the next review whichever review starts it (1 June → 1 January, the
    # longer gap, is 214 days), so tiering back up at that review clears it.
    grace_period_days = models.PositiveSmallIntegerField(
        _("accreditation grace period after a tier drop (days)"), default=214
    )
    evaluation_alert_days = models.PositiveSmallIntegerField(
        _("accreditation evaluation alert days before"), default=30
    )
    complaint_waiting_days = models.PositiveSmallIntegerField(
        _("alert when a complaint waits on the agency for more than (working days)"), default=5
    )

    class Meta:
        verbose_name_plural = _("program settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(relationship_end_days__gte=1, activity_period_days__gte=1),
                name="pp_settings_positive_periods",
            )
        ]

    def __str__(self) -> str:
        return "partner program settings"

    @classmethod
    def load(cls) -> ProgramSettings:
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create()
        return obj
