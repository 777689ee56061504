"""The partner dashboard's forms: each one's fields, the services decide the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import DomainErrorFormMixin, staff_choice_field
from partnerdesk.crm.models import Contact

from .models import DefaultOwner, OwnerMode, RenewalStatus


class Form(DomainErrorFormMixin, forms.Form):
    pass


class EndServicesForm(Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand: the managed relationship ends today, renewal communications stop and "
            "the client leaves the renewals list"
        ),
    )


class RenewalForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=RenewalStatus.choices)
    renewal_mrr = forms.DecimalField(
        label=_("Renewal MRR"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("Blank: the current MRR."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OwnerForm(Form):
    mode = forms.ChoiceField(label=_("Renewal communication owner"), choices=OwnerMode.choices)
    decision_maker = forms.ModelChoiceField(
        label=_("Client's decision maker (HubSpot)"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label="—",
    )
    copied_user = staff_choice_field(_("Partner user to be notified (HubSpot)"))
    point_of_contact = staff_choice_field(_("Partner point of contact for renewals (Partner)"))

    def __init__(self, *args, company_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["decision_maker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Contact.objects.filter(company_id=company_id)
            .exclude(email="")
            .order_by("last_name", "first_name", "pk")
        )


class ManagerForm(Form):
    renewal_manager_name = forms.CharField(
        label=_("HubSpot renewal manager"), required=False, max_length=150
    )
    renewal_manager_email = forms.CharField(
        label=_("Renewal manager's email"), required=False, max_length=254
    )


class TeamMemberForm(Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.CharField(label=_("Email"), max_length=254)
    photo_url = forms.CharField(
        label=_("Photo URL"),
        required=False,
        max_length=500,
        help_text=_("Optional, https://. Photos from other sites are shown as initials."),
    )
    description = forms.CharField(
        label=_("How they support the agency"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DismissForm(Form):
    key = forms.CharField(max_length=200)
    fingerprint = forms.CharField(max_length=64)


class ReminderDaysField(forms.CharField):
    """Whole numbers of days, written "30, 14, 7, 1" (blank: no reminders)."""

    def to_python(self, value):
        text = super().to_python(value)
        parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise forms.ValidationError(
                _("Enter whole numbers of days separated by commas, such as 30, 14, 7, 1.")
            ) from None

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


class RenewalSettingsForm(Form):
    window_days = forms.IntegerField(label=_("Renewals to act on: days ahead"), min_value=1)
    reminder_days = ReminderDaysField(
        label=_("Reminders: days before the deadline"),
        required=False,
        help_text=_("Each reminder is sent once, e.g. 30, 14, 7, 1."),
    )
    default_owner = forms.ChoiceField(
        label=_("Default renewal communication owner"), choices=DefaultOwner.choices
    )
    default_point_of_contact = staff_choice_field(_("Default point of contact (Partner)"))
