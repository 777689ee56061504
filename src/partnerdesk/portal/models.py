"""Client task requests, plans and their history, messages, attachments, consultation sessions.

The lifecycle (PRODUCT.md part 2):

    Triage --accept (estimate)--> Accepted (ordered queue) --start (free slot)--> Working
    Working --deliver--> Pending Approval --approve--> Complete
    Pending Approval --request changes--> Working
    Triage --decline--> Declined;  Triage/Accepted --withdraw--> Withdrawn

Every transition is a service in ``services.py``; the rows here only hold the state.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.files import private_storage
from partnerdesk.core.tenancy import TenantQuerySet
from partnerdesk.core.translated import TranslatedNameField


class Plan(models.Model):
    """How many tasks the agency works at once for a client (Solo 1, Duo 2, Team 3)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    concurrent_tasks = models.PositiveSmallIntegerField(
        _("tasks worked at once"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["concurrent_tasks", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(concurrent_tasks__gte=1), name="plan_at_least_one_task"
            ),
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="plan_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """A company's plan over a period; the open row (no ``ended_at``) is the current plan."""

    company = models.ForeignKey(
        "crm.Company", on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantQuerySet.as_manager()
    tenant_path = "company_id"

    class Meta:
        ordering = ["company_id", "-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(ended_at__isnull=True),
                name="one_current_plan_per_company",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.plan_id}"


class TaskCategory(models.Model):
    name = TranslatedNameField(_("name"), max_length=100, unique=True)
    # The name in other languages ({"it": …, "ar": …}); ``name`` reads in the reader's
    # language, queries use the base name (see core.translated).
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    # Tasks of this category book a 45-minute consultation session.
    is_consultation = models.BooleanField(_("consultation session"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = _("task categories")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="task_category_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PortalSettings(models.Model):
    """Agency-wide settings of the task queue (one row)."""

    auto_start_next = models.BooleanField(
        _("start the next accepted task when a slot frees"), default=True
    )
    # Working days after delivery at which a client who has not approved is reminded.
    approval_reminder_days = models.JSONField(_("approval reminders (working days)"), default=list)
    consultants = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("consultants"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return "portal settings"

    @classmethod
    def load(cls) -> PortalSettings:
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create(approval_reminder_days=[2, 5])
        return obj


class Status(models.TextChoices):
    TRIAGE = "triage", _("Triage")
    ACCEPTED = "accepted", _("Accepted")
    WORKING = "working", _("Working")
    PENDING_APPROVAL = "pending_approval", _("Pending Approval")
    COMPLETE = "complete", _("Complete")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The statuses that hold one of the client's plan slots.
SLOT_STATUSES = (Status.WORKING, Status.PENDING_APPROVAL)
OPEN_STATUSES = (Status.TRIAGE, Status.ACCEPTED, Status.WORKING, Status.PENDING_APPROVAL)
CLOSED_STATUSES = (Status.COMPLETE, Status.DECLINED, Status.WITHDRAWN)


class WaitingOn(models.TextChoices):
    AGENCY = "agency", _("Waiting on us")
    CLIENT = "client", _("Waiting on the client")
    NOBODY = "", _("Closed")


class Task(models.Model):
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="tasks",
        db_index=False,
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        TaskCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="tasks"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TRIAGE
    )
    waiting_on = models.CharField(
        _("waiting on"),
        max_length=8,
        choices=WaitingOn.choices,
        default=WaitingOn.AGENCY,
        blank=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
        db_index=False,
    )
    # Effort in working minutes; required from acceptance on (it counts from the start of work).
    estimate_minutes = models.PositiveIntegerField(_("time estimate (minutes)"), null=True)
    # Place in the client's accepted queue (1 = next); None outside Accepted.
    queue_position = models.PositiveIntegerField(_("queue position"), null=True, blank=True)
    estimated_completion = models.DateTimeField(_("estimated completion"), null=True, blank=True)
    decline_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Approval reminders: how many were sent, and when the next is due (indexed for the sweep).
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "company_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["triage", "declined", "withdrawn"])
                | Q(estimate_minutes__gt=0),
                name="task_estimate_once_accepted",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "queue_position"], name="task_queue"),
            models.Index(fields=["status", "-created_at", "-id"], name="task_status_newest"),
            # The task desk's and the API's list of every status (status=all), newest first.
            models.Index(fields=["-created_at", "-id"], name="task_newest"),
            # A company's tasks newest first (any status): the client's API list, desk by company.
            models.Index(fields=["company", "-created_at", "-id"], name="task_company_newest"),
            # The client's task list: its closed tasks, last closed first, a page at a time.
            models.Index(
                fields=["company", "-closed_at", "-id"],
                name="task_closed_newest",
                condition=Q(status__in=CLOSED_STATUSES),
            ),
            # The staff triage list: open tasks newest first, all or waiting on one side.
            models.Index(
                fields=["-created_at", "-id"],
                name="task_open_newest",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["waiting_on", "-created_at", "-id"],
                name="task_open_waiting",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["status", "estimated_completion"], name="task_overdue"),
            models.Index(
                fields=["next_reminder_at"],
                name="task_reminder_due",
                condition=Q(next_reminder_at__isnull=False),
            ),
            models.Index(fields=["assignee", "status"], name="task_assignee"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TaskCount(models.Model):
    """The client tasks per status, waiting-on and assignee, counted by the database
    (``core.totals``, ``portal.totals``; triggers on the tasks, migration 0009): the triage
    list's and the API's number for the agency's staff, filtered by those alone, is the sum
    of a few rows, exact, however many tasks there are. ``assignee_id`` is a user's id
    without a foreign key, as the triggers write it (None: nobody's)."""

    status = models.CharField(max_length=16)
    waiting_on = models.CharField(max_length=8)
    assignee_id = models.BigIntegerField(null=True)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "waiting_on", "assignee_id", "n"], name="task_count")
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.waiting_on} {self.assignee_id} {self.n:+d}"


class Via(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("Email reply")
    API = "api", _("API")


class Message(models.Model):
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Plain text as written (emailed replies: with quoted history and signatures removed).
    body = models.TextField(_("message"))
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.WEB)
    # The Message-ID of the email it came from: a redelivered email is not posted twice.
    email_message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    from_agency = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "task__company_id"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"], name="message_task")]

    def __str__(self) -> str:
        return self.body[:60]


def get_private_storage():
    """The field's storage as a callable (its migration names this function); the storage is
    core.files' private storage, shared with the tickets' attachments."""
    return private_storage


def attachment_path(instance, filename: str) -> str:
    import uuid

    return f"tasks/{instance.task_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(storage=get_private_storage, upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "task__company_id"

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class SessionStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class ConsultationSession(models.Model):
    """A 45-minute consultation booked on a task of category Consultation Session.

    Slots lie on a fixed grid inside the working calendar, so "a consultant is never
    double-booked" is the unique constraint below: one booked session per consultant and start.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="sessions")
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Bumped on each reschedule: the iCalendar SEQUENCE, so calendars update the invitation.
    sequence = models.PositiveSmallIntegerField(default=0)

    objects = TenantQuerySet.as_manager()
    tenant_path = "task__company_id"

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultant", "starts_at"],
                condition=Q(status="booked"),
                name="consultant_never_double_booked",
            ),
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status="booked"),
                name="one_booked_session_per_task",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="session_upcoming")]

    def __str__(self) -> str:
        return f"{self.task_id} @ {self.starts_at:%Y-%m-%d %H:%M}"
