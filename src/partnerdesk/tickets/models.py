import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.files import get_private_storage
from partnerdesk.core.tenancy import TenantQuerySet
from partnerdesk.crm.models import ObjectType, PropertyRecord
from partnerdesk.sla.models import Unit


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
    EMAIL = "email", _("Email")


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    ON_TRACK = "on_track", _("On track")
    DUE_SOON = "due_soon", _("Due soon")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


# Open tickets breached whatever the time is: a target overdue before the pause began, or a
# target missed (a first response given late). With the running targets overdue by now (the
# due-time indexes) they are every open breached ticket: tickets.selectors.attention_counts
# reads them through the partial index of this condition (ticket_open_breached).
OPEN_BREACHED = Q(closed_at__isnull=True) & (
    Q(sla_paused_at__isnull=False, resolution_due_at__lte=F("sla_paused_at"))
    | Q(
        sla_paused_at__isnull=False,
        first_response_at__isnull=True,
        first_response_due_at__lte=F("sla_paused_at"),
    )
    | Q(first_response_met=False)
    | Q(resolution_met=False)
)
# Every column an SLA state reads (sla_state.state_q): an index on them (after the column its
# range scans use) answers a count of tickets in a state from the index alone (an index-only
# scan), never visiting a table page per ticket. Key columns rather than INCLUDE, which
# SQLite does not have.
SLA_STATE_COLUMNS = [
    "id",
    "sla_policy",
    "closed_at",
    "sla_paused_at",
    "has_delay_cause",
    "first_response_at",
    "first_response_due_at",
    "first_response_warn_at",
    "first_response_met",
    "resolution_due_at",
    "resolution_warn_at",
    "resolution_met",
]


def sla_state_index(first: str) -> list[str]:
    """The fields of an index whose range scans use ``first`` and that covers SLA_STATE_COLUMNS."""
    return [first, *(c for c in SLA_STATE_COLUMNS if c != first)]


class Ticket(PropertyRecord):
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    pipeline = models.ForeignKey(
        "crm.Pipeline", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    stage = models.ForeignKey("crm.Stage", on_delete=models.PROTECT, related_name="tickets")
    entry_stage = models.ForeignKey("crm.Stage", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
        db_index=False,
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
        db_index=False,
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
    # The closed ticket a customer wrote to again after it could no longer be reopened (see
    # tickets.email: a follow-up ticket, as in Zendesk).
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )

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
    # Time to each target once it is met or missed, in the policy's kind of time (calendar
    # seconds, or seconds of working time for working-time and working-days targets), paused
    # time left out; set with the met flags (clocks.recompute_sla), read by the reports.
    first_response_elapsed = models.PositiveIntegerField(null=True, blank=True)
    first_response_elapsed_unit = models.CharField(max_length=16, blank=True, choices=Unit.choices)
    resolution_elapsed = models.PositiveIntegerField(null=True, blank=True)
    resolution_elapsed_unit = models.CharField(max_length=16, blank=True, choices=Unit.choices)

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
            # Open work only (a third of a year's tickets): the list of open tickets per
            # pipeline and per owner (or nobody) newest first, and their capped counts, never
            # read the closed history (tests/tickets/test_scale_postgres.py).
            models.Index(
                fields=["pipeline", "-created_at", "-id"],
                name="ticket_open_pipeline",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="ticket_open_owner",
                condition=Q(closed_at__isnull=True),
            ),
            # ... and open tickets by the due time of a target (the list's sorts): read from
            # ticket_resolution_sort, the first 25 open ones came after every closed ticket due
            # earlier (111,719 of them at a million tickets, 310 ms).
            models.Index(
                fields=["resolution_due_at", "id"],
                name="ticket_open_resolution_sort",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["first_response_due_at", "id"],
                name="ticket_open_fr_sort",
                condition=Q(closed_at__isnull=True),
            ),
            # The open tickets breached whatever now is, and (below) the running targets by due
            # time: the home page's breached and due-soon counts read them index-only.
            models.Index(
                fields=sla_state_index("id"), name="ticket_open_breached", condition=OPEN_BREACHED
            ),
            models.Index(
                fields=sla_state_index("resolution_due_at"),
                name="ticket_resolution_due",
                condition=Q(
                    closed_at__isnull=True,
                    sla_paused_at__isnull=True,
                    resolution_due_at__isnull=False,
                ),
            ),
            models.Index(
                fields=sla_state_index("first_response_due_at"),
                name="ticket_first_response_due",
                condition=Q(
                    first_response_at__isnull=True,
                    sla_paused_at__isnull=True,
                    first_response_due_at__isnull=False,
                ),
            ),
            # The staff home: an owner's open tickets with every column an SLA state reads, in
            # resolution due order, so the states of an owner's tickets (the agent's, each
            # owner's workload) are counted from the index alone, and their next due read in
            # order; with the first responses an owner still owes, in due order.
            models.Index(
                fields=["owner", *sla_state_index("resolution_due_at")],
                name="ticket_open_owner_sla",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["owner", "first_response_due_at", "id"],
                name="ticket_owner_fr_due",
                condition=Q(
                    first_response_at__isnull=True,
                    closed_at__isnull=True,
                    sla_paused_at__isnull=True,
                    first_response_due_at__isnull=False,
                ),
            ),
            # ... and the tickets closed in a range of days (its chart of tickets closed).
            models.Index(
                fields=["closed_at"], name="ticket_closed", condition=Q(closed_at__isnull=False)
            ),
            models.Index(fields=["resolution_due_at", "id"], name="ticket_resolution_sort"),
            # The reports of tickets opened in a range of days (the most requested work), with
            # what they count, group and filter by, so a vacuumed table answers them from the
            # index alone. Its key is one column on purpose: the planner discounts the on-disk
            # order of a multi-column key such as ticket_newest's, and for 90 days of two years
            # of tickets it read the whole table instead (tests/reports/test_scale_postgres.py).
            models.Index(
                fields=["created_at"],
                include=["entry_stage", "pipeline", "owner", "company", "id"],
                name="ticket_created_report",
            ),
            # The SLA compliance report: targets met or missed in a range of days, with what it
            # groups and counts them by, so its counts and percentiles read the index alone.
            models.Index(
                fields=[
                    "first_response_at",
                    "pipeline",
                    "entry_stage",
                    "owner",
                    "first_response_met",
                    "first_response_elapsed_unit",
                    "first_response_elapsed",
                ],
                name="ticket_fr_settled",
                condition=Q(first_response_met__isnull=False),
            ),
            models.Index(
                fields=[
                    "closed_at",
                    "pipeline",
                    "entry_stage",
                    "owner",
                    "resolution_met",
                    "resolution_elapsed_unit",
                    "resolution_elapsed",
                ],
                name="ticket_res_settled",
                condition=Q(resolution_met__isnull=False),
            ),
            # ... and first responses still owed, by due time (open and breached in a range).
            models.Index(
                fields=["first_response_due_at"],
                name="ticket_fr_open_due",
                condition=Q(first_response_at__isnull=True, closed_at__isnull=True),
            ),
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


class Via(models.TextChoices):
    """How a note or message reached the ticket."""

    WEB = "web", _("Web")
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Client portal")
    API = "api", _("API")


class TicketNote(models.Model):
    """An entry of the ticket's conversation.

    * an internal note (``is_public`` False): staff only, never leaves the agency;
    * a public reply by an agent (``is_public``, ``author`` set): emailed to the contact and
      the contacts in ``cc`` (tickets.email), the first one sets the first response;
    * a public message from the customer (``from_customer``, ``author_contact`` set, or
      ``author`` a client user writing from the portal): by email (``via`` email, with the
      email's ``email_message_id`` and sender ``email_from``) or the portal.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The contact who wrote a customer message (by email, or through the portal).
    author_contact = models.ForeignKey(
        "crm.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_messages",
    )
    body = models.TextField(_("note"))
    is_public = models.BooleanField(_("reply to the customer"), default=False)
    is_delay_cause = models.BooleanField(_("cause of delay"), default=False)
    from_customer = models.BooleanField(_("from the customer"), default=False)
    via = models.CharField(_("via"), max_length=8, choices=Via.choices, default=Via.WEB)
    # The Message-ID of the email it came from: a redelivered email is not posted twice.
    email_message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # The sender of the email it came from (lowercased): the per-sender rate limit reads it.
    email_from = models.EmailField(blank=True)
    # Addresses a public reply was copied to (lowercased), or that an emailed message was
    # addressed to besides us.
    cc = models.JSONField(_("copied to"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "ticket__company_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["email_from", "created_at"],
                name="ticket_note_sender",
                condition=~Q(email_from=""),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_customer=False) | Q(is_public=True),
                name="customer_messages_are_public",
            )
        ]

    def __str__(self) -> str:
        return self.body[:50]


def ticket_attachment_path(instance, filename: str) -> str:
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    """A file of a ticket's conversation, stored under the private root (core.files) and served
    only after the tenancy check; the size and type limits are the portal's
    (PARTNERDESK_ATTACHMENT_MAX_BYTES, PARTNERDESK_ATTACHMENT_TYPES)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    note = models.ForeignKey(
        TicketNote, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        storage=get_private_storage, upload_to=ticket_attachment_path, max_length=255
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "ticket__company_id"

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class EmailKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    RECEIVED = "received", _("Acknowledgement of a request received by email")
    NOTICE = "notice", _("Notice")


class TicketEmail(models.Model):
    """One email sent about a ticket to one address.

    Inserted (claimed) before it is sent, so a retried send never sends it twice (one per
    kind, note and address); its ``message_id`` lets a reply whose signed address was lost be
    threaded back to the ticket by In-Reply-To / References.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="emails", db_index=False
    )
    note = models.ForeignKey(
        TicketNote, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    kind = models.CharField(max_length=16, choices=EmailKind.choices, default=EmailKind.REPLY)
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.EmailField()
    message_id = models.CharField(max_length=255, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "ticket__company_id"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_email_ticket")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "note", "address"],
                condition=Q(note__isnull=False),
                name="ticket_email_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.address}"


class UnknownSenders(models.TextChoices):
    CREATE_CONTACT = "create_contact", _("Create a contact (under the company of their domain)")
    HOLD = "hold", _("Hold the email in the unknown-sender queue")


class SupportMailbox(models.Model):
    """An address (support@…) whose mail opens tickets in a pipeline's entry stage."""

    address = models.EmailField(_("address"), unique=True)
    pipeline = models.ForeignKey(
        "crm.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    entry_stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("opens tickets in"), on_delete=models.PROTECT, related_name="+"
    )
    unknown_senders = models.CharField(
        _("mail from unknown senders"),
        max_length=16,
        choices=UnknownSenders.choices,
        default=UnknownSenders.CREATE_CONTACT,
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("support mailbox")
        verbose_name_plural = _("support mailboxes")

    def __str__(self) -> str:
        return self.address


class HeldStatus(models.TextChoices):
    HELD = "held", _("Held")
    ACCEPTED = "accepted", _("Accepted")
    DISCARDED = "discarded", _("Discarded")


def held_email_path(instance, filename: str) -> str:
    return f"held-email/{uuid.uuid4().hex}.eml"


class HeldEmail(models.Model):
    """Mail to a support mailbox from an unknown sender, held until an agent accepts it (a
    contact and a ticket are created) or discards it."""

    mailbox = models.ForeignKey(SupportMailbox, on_delete=models.CASCADE, related_name="held")
    sender = models.EmailField(_("sender"))
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # The email as received, kept to open the ticket with its attachments when accepted.
    raw = models.FileField(storage=get_private_storage, upload_to=held_email_path, max_length=255)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=HeldStatus.choices, default=HeldStatus.HELD)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"], name="held_email_queue")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


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


class TicketStageVisit(models.Model):
    """One stay of a ticket in a stage: from entering it to leaving it (``left_at`` None while
    it is there). Written by the services that open and move tickets (``history.py``), in their
    transaction; the time-in-stage report ranks the ``seconds`` (calendar time) of the stays
    that ended in its range."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="stage_visits")
    pipeline = models.ForeignKey(
        "crm.Pipeline", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    stage = models.ForeignKey("crm.Stage", on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    seconds = models.PositiveIntegerField(null=True, blank=True)  # set when it leaves

    class Meta:
        ordering = ["entered_at", "id"]
        indexes = [models.Index(fields=["pipeline", "left_at"], name="stage_visit_left")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(left_at__isnull=True), name="one_open_stage_visit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} in {self.stage_id}: {self.entered_at} – {self.left_at}"


class SavedView(models.Model):
    """A named set of ticket-list filters; shared views are visible to every agent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ticket_views",
        db_index=False,
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


# The status emails to customers (issue 14, part 4) live in their own module.
class TicketCount(models.Model):
    """The tickets per pipeline stage, owner and open or closed, counted by the database
    (``core.totals``, ``tickets.totals``; triggers on the tickets, migration 0018): a board
    column's number, and a list's filtered by pipeline, stage, owner and status alone, is the
    sum of a few rows, exact, however many tickets there have ever been. Keyed by ids
    without foreign keys, as the triggers write them (``owner_id`` None: nobody's)."""

    pipeline_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True)
    is_open = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["pipeline_id", "stage_id", "owner_id", "is_open", "n"],
                name="ticket_count",
            ),
            models.Index(fields=["owner_id", "is_open", "n"], name="ticket_count_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.owner_id} {self.is_open} {self.n:+d}"


from .notice_models import CustomerNotice, CustomerNoticeSent, NoticeEvent  # noqa: E402, F401
