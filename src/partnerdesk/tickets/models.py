from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.tenancy import TenantQuerySet
from partnerdesk.crm.models import ObjectType, PropertyRecord


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Source(models.TextChoices):
    MANUAL = "manual", _("By hand")
    DEAL = "deal", _("From a deal")
    API = "api", _("API")
    AUTOMATION = "automation", _("Automation")
    IMPORT = "import", _("Import")


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    ON_TRACK = "on_track", _("On track")
    DUE_SOON = "due_soon", _("Due soon")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class Ticket(PropertyRecord):
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    pipeline = models.ForeignKey("crm.Pipeline", on_delete=models.PROTECT, related_name="tickets")
    stage = models.ForeignKey("crm.Stage", on_delete=models.PROTECT, related_name="tickets")
    entry_stage = models.ForeignKey("crm.Stage", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # The deal the ticket was opened from (if any).
    deal = models.ForeignKey(
        "crm.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="originated_tickets",
    )
    # Every deal the ticket is associated with, the originating ``deal`` among them: a website
    # ticket serves the won website deal and the annual renewal deal. ``deal.tickets`` is the
    # deal's side. ``services.ticket_create`` adds the originating deal; migration 0005 added
    # it for the tickets from before.
    deals = models.ManyToManyField(
        "crm.Deal", verbose_name=_("associated deals"), blank=True, related_name="tickets"
    )
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    stage_entered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # SLA clocks, stored so that lists, filters and the sweep are indexed queries.
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_met = models.BooleanField(null=True, blank=True)
    resolution_started_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_met = models.BooleanField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Set once each by the sweep (conditional UPDATE): one event per target and kind.
    first_response_due_soon_sent = models.BooleanField(default=False)
    first_response_breach_sent = models.BooleanField(default=False)
    resolution_due_soon_sent = models.BooleanField(default=False)
    resolution_breach_sent = models.BooleanField(default=False)
    has_delay_cause = models.BooleanField(_("cause of delay recorded"), default=False)

    objects = TenantQuerySet.as_manager()
    tenant_path = "company_id"
    object_type = ObjectType.TICKET

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["pipeline", "stage", "-created_at", "-id"], name="ticket_board"),
            models.Index(fields=["-created_at", "-id"], name="ticket_newest"),
            models.Index(fields=["owner", "-created_at"], name="ticket_owner"),
            models.Index(fields=["company", "-created_at"], name="ticket_company"),
            models.Index(fields=["deal"], name="ticket_deal"),
            models.Index(
                fields=["resolution_due_at"],
                name="ticket_resolution_due",
                condition=Q(
                    closed_at__isnull=True,
                    sla_paused_at__isnull=True,
                    resolution_due_at__isnull=False,
                ),
            ),
            models.Index(
                fields=["first_response_due_at"],
                name="ticket_first_response_due",
                condition=Q(
                    first_response_at__isnull=True,
                    sla_paused_at__isnull=True,
                    first_response_due_at__isnull=False,
                ),
            ),
            models.Index(fields=["resolution_due_at", "id"], name="ticket_resolution_sort"),
            # The sweep's passes for targets overdue before a pause began compare two columns,
            # which no index orders: these hold exactly the tickets such a pass reports.
            models.Index(
                fields=["sla_paused_at"],
                name="ticket_paused_res_breach",
                condition=Q(
                    closed_at__isnull=True,
                    sla_paused_at__isnull=False,
                    resolution_breach_sent=False,
                    resolution_due_at__lte=F("sla_paused_at"),
                ),
            ),
            models.Index(
                fields=["sla_paused_at"],
                name="ticket_paused_fr_breach",
                condition=Q(
                    first_response_at__isnull=True,
                    closed_at__isnull=True,
                    sla_paused_at__isnull=False,
                    first_response_breach_sent=False,
                    first_response_due_at__lte=F("sla_paused_at"),
                ),
            ),
            models.Index(
                fields=["resolution_due_at"],
                name="ticket_resolution_breach",
                condition=Q(
                    closed_at__isnull=True, sla_paused_at__isnull=True, resolution_breach_sent=False
                ),
            ),
            models.Index(
                fields=["first_response_due_at"],
                name="ticket_first_response_breach",
                condition=Q(
                    first_response_at__isnull=True,
                    closed_at__isnull=True,
                    sla_paused_at__isnull=True,
                    first_response_breach_sent=False,
                ),
            ),
            models.Index(
                fields=["resolution_warn_at"],
                name="ticket_resolution_warn",
                condition=Q(
                    closed_at__isnull=True,
                    sla_paused_at__isnull=True,
                    resolution_due_soon_sent=False,
                ),
            ),
            models.Index(
                fields=["first_response_warn_at"],
                name="ticket_first_response_warn",
                condition=Q(
                    first_response_at__isnull=True,
                    sla_paused_at__isnull=True,
                    first_response_due_soon_sent=False,
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class TicketNote(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    is_public = models.BooleanField(_("reply to the customer"), default=False)
    is_delay_cause = models.BooleanField(_("cause of delay"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "ticket__company_id"

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class TicketPause(models.Model):
    """A stretch of time the ticket spent waiting on the customer."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at__isnull=True), name="one_open_pause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.started_at} – {self.ended_at}"


class SavedView(models.Model):
    """A named set of ticket-list filters; shared views are visible to every agent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000)
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
