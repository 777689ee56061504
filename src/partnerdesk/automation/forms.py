"""The automation pages' forms: a workflow's trigger, a condition (its value input follows the
field: a stage picker, a user picker, a date, a number, a list of options), a step, the
integrations. They parse and check input; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.accounts.models import Team, User
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.crm.models import Pipeline, Product, Stage
from partnerdesk.portal.models import Status as TaskStatus

from . import fields, triggers
from .fields import FieldSpec, Input
from .models import ActionType


def choose(form: forms.Form, name: str, choices) -> None:
    """Set the choices of the form's choice field ``name`` (its list is read per request)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class Pickers:
    """The records the page's pickers list (pipelines, stages, products, staff, teams), each
    read at most once however many forms list them; ``describe.Names`` reuses them."""

    @cached_property
    def pipelines(self) -> list[Pipeline]:
        return list(Pipeline.objects.all())

    @cached_property
    def stages(self) -> list[Stage]:
        return list(
            Stage.objects.select_related("pipeline").order_by(
                "pipeline__object_type", "pipeline__order", "pipeline__name", "order", "id"
            )
        )

    @cached_property
    def products(self) -> list[Product]:
        return list(Product.objects.all())

    @cached_property
    def staff(self) -> list[User]:
        return list(User.objects.agency_staff())

    @cached_property
    def teams(self) -> list[Team]:
        return list(Team.objects.all())

    def loaded(self) -> list[Any]:
        """Every record read so far."""
        names = ("pipelines", "stages", "products", "staff", "teams")
        return [row for name in names if name in self.__dict__ for row in self.__dict__[name]]


def _stage_choices(pickers: Pickers):
    return [
        ("", "—"),
        *[
            (s.pk, f"{s.pipeline.get_object_type_display()} · {s.pipeline.name} — {s.name}")
            for s in pickers.stages
        ],
    ]


def _pipeline_choices(pickers: Pickers):
    return [
        ("", gettext_lazy("Any")),
        *[(p.pk, f"{p.get_object_type_display()} · {p.name}") for p in pickers.pipelines],
    ]


class WorkflowForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=150, label=gettext_lazy("Name"))
    enabled = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Enabled"))
    trigger = forms.ChoiceField(choices=triggers.offered_choices, label=gettext_lazy("When"))
    pipeline_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("in pipeline")
    )
    stage_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("stage")
    )
    stage_kind = forms.ChoiceField(
        required=False,
        label=gettext_lazy("or any stage that is"),
        choices=[("", "—"), ("won", gettext_lazy("won")), ("lost", gettext_lazy("lost"))],
    )
    product_id = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("only if the deal has the product"),
    )
    target = forms.ChoiceField(
        required=False,
        label=gettext_lazy("SLA target"),
        choices=[
            ("", gettext_lazy("Any")),
            ("first_response", gettext_lazy("First response")),
            ("resolution", gettext_lazy("Resolution")),
        ],
    )
    to_status = forms.ChoiceField(
        required=False,
        label=gettext_lazy("task moved to"),
        choices=[("", gettext_lazy("Any")), *TaskStatus.choices],
    )
    match = forms.ChoiceField(
        choices=[
            ("all", gettext_lazy("all conditions hold")),
            ("any", gettext_lazy("any condition holds")),
        ],
        label=gettext_lazy("Run when"),
    )

    def __init__(self, *args, pickers: Pickers, **kwargs):
        super().__init__(*args, **kwargs)
        choose(self, "pipeline_id", _pipeline_choices(pickers))
        choose(self, "stage_id", _stage_choices(pickers))
        choose(self, "product_id", [("", "—"), *[(p.pk, p.name) for p in pickers.products]])

    def trigger_config(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in triggers.ALL_CONFIG_FIELDS}


# What the value input is called for each kind of field, and what an empty one is told.
_VALUE_LABELS = {
    Input.STAGE: gettext_lazy("Stage"),
    Input.PIPELINE: gettext_lazy("Pipeline"),
    Input.USER: gettext_lazy("User"),
    Input.PRODUCT: gettext_lazy("Product"),
    Input.DATE: gettext_lazy("Date"),
    Input.NUMBER: gettext_lazy("Number"),
}
_VALUE_MISSING = {
    Input.STAGE: gettext_lazy("Choose a stage."),
    Input.PIPELINE: gettext_lazy("Choose a pipeline."),
    Input.USER: gettext_lazy("Choose a user."),
    Input.PRODUCT: gettext_lazy("Choose a product."),
    Input.DATE: gettext_lazy("Enter a date."),
    Input.NUMBER: gettext_lazy("Enter a number."),
    Input.CHOICE: gettext_lazy("Choose a value."),
    Input.MULTI_CHOICE: gettext_lazy("Choose a value."),
    Input.TEXT: gettext_lazy("Enter a value to compare with."),
}


def grouped_stages(object_type: str, pickers: Pickers) -> list:
    """The stages of ``object_type``'s pipelines, one group per pipeline."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for stage in pickers.stages:
        if stage.pipeline.object_type == object_type:
            groups.setdefault(stage.pipeline.name, []).append((stage.pk, stage.name))
    return [("", "—"), *groups.items()]


def _reference_choices(spec: FieldSpec, pickers: Pickers) -> list:
    if spec.input == Input.STAGE:
        return grouped_stages(spec.object_type, pickers)
    if spec.input == Input.PIPELINE:
        rows = [p for p in pickers.pipelines if p.object_type == spec.object_type]
        return [("", "—"), *[(p.pk, p.name) for p in rows]]
    if spec.input == Input.USER:
        return [("", "—"), *[(u.pk, str(u)) for u in pickers.staff]]
    return [("", "—"), *[(p.pk, p.name) for p in pickers.products]]


def value_field(spec: FieldSpec, pickers: Pickers) -> forms.Field:
    """The input that picks a value for ``spec``; blank is allowed here, and refused by the
    form unless the comparison needs no value ("is set")."""
    label = _VALUE_LABELS.get(spec.input, gettext_lazy("Value"))
    if spec.input == Input.NUMBER:
        return forms.DecimalField(
            required=False,
            label=label,
            max_digits=20,
            decimal_places=6,
            widget=forms.NumberInput(attrs={"step": "any"}),
            error_messages={"invalid": gettext_lazy("Enter a number, such as 100 or 99.50.")},
        )
    if spec.input == Input.DATE:
        return forms.DateField(
            required=False,
            label=label,
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")},
        )
    if spec.input in (Input.STAGE, Input.PIPELINE, Input.USER, Input.PRODUCT):
        return forms.TypedChoiceField(
            coerce=int,
            empty_value=None,
            required=False,
            label=label,
            choices=_reference_choices(spec, pickers),
            error_messages={
                "invalid_choice": _VALUE_MISSING[spec.input],
            },
        )
    if spec.input in (Input.CHOICE, Input.MULTI_CHOICE):
        return forms.ChoiceField(
            required=False,
            label=label,
            choices=[("", "—"), *[(v, str(lbl)) for v, lbl in spec.choices]],
            error_messages={"invalid_choice": gettext_lazy("Choose one of the listed values.")},
        )
    return forms.CharField(required=False, max_length=500, label=label)


class ConditionForm(DomainErrorFormMixin, forms.Form):
    """One condition: a field, a comparison offered for that field and a value picked with the
    field's own input. ``field`` (posted, or ``initial``) decides the other two; ``specs``: the
    offered fields (``fields.catalogue``)."""

    field = forms.ChoiceField(
        label=gettext_lazy("Field"),
        error_messages={"invalid_choice": gettext_lazy("Choose a field from the list.")},
    )
    op = forms.ChoiceField(
        label=gettext_lazy("Comparison"),
        error_messages={
            "invalid_choice": gettext_lazy("Choose one of the comparisons this field offers.")
        },
    )

    # The kind of value input the page showed: a field changed without the page following it
    # (no JavaScript) is asked again with the right input instead of reading a wrong value.
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        specs: list[FieldSpec],
        pickers: Pickers,
        refresh_url: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.specs = {spec.path: spec for spec in specs}
        groups: dict[str, list[tuple[str, str]]] = {}
        for spec in specs:
            groups.setdefault(str(fields.RECORD_LABELS[spec.record]), []).append(
                (spec.path, str(spec.label))
            )
        choose(self, "field", list(groups.items()))
        chosen = self.data.get("field") if self.is_bound else self.initial.get("field")
        self.spec = self.specs.get(str(chosen or "")) or specs[0]
        choose(
            self,
            "op",
            [(op, fields.operator_label(op, self.spec.input)) for op in self.spec.operators],
        )
        self.fields["value"] = value_field(self.spec, pickers)
        self.fields["shown"].initial = self.spec.input.value
        self.posted_shown = ""
        if self.is_bound:  # re-shown, the page has this field's input, whatever it had before
            self.posted_shown = str(self.data.get("shown") or "")
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data["shown"] = self.spec.input.value
            self.data = data
        if refresh_url:  # the field picker fetches the form for the field picked (htmx)
            self.fields["field"].widget.attrs.update(
                {
                    "hx-get": refresh_url,
                    "hx-trigger": "change",
                    "hx-target": "#condition-form",
                    "hx-swap": "outerHTML",
                    "hx-include": "this",
                }
            )
        if self.spec.input == Input.TEXT:
            self.fields["value"].help_text = gettext_lazy(
                "For “is one of”, separate the values with commas."
            )

    def clean(self):
        data = super().clean()
        op = data.get("op")
        if op in ("is_set", "is_not_set"):  # no value: whatever the input held is not read
            self.errors.pop("value", None)
            return data
        if not op or "field" not in data:
            return data
        if self.posted_shown and self.posted_shown != self.spec.input:
            self.errors.pop("value", None)
            self.add_error("value", _("The field changed: pick its value again."))
            return data
        value = data.get("value")
        if value in (None, "") and "value" not in self.errors:
            self.add_error("value", str(_VALUE_MISSING[self.spec.input]))
        return data

    def condition(self) -> dict[str, Any]:
        """The condition as ``conditions`` stores it: ids for records, an ISO date, a number
        as written."""
        data = self.cleaned_data
        leaf: dict[str, Any] = {"field": data["field"], "op": data["op"]}
        if data["op"] in ("is_set", "is_not_set"):
            return leaf
        value = data["value"]
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        leaf["value"] = value
        return leaf


class ActionForm(DomainErrorFormMixin, forms.Form):
    type = forms.ChoiceField(choices=ActionType.choices, label=gettext_lazy("Action"))
    pipeline_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("Pipeline (create ticket)")
    )
    stage_id = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("Stage (create ticket, move)"),
    )
    user_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("User (assign)")
    )
    team_id = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=gettext_lazy("Team (assign, notify)")
    )
    mode = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Team assignment"),
        choices=[
            ("round_robin", gettext_lazy("round-robin")),
            ("lead", gettext_lazy("the team lead")),
        ],
    )
    user_ids = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label=gettext_lazy("Users to notify")
    )
    include_owner = forms.BooleanField(
        required=False, label=gettext_lazy("Also notify the record's owner")
    )
    name = forms.CharField(
        required=False, max_length=64, label=gettext_lazy("Property (set property)")
    )
    value = forms.CharField(
        required=False, max_length=4000, label=gettext_lazy("Value (set property)")
    )
    title = forms.CharField(
        required=False, max_length=255, label=gettext_lazy("Title (notify, GitHub issue)")
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Message (notify)"),
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Slack text"),
        help_text=gettext_lazy(
            "Texts may use values such as {{ deal.name }}, {{ ticket.properties.website_domain }}, {{ company.name }}."
        ),
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Issue body (GitHub)"),
    )
    webhook_url = forms.CharField(
        required=False,
        max_length=500,
        label=gettext_lazy("Slack webhook URL (blank: the one under Integrations)"),
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args, pickers: Pickers, **kwargs):
        super().__init__(*args, **kwargs)
        tickets = [(p.pk, p.name) for p in pickers.pipelines if p.object_type == "ticket"]
        choose(self, "pipeline_id", [("", "—"), *tickets])
        choose(self, "stage_id", _stage_choices(pickers))
        users = [(u.pk, str(u)) for u in pickers.staff]
        choose(self, "user_id", [("", "—"), *users])
        choose(self, "user_ids", users)
        choose(self, "team_id", [("", "—"), *[(t.pk, t.name) for t in pickers.teams]])

    def config(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("type", "webhook_url")}


class IntegrationsForm(DomainErrorFormMixin, forms.Form):
    github_api_url = forms.URLField(
        label=gettext_lazy("GitHub API URL"), initial="https://api.github.com"
    )
    github_repository = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("GitHub repository (owner/name)")
    )
    github_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("GitHub token"),
        help_text=gettext_lazy("Stored encrypted; leave blank to keep the current one."),
    )
    github_webhook_secret = forms.CharField(
        required=False, widget=forms.PasswordInput, label=gettext_lazy("GitHub webhook secret")
    )
    slack_webhook_url = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("Default Slack incoming-webhook URL"),
    )
