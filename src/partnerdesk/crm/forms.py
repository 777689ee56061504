"""Forms parse input; services validate the rules and their errors land on the fields here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import User
from partnerdesk.core.forms import PROP_PREFIX, DomainErrorFormMixin, staff_choice_field

from . import properties as props
from .models import Company, Contact, Deal, Lifecycle, Pipeline, Product, PropertyType, Stage


class PropertyFormMixin(DomainErrorFormMixin):
    """Adds one field per custom property of ``object_type``."""

    object_type: str
    # Given by the form class it is mixed into.
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_property_fields(self, record=None, definitions=None):
        self.property_definitions = list(
            definitions if definitions is not None else props.definitions(self.object_type)
        )
        for defn in self.property_definitions:
            initial = None
            if record is not None and defn.type != PropertyType.SECRET:
                initial = record.properties.get(defn.name)
            self.fields[f"{PROP_PREFIX}{defn.name}"] = property_field(defn, initial)

    def ask_for_stage(self, record, missing) -> None:
        """The fields of a move form: each property the stage asks for, required (said to
        assistive technology; the service checks it), a text one on one line (an
        issue-tracker number, a domain), not a text area; the built-in ones it asks for are
        listed apart (``missing_builtin``: they are filled on the record's own page)."""
        self.add_property_fields(record, definitions=[d for d in missing if not d.is_builtin])
        self.missing_builtin = [d for d in missing if d.is_builtin]
        for definition in self.property_definitions:
            field = self.fields[f"{PROP_PREFIX}{definition.name}"]
            if definition.type == PropertyType.TEXT:
                field.widget = forms.TextInput()
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["aria-required"] = "true"

    def property_values(self) -> dict:
        values = {}
        for defn in self.property_definitions:
            key = f"{PROP_PREFIX}{defn.name}"
            if key not in self.cleaned_data:
                continue
            value = self.cleaned_data[key]
            if defn.type == PropertyType.SECRET:
                if self.cleaned_data.get(f"{key}__clear"):
                    values[defn.name] = None
                elif value:
                    values[defn.name] = value
                continue
            if isinstance(value, User):
                value = value.pk
            values[defn.name] = value
        return values


def property_field(defn, initial=None) -> forms.Field:
    common = {
        "label": defn.label,
        "required": False,
        "help_text": defn.description,
        "initial": initial,
    }
    match defn.type:
        case PropertyType.ENUM:
            return forms.ChoiceField(
                choices=[("", "—"), *[(o["value"], o["label"]) for o in defn.options]], **common
            )
        case PropertyType.MULTI_ENUM:
            return forms.MultipleChoiceField(
                choices=[(o["value"], o["label"]) for o in defn.options],
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        case PropertyType.DATE:
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case PropertyType.NUMBER:
            return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
        case PropertyType.USER:
            common["initial"] = initial
            return forms.ChoiceField(
                choices=[("", "—"), *[(u.pk, str(u)) for u in User.objects.agency_staff()]],
                **common,
            )
        case PropertyType.URL:
            return forms.CharField(widget=forms.URLInput, **common)
        case PropertyType.EMAIL:
            return forms.CharField(widget=forms.EmailInput, **common)
        case PropertyType.SECRET:
            common["help_text"] = _("Stored encrypted. Leave blank to keep the current value.")
            return forms.CharField(
                widget=forms.PasswordInput(
                    render_value=False, attrs={"autocomplete": "new-password"}
                ),
                **common,
            )
        case _:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)


class CompanyForm(PropertyFormMixin, forms.ModelForm):
    object_type = "company"
    owner = staff_choice_field(_("Owner"))

    class Meta:
        model = Company
        fields = ["name", "domain", "country", "timezone", "hub_id", "owner", "lifecycle"]
        widgets = {"country": forms.TextInput(attrs={"maxlength": 2, "placeholder": "IT"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lifecycle"].choices = Lifecycle.choices
        self.add_property_fields(self.instance if self.instance.pk else None)

    def _post_clean(self):  # validation belongs to the service
        pass


class ContactForm(PropertyFormMixin, forms.ModelForm):
    object_type = "contact"
    owner = staff_choice_field(_("Owner"))

    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "language",
            "company",
            "owner",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.order_by("name")
        self.add_property_fields(self.instance if self.instance.pk else None)

    def _post_clean(self):
        pass


class DealForm(PropertyFormMixin, forms.ModelForm):
    object_type = "deal"
    owner = staff_choice_field(_("Owner"))
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.filter(object_type="deal", archived=False), label=_("Pipeline")
    )
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(pipeline__object_type="deal").select_related("pipeline"),
        label=_("Stage"),
        required=False,
    )

    class Meta:
        model = Deal
        fields = [
            "name",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "close_date",
            "owner",
            "company",
            "contacts",
        ]
        widgets = {"close_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.order_by("name")
        self.fields["contacts"].queryset = Contact.objects.order_by("last_name", "first_name")
        self.fields["contacts"].required = False
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} — {s.name}"
        if self.instance.pk:  # stage moves go through the move form
            del self.fields["pipeline"]
            del self.fields["stage"]
        self.add_property_fields(self.instance if self.instance.pk else None)

    def _post_clean(self):
        pass


class DealMoveForm(PropertyFormMixin, forms.Form):
    """Move to a stage, filling in the properties that stage requires in the same step."""

    object_type = "deal"
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(pipeline__object_type="deal"), label=_("Move to stage")
    )

    def __init__(self, *args, deal: Deal, missing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.deal = deal
        self.ask_for_stage(deal, missing)


class LineItemForm(DomainErrorFormMixin, forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True), label=_("Product")
    )
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1, label=_("Quantity"))
    unit_price = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label=_("Unit price"),
        help_text=_("Leave blank for the catalogue price."),
    )


class ImportUploadForm(forms.Form):
    object_type = forms.ChoiceField(
        choices=[
            ("", _("Detect from the columns")),
            ("company", _("Companies")),
            ("contact", _("Contacts")),
            ("deal", _("Deals")),
        ],
        required=False,
        label=_("Records"),
    )
    file = forms.FileField(label=_("HubSpot CSV export"))
