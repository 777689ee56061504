"""Forms of the partner program's pages: they parse input; the services check the rules and
their ``DomainError`` lands beside the field (``core.forms.submit``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.crm.models import Company, Stage
from partnerdesk.portal.models import TaskCategory

from . import selectors
from .models import ActivityType, HubSpotAccount, RelationshipKind, Tool


def date_field(label, required: bool = True, help_text="") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class Form(DomainErrorFormMixin, forms.Form):
    """A form whose service errors land beside its fields."""


def _employee_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=selectors.employees(), label=_("Employee"), empty_label="—"
    )


# ---------------------------------------------------------------- accounts


class AccountForm(Form):
    company = forms.ModelChoiceField(
        queryset=Company.objects.order_by("name", "pk"), label=_("Client company"), empty_label="—"
    )
    hub_id = forms.CharField(
        max_length=32, label=_("Hub id"), help_text=_("The number HubSpot shows for the account.")
    )
    name = forms.CharField(max_length=200, label=_("Name"))
    opened_on = date_field(
        _("Account opened"),
        help_text=_("No activity or subscription can be dated before this day."),
    )
    growth_market = forms.BooleanField(required=False, label=_("Growth market (points doubled)"))


class AccountEditForm(AccountForm):
    """The account's own fields (its company does not change)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["company"]


def _currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in selectors.currency_codes()]


class SubscriptionForm(Form):
    product = forms.CharField(
        max_length=150,
        label=_("Product and edition"),
        help_text=_("e.g. Marketing Hub Professional"),
    )
    mrr = forms.DecimalField(label=_("MRR"), max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=_("Currency"), choices=())
    start_date = date_field(_("Start date"))
    renewal_date = date_field(_("Renewal date"), required=False)
    seats = forms.IntegerField(label=_("Seats"), min_value=0, initial=0)
    seats_used = forms.IntegerField(label=_("Seats used"), min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = _currency_choices()


class _OfAccount(Form):
    """A form about one of the account's rows, chosen in its first field."""

    choice_field = ""

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.choice_field].choices = [
            ("", "—"),
            *choices,
        ]


class MrrChangeForm(_OfAccount):
    choice_field = "subscription"
    subscription = forms.TypedChoiceField(label=_("Subscription"), coerce=int, choices=())
    mrr = forms.DecimalField(label=_("New MRR"), max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=_("Currency"), choices=(), required=False)
    effective_on = date_field(_("In force from"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [
            ("", _("unchanged")),
            *_currency_choices(),
        ]


class SubscriptionEndForm(_OfAccount):
    choice_field = "subscription"
    subscription = forms.TypedChoiceField(label=_("Subscription"), coerce=int, choices=())
    ended_on = date_field(_("First day without it"))


class RelationshipForm(Form):
    kind = forms.ChoiceField(label=_("Relationship"), choices=RelationshipKind.choices)
    started_on = date_field(_("From"))
    ended_on = date_field(_("Until"), required=False, help_text=_("Empty: it goes on."))


class RelationshipEndForm(_OfAccount):
    choice_field = "relationship"
    relationship = forms.TypedChoiceField(label=_("Relationship"), coerce=int, choices=())
    ended_on = date_field(_("First day without it"))
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class ManagingPartnersForm(Form):
    count = forms.IntegerField(
        label=_("Partners managing the account"),
        min_value=1,
        help_text=_("The agency included; the managed MRR is split equally among them."),
    )
    effective_from = date_field(_("From"))


class ConnectionForm(Form):
    employee = _employee_field()
    in_partner_account = forms.BooleanField(required=False, label=_("User in the partner account"))
    client_assigned = forms.BooleanField(required=False, label=_("Client assigned to the user"))
    in_client_account = forms.BooleanField(
        required=False, label=_("Same user in the client's account")
    )


class EndServicesForm(Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_("I understand: the managed relationship ends today and earns no managed points"),
    )


# ---------------------------------------------------------------- activities


class AccountField(forms.CharField):
    """A HubSpot account by its hub id or its exact name (a text field: a list of every
    client's account would not fit a page at an agency's scale)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("HubSpot account"))
        kwargs.setdefault("help_text", _("Its hub id, or its name as on its page."))
        super().__init__(max_length=200, **kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        matches = list(
            HubSpotAccount.objects.filter(hub_id=text).order_by("pk")[:1]
            or HubSpotAccount.objects.filter(name__iexact=text).order_by("pk")[:2]
        )
        if len(matches) != 1:
            raise forms.ValidationError(
                _("No HubSpot account has this hub id or name.")
                if not matches
                else _("Several accounts have this name: enter the hub id.")
            )
        return matches[0]


class ActivityForm(Form):
    account = AccountField()
    employee = _employee_field()
    activity_type = forms.ModelChoiceField(
        queryset=ActivityType.objects.none(), label=_("Activity"), empty_label="—"
    )
    occurred_on = date_field(_("Date"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, user=None, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["employee"].queryset = selectors.employees_for(user)
        if user is not None and not selectors.sees_everything(user):
            fields["employee"].initial = user.pk
        types = selectors.activity_types(offered_only=True)
        fields["activity_type"].queryset = types
        fields["activity_type"].label_from_instance = lambda t: f"{t.get_tool_display()} · {t.name}"
        if account is not None:
            del fields["account"]


# ---------------------------------------------------------------- certifications


class CertificationForm(Form):
    employee = _employee_field()
    name = forms.CharField(max_length=150, label=_("Certification"))
    issued_on = date_field(_("Issued"))
    expires_on = date_field(_("Expires"), required=False, help_text=_("Empty: it does not expire."))
    academy_url = forms.CharField(max_length=500, required=False, label=_("HubSpot Academy link"))


class CertificationEditForm(CertificationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["employee"]


# ---------------------------------------------------------------- configuration


class _Versioned(Form):
    effective_from = date_field(_("In force from"))
    correct_past = forms.BooleanField(
        required=False,
        label=_("Correct the past"),
        help_text=_("Needed for a date before today: points for past days change."),
    )


class RatesForm(_Versioned):
    sourced = forms.DecimalField(label=_("Sourced"), max_digits=8, decimal_places=3)
    assisted = forms.DecimalField(label=_("Assisted"), max_digits=8, decimal_places=3)
    managed = forms.DecimalField(label=_("Managed"), max_digits=8, decimal_places=3)
    growth_multiplier = forms.DecimalField(
        label=_("Growth-market multiplier"), max_digits=6, decimal_places=3
    )
    field_order = ["sourced", "assisted", "managed", "growth_multiplier", "effective_from"]


class CurrencyForm(_Versioned):
    currency = forms.CharField(max_length=3, label=_("Currency"), help_text=_("ISO code, e.g. EUR"))
    amount_per_100_usd = forms.DecimalField(
        label=_("Amount worth 100 USD"), max_digits=14, decimal_places=4
    )
    field_order = ["currency", "amount_per_100_usd", "effective_from"]


class ActivityTypeForm(Form):
    tool = forms.ChoiceField(label=_("Tool"), choices=Tool.choices)
    name = forms.CharField(max_length=150, label=_("Name"))
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)


class ActivityTypeEditForm(ActivityTypeForm):
    is_active = forms.BooleanField(required=False, label=_("Offered"))


class MappingForm(Form):
    activity_type = forms.ModelChoiceField(
        queryset=ActivityType.objects.none(), label=_("Records the activity"), empty_label="—"
    )
    task_category = forms.ModelChoiceField(
        queryset=TaskCategory.objects.order_by("order", "name", "pk"),
        label=_("A completed client task of the category"),
        required=False,
        empty_label="—",
    )
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(pipeline__object_type="ticket")
        .select_related("pipeline")
        .order_by("pipeline__name", "order", "pk"),
        label=_("or a ticket entering the stage"),
        required=False,
        empty_label="—",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["activity_type"]
        field.queryset = selectors.activity_types()
        field.label_from_instance = lambda t: f"{t.get_tool_display()} · {t.name}"
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} › {s.name}"


class TierForm(Form):
    name = forms.CharField(max_length=50, label=_("Name"))
    order = forms.IntegerField(label=_("Order"), min_value=0)
    min_total_points = forms.IntegerField(label=_("Minimum total points"), min_value=0, initial=0)
    min_sold_points = forms.IntegerField(
        label=_("Minimum sold points (sourced and assisted)"), min_value=0, initial=0
    )
    min_activities = forms.IntegerField(
        label=_("Minimum qualifying activities per period"), min_value=0, initial=0
    )
    min_certified_employees = forms.IntegerField(
        label=_("Minimum certified employees"), min_value=0, initial=0
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProgramSettingsForm(Form):
    lapse_alert_days = forms.IntegerField(
        label=_("Alert after days without qualifying activity"), min_value=1
    )
    relationship_end_days = forms.IntegerField(
        label=_("Managed relationship ends after days without qualifying activity"), min_value=1
    )
    tier_risk_lead_days = forms.IntegerField(
        label=_("Tier-at-risk alert days before a review"), min_value=1
    )
    certification_alert_days = forms.IntegerField(
        label=_("Certification expiry alert days"), min_value=1
    )
    activity_period_days = forms.IntegerField(
        label=_("Qualifying activity period (days)"), min_value=1
    )


class TierReviewForm(Form):
    reviewed_on = date_field(_("Review date"), help_text=_("1 January or 1 June"))
    tier = forms.ModelChoiceField(
        queryset=selectors.tiers(), label=_("Credited tier"), required=False, empty_label="—"
    )


# ---------------------------------------------------------------- import


class ImportForm(Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=(
            ("accounts", _("HubSpot accounts and their subscriptions")),
            ("activities", _("Qualifying activities")),
        ),
    )
    file = forms.FileField(label=_("CSV file"))
