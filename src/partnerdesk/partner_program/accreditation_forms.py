"""Forms of the accreditation and complaint pages: they parse input; the services check the
rules (which move is allowed, dates, the serious flag) and their ``DomainError`` lands beside
the field (``core.forms.submit``). Fields a rule is about (a board's decision date) are left
optional here on purpose, so the service's sentence is the one the user reads."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import staff_choice_field
from partnerdesk.crm.models import Company

from . import accreditation_selectors, selectors
from .forms import Form, date_field
from .models import ComplaintSource, ComplaintStepKind, WaitingOn


def reason_field(label, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def notes_field(label) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )


# ---------------------------------------------------------------- the catalogue

REQUIREMENT = re.compile(r"^(?P<name>.+?)\s*:\s*(?P<n>\d+)$")


def parse_requirements(text: str) -> list[tuple[str, int]]:
    """One certification a line, optionally followed by ``: n`` (the current employees who
    must hold it, 1 when omitted): ``Sales Hub Implementation: 2``."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        match = REQUIREMENT.match(line)
        if match:
            digits = match.group("n")
            # An absurd number stays absurd (the service names the allowed range).
            rows.append((match.group("name").strip(), int(digits) if len(digits) < 7 else 10**6))
        else:
            rows.append((line, 1))
    return rows


def requirements_text(rows: list[dict]) -> str:
    return "\n".join(f"{r.get('name')}: {r.get('employees', 1)}" for r in rows or [])


class AccreditationTypeForm(Form):
    name = forms.CharField(max_length=150, label=_("Name"))
    required_certifications = forms.CharField(
        label=_("Required certifications"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line, with the number of current employees who must hold it: "
            "“Sales Hub Implementation: 2”."
        ),
    )
    minimum_tier = forms.ModelChoiceField(
        queryset=selectors.tiers(),
        label=_("Minimum credited tier"),
        required=False,
        empty_label=_("none"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)

    def clean_required_certifications(self):
        return parse_requirements(self.cleaned_data.get("required_certifications", ""))


class AccreditationTypeEditForm(AccreditationTypeForm):
    is_active = forms.BooleanField(required=False, label=_("Offered"))


class AccreditationSettingsForm(Form):
    grace_period_days = forms.IntegerField(
        label=_("Grace period after a tier drop (days)"),
        min_value=0,
        help_text=_("From the review that credited a tier below the minimum; 0: none."),
    )
    evaluation_alert_days = forms.IntegerField(
        label=_("Alert days before an evaluation or the end of a grace period"), min_value=1
    )
    complaint_waiting_days = forms.IntegerField(
        label=_("Alert when a complaint waits on the agency for more than (working days)"),
        min_value=1,
    )


# ---------------------------------------------------------------- accreditations


class AccreditationApplyForm(Form):
    accreditation_type = forms.ModelChoiceField(
        queryset=accreditation_selectors.accreditation_types(offered_only=True),
        label=_("Accreditation"),
        empty_label="—",
    )
    applied_on = date_field(_("Applied on"), required=False, help_text=_("Empty: today."))


class AccreditationIssueForm(Form):
    issued_on = date_field(_("Issued on"), help_text=_("Evaluated every six months from this day."))


class AccreditationRevokeForm(Form):
    reason = reason_field(_("Reason"))
    director_approved = forms.BooleanField(
        required=False,
        label=_("Director-level approval given"),
        help_text=_("Needed when the review board revokes it."),
    )


class AccreditationLapseForm(Form):
    reason = reason_field(_("Reason"))


class AccreditationBoardRenewForm(Form):
    decided_on = date_field(_("Decision date"), required=False)
    director_approved = forms.BooleanField(required=False, label=_("Director-level approval"))
    notes = reason_field(_("Notes"), required=False)


# ---------------------------------------------------------------- complaints


def _company_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Company.objects.order_by("name", "pk"),
        label=_("Client company"),
        required=False,
        empty_label="—",
    )


class ComplaintForm(Form):
    summary = forms.CharField(
        label=_("Summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    source = forms.ChoiceField(label=_("Source"), choices=ComplaintSource.choices)
    company = _company_field()
    serious_infringement = forms.BooleanField(
        required=False,
        label=_("Serious infringement"),
        help_text=_("Goes straight to the review board."),
    )
    owner = staff_choice_field(_("Owner of the first step"))
    opened_on = date_field(_("Received on"), required=False, help_text=_("Empty: today."))
    notes = notes_field(_("Notes"))


class ComplaintEditForm(Form):
    summary = forms.CharField(
        label=_("Summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    source = forms.ChoiceField(label=_("Source"), choices=ComplaintSource.choices)
    company = _company_field()
    reason = reason_field(_("Why"), required=False)


class ComplaintAdvanceForm(Form):
    to_step = forms.ChoiceField(
        label=_("Escalate to"),
        required=False,
        choices=[("", _("the next step")), *ComplaintStepKind.choices],
    )
    owner = staff_choice_field(_("Owner of the new step"))
    on = date_field(_("Escalated on"), required=False, help_text=_("Empty: today."))
    reason = reason_field(_("Why"), required=False)


class ComplaintResolveForm(Form):
    on = date_field(_("Resolved on"), required=False, help_text=_("Empty: today."))
    notes = notes_field(_("Outcome"))


class ComplaintSeriousForm(Form):
    reason = reason_field(_("Why"), required=False)


class ComplaintFindingForm(Form):
    fault = forms.TypedChoiceField(
        label=_("Finding"),
        choices=[
            ("yes", _("The agency was at fault (a mark on record)")),
            ("no", _("The agency was not at fault")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    decision_date = date_field(_("Decision date"), required=False)
    director_approved = forms.BooleanField(required=False, label=_("Director-level approval"))
    notes = notes_field(_("Notes"))


class ComplaintReopenForm(Form):
    reason = reason_field(_("Why"))


class ComplaintWaitingForm(Form):
    waiting_on = forms.ChoiceField(
        label=_("Waiting on"),
        required=False,
        choices=[("", _("nobody")), *WaitingOn.choices],
    )
    reason = reason_field(_("Why"), required=False)


class ComplaintStepForm(Form):
    owner = staff_choice_field(_("Owner"))
    notes = notes_field(_("Notes"))
