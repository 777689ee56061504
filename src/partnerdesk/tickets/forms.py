from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import DomainErrorFormMixin, staff_choice_field
from partnerdesk.core.widgets import use_picker
from partnerdesk.crm.forms import PropertyFormMixin
from partnerdesk.crm.models import Company, Contact, Stage

from .models import Priority, SavedView, Ticket, UnknownSenders


class TicketForm(PropertyFormMixin, forms.ModelForm):
    object_type = "ticket"
    owner = staff_choice_field(_("Owner"))

    class Meta:
        model = Ticket
        fields = ["name", "description", "owner", "priority", "company", "contact"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, stage: Stage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _(
            "Left blank, it follows the pipeline's convention: “<request> For <domain>”."
        )
        self.fields["priority"].choices = Priority.choices
        # Pickers, not selects of every company and contact (issue 16: at a million tickets
        # the form listed 20,000 companies and 60,000 contacts and took 20 s to draw).
        company = cast(forms.ModelChoiceField, self.fields["company"])
        company.queryset = Company.objects.order_by("name", "pk")
        use_picker(company, "crm:company_options")
        contact = cast(forms.ModelChoiceField, self.fields["contact"])
        contact.queryset = Contact.objects.order_by("last_name", "first_name", "pk")
        use_picker(contact, "crm:contact_options", depends_on="company")
        self.add_property_fields(self.instance if self.instance.pk else None)
        required = {d.name for d in stage.required_properties.all()} if stage is not None else set()
        for name in required:
            field = self.fields.get(f"prop__{name}") or self.fields.get(name)
            if field is not None:
                field.label = f"{field.label} *"
                field.widget.attrs["aria-required"] = "true"

    def _post_clean(self):  # the service validates
        pass


class TicketMoveForm(PropertyFormMixin, forms.Form):
    object_type = "ticket"
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(pipeline__object_type="ticket"), label=_("Move to stage")
    )

    def __init__(self, *args, ticket: Ticket, missing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = ticket.pipeline.stages.order_by("order", "id")
        self.ask_for_stage(ticket, missing)


class ContactChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} <{obj.email}>"


class EntryStageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.pipeline.name} → {obj.name}"


class NoteForm(DomainErrorFormMixin, forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"), max_length=20_000
    )
    is_public = forms.BooleanField(
        required=False,
        label=_("Reply to the customer (emailed to the contact; counts as first response)"),
    )
    cc = ContactChoices(
        queryset=Contact.objects.none(),
        required=False,
        label=_("Copy to"),
        help_text=_("Other contacts of the company who get the reply by email."),
        widget=forms.CheckboxSelectMultiple,
    )
    is_delay_cause = forms.BooleanField(
        required=False, label=_("This note explains the cause of a delay")
    )

    def __init__(self, *args, ticket: Ticket | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = (
            Contact.objects.filter(company_id=ticket.company_id)
            .exclude(email="")
            .exclude(pk=ticket.contact_id or 0)
            .order_by("last_name", "first_name", "pk")
            if ticket is not None and ticket.company_id
            else Contact.objects.none()
        )
        cast(forms.ModelMultipleChoiceField, self.fields["cc"]).queryset = contacts
        if ticket is None or not ticket.company_id:
            del self.fields["cc"]


class MailboxForm(DomainErrorFormMixin, forms.Form):
    """A support mailbox: its address and the request type (a ticket pipeline's entry stage)
    its mail opens tickets in."""

    address = forms.EmailField(label=_("Address"), max_length=254)
    entry_stage = EntryStageChoice(
        queryset=Stage.objects.none(),
        label=_("Opens tickets in"),
        help_text=_("The pipeline and request type of the tickets its mail opens."),
    )
    unknown_senders = forms.ChoiceField(
        label=_("Mail from unknown senders"), choices=UnknownSenders.choices
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stage = cast(forms.ModelChoiceField, self.fields["entry_stage"])
        stage.queryset = (
            Stage.objects.filter(pipeline__object_type="ticket", is_entry=True)
            .select_related("pipeline")
            .order_by("pipeline__order", "pipeline__name", "order", "id")
        )


class SavedViewForm(DomainErrorFormMixin, forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "shared"]
