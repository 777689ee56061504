"""Accreditations, complaints and marks on record (PRODUCT.md part 5, seed 001 "HubSpot
Accreditation Standards"). Re-exported by ``models`` (which would otherwise grow past the
800-line limit); fields and constraints only, the rules are in ``services.accreditations``,
``services.complaints`` and ``accreditation_rules``.

- An **accreditation type** is a row of the editable catalogue with its prerequisites: the
  minimum credited tier and the certifications it requires (each held by a number of current
  employees). An **accreditation** is the agency holding (or applying for) one type; at most one
  live accreditation per type. It is evaluated every six months from its issue date; each
  evaluation is one row per (accreditation, due day), which makes "exactly once" a fact.
- A **complaint** about the agency moves Complaint → Mediation → Partner Ops Escalation →
  Review Board (a serious infringement starts at the review board); each step it passes through
  is a ``ComplaintStep`` row with its owner, dates, notes and outcome. Only a review-board finding
  of fault places a **mark on record**.

Client users see nothing of these (no ``tenant_path``: their ``for_user`` is empty).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.models import TimeStampedModel
from partnerdesk.core.tenancy import TenantQuerySet

# More marks than this send every accreditation renewal to the review board (seed 001).
MAX_MARKS = 3


class AccreditationType(models.Model):
    """An accreditation of the catalogue and its prerequisites.

    ``required_certifications`` is a list of ``{"name": str, "employees": int}``: the
    certification (matched by name, case-insensitively) and how many current employees must
    hold it. ``minimum_tier`` empty: no tier prerequisite (e.g. its tier was deleted).
    """

    name = models.CharField(_("name"), max_length=150, unique=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    required_certifications = models.JSONField(
        _("required certifications"), default=list, blank=True
    )
    minimum_tier = models.ForeignKey(
        "partner_program.Tier",
        verbose_name=_("minimum tier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="pp_accreditation_type_key"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AccreditationState(models.TextChoices):
    APPLYING = "applying", _("Applying")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    UNDER_BOARD_REVIEW = "under_board_review", _("Under board review")
    REVOKED = "revoked", _("Revoked")
    LAPSED = "lapsed", _("Lapsed")


# An accreditation in one of these is the agency's current one of its type.
LIVE_STATES = (
    AccreditationState.APPLYING,
    AccreditationState.ACTIVE,
    AccreditationState.AT_RISK,
    AccreditationState.UNDER_BOARD_REVIEW,
)
# Held, and evaluated on its dates.
HELD_STATES = (AccreditationState.ACTIVE, AccreditationState.AT_RISK)


class Accreditation(TimeStampedModel):
    """The agency's accreditation of one type.

    ``next_evaluation_on`` is the next day of the six-month series from ``issued_on`` (empty
    while applying, under board review, revoked or lapsed). ``grace_period_ends_on`` is the last
    day of the grace period that started when the credited tier fell below the minimum (empty
    when the tier is met). ``at_risk_reasons`` lists every reason it is at risk, each a
    ``{"code": "tier" | "certifications" | "marks", ...}`` with the figures behind it.
    """

    accreditation_type = models.ForeignKey(
        AccreditationType,
        verbose_name=_("accreditation"),
        on_delete=models.PROTECT,
        related_name="accreditations",
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=AccreditationState.choices,
        default=AccreditationState.APPLYING,
    )
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    next_evaluation_on = models.DateField(_("next evaluation"), null=True, blank=True)
    grace_period_ends_on = models.DateField(_("grace period ends"), null=True, blank=True)
    at_risk_reasons = models.JSONField(_("at-risk reasons"), default=list, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["accreditation_type__order", "accreditation_type__name", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["accreditation_type"],
                condition=Q(state__in=LIVE_STATES),
                name="pp_one_live_accreditation_per_type",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=(*HELD_STATES, AccreditationState.UNDER_BOARD_REVIEW))
                | Q(issued_on__isnull=False),
                name="pp_accreditation_held_was_issued",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_evaluation_on"],
                name="pp_accreditation_due",
                condition=Q(next_evaluation_on__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.accreditation_type_id} ({self.state})"


class EvaluationResult(models.TextChoices):
    RENEWED = "renewed", _("Renewed")
    # A prerequisite is not met but its grace period is still running.
    AT_RISK = "at_risk", _("At risk")
    UNDER_BOARD_REVIEW = "under_board_review", _("Sent to the review board")
    LAPSED = "lapsed", _("No longer eligible")


class AccreditationEvaluation(models.Model):
    """One six-monthly evaluation of an accreditation, with the figures it used. Unique per
    (accreditation, due day): however many schedulers run, a due day is evaluated once."""

    accreditation = models.ForeignKey(
        Accreditation, on_delete=models.CASCADE, related_name="evaluations", db_index=False
    )
    due_on = models.DateField(_("due on"))
    evaluated_at = models.DateTimeField(_("evaluated at"))
    result = models.CharField(_("result"), max_length=20, choices=EvaluationResult.choices)
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        ordering = ["accreditation_id", "-due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["accreditation", "due_on"], name="pp_evaluation_once_per_due_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.accreditation_id} evaluated for {self.due_on}: {self.result}"


class ComplaintSource(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    HUBSPOT_CS = "hubspot_cs", _("HubSpot CS")
    OTHER = "other", _("Other")


class ComplaintStepKind(models.TextChoices):
    """The escalation path, in order (seed 001)."""

    COMPLAINT = "complaint", _("Complaint")
    MEDIATION = "mediation", _("Mediation")
    PARTNER_OPS_ESCALATION = "partner_ops_escalation", _("Partner Ops Escalation")
    REVIEW_BOARD = "review_board", _("Review Board")


STEP_ORDER = [
    ComplaintStepKind.COMPLAINT,
    ComplaintStepKind.MEDIATION,
    ComplaintStepKind.PARTNER_OPS_ESCALATION,
    ComplaintStepKind.REVIEW_BOARD,
]


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    # The review board's finding is final.
    CLOSED = "closed", _("Closed")


class WaitingOn(models.TextChoices):
    AGENCY = "agency", _("The agency")
    HUBSPOT = "hubspot", _("HubSpot")
    CUSTOMER = "customer", _("The customer")


class Complaint(TimeStampedModel):
    """A complaint about the agency. ``step`` is its current step; ``waiting_on`` and
    ``waiting_since`` say whose move it is (a new step waits on the agency)."""

    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("client company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=ComplaintSource.choices)
    summary = models.TextField(_("summary"))
    serious_infringement = models.BooleanField(_("serious infringement"), default=False)
    step = models.CharField(
        _("step"),
        max_length=24,
        choices=ComplaintStepKind.choices,
        default=ComplaintStepKind.COMPLAINT,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    finished_on = models.DateField(_("resolved or closed on"), null=True, blank=True)
    waiting_on = models.CharField(
        _("waiting on"), max_length=10, choices=WaitingOn.choices, blank=True
    )
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ComplaintStatus.OPEN, finished_on__isnull=True)
                | (~Q(status=ComplaintStatus.OPEN) & Q(finished_on__gte=F("opened_on"))),
                name="pp_complaint_finished_when_not_open",
            )
        ]
        indexes = [
            models.Index(fields=["status", "step"], name="pp_complaint_status_step"),
            models.Index(
                fields=["waiting_since"],
                name="pp_complaint_waiting_agency",
                condition=Q(status=ComplaintStatus.OPEN, waiting_on=WaitingOn.AGENCY),
            ),
        ]

    def __str__(self) -> str:
        return self.summary[:60]


class StepOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated")
    FINDING_FAULT = "finding_fault", _("Partner found at fault")
    FINDING_NO_FAULT = "finding_no_fault", _("Partner not at fault")


FINDINGS = (StepOutcome.FINDING_FAULT, StepOutcome.FINDING_NO_FAULT)


class ComplaintStep(models.Model):
    """A step a complaint went through: ``[started_on, ended_on]`` with its owner, notes and
    outcome. A review-board finding has its decision date and the director-level approval
    flag. One open step per complaint."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=24, choices=ComplaintStepKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=StepOutcome.choices, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    director_approved = models.BooleanField(_("director-level approval"), default=False)

    class Meta:
        ordering = ["complaint_id", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(ended_on__isnull=True),
                name="pp_one_open_step_per_complaint",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="pp_step_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, outcome="")
                | Q(ended_on__isnull=False) & ~Q(outcome=""),
                name="pp_step_ended_with_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=FINDINGS)
                | Q(step=ComplaintStepKind.REVIEW_BOARD, decision_date__isnull=False),
                name="pp_step_finding_at_board_with_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.step} from {self.started_on}"


class MarkOnRecord(models.Model):
    """A mark on the agency's record: the review-board step that found it at fault."""

    step = models.OneToOneField(
        ComplaintStep, verbose_name=_("finding"), on_delete=models.PROTECT, related_name="mark"
    )
    decided_on = models.DateField(_("decided on"))
    director_approved = models.BooleanField(_("director-level approval"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name_plural = _("marks on record")
        indexes = [models.Index(fields=["decided_on"], name="pp_mark_decided")]

    def __str__(self) -> str:
        return f"mark {self.pk} of {self.decided_on}"
