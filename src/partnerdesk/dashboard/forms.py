"""The partner dashboard's forms: each one's fields, the services decide the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import DomainErrorFormMixin, staff_choice_field
from partnerdesk.crm.models import Contact

from .models import OwnerMode, RenewalStatus


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
        self.fields["decision_maker"].queryset = (
            Contact.objects.filter(  # type: ignore[attr-defined]
                company_id=company_id
            )
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
