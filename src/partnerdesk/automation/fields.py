"""The fields a workflow condition can test: a label, the kind of input that picks a value for
it and the comparisons that make sense for that input.

The workflow editor builds its inputs from these (a stage picker for a stage, a date input for a
date …) and ``describe`` names them in sentences. A condition keeps its ``field`` path and
``op`` as ``conditions`` evaluates them; the references (stage, pipeline, user, product) are
ids, compared with the ids ``conditions.build_context`` gives. The older name fields
(``deal.stage`` compares the stage's name) still work and are still named, but no longer
offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerdesk.crm.models import (
    Lifecycle,
    ObjectType,
    PropertyDefinition,
    PropertyType,
    StageKind,
)
from partnerdesk.portal.models import Status as TaskStatus
from partnerdesk.tickets.models import Priority


class Input(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    STAGE = "stage"
    PIPELINE = "pipeline"
    USER = "user"
    PRODUCT = "product"  # a list of products: "includes"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"  # a list of options: "includes"


# The comparisons offered for each input, in the order the editor lists them.
OPERATORS: dict[Input, tuple[str, ...]] = {
    Input.TEXT: ("equals", "not_equals", "contains", "not_contains", "in", "is_set", "is_not_set"),
    Input.NUMBER: ("equals", "not_equals", "gt", "gte", "lt", "lte", "is_set", "is_not_set"),
    Input.DATE: ("equals", "lt", "gt", "lte", "gte", "is_set", "is_not_set"),
    Input.STAGE: ("equals", "not_equals"),
    Input.PIPELINE: ("equals", "not_equals"),
    Input.USER: ("equals", "not_equals", "is_set", "is_not_set"),
    Input.PRODUCT: ("contains", "not_contains", "is_set", "is_not_set"),
    Input.CHOICE: ("equals", "not_equals", "is_set", "is_not_set"),
    Input.MULTI_CHOICE: ("contains", "not_contains", "is_set", "is_not_set"),
}

# How each comparison reads, by input (a date is "before", a product "included").
_PLAIN = {
    "is_set": _("is set"),
    "is_not_set": _("is not set"),
    "equals": _("is"),
    "not_equals": _("is not"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "gt": _("is more than"),
    "gte": _("is at least"),
    "lt": _("is less than"),
    "lte": _("is at most"),
    "in": _("is one of"),
}
_DATES = {
    "equals": pgettext_lazy("date", "is on"),
    "lt": _("is before"),
    "gt": _("is after"),
    "lte": _("is on or before"),
    "gte": _("is on or after"),
}
_LISTS = {"contains": _("includes"), "not_contains": _("does not include")}
_NUMBERS = {"equals": pgettext_lazy("number", "is")}


def operator_label(op: str, input: Input = Input.TEXT) -> str:
    """How ``op`` reads for a value of ``input`` ("is before" for a date)."""
    specific = {Input.DATE: _DATES, Input.PRODUCT: _LISTS, Input.MULTI_CHOICE: _LISTS}.get(
        input, _NUMBERS if input == Input.NUMBER else {}
    )
    return str(specific.get(op) or _PLAIN.get(op) or op)


@dataclass(frozen=True)
class FieldSpec:
    path: str
    label: str | Promise
    input: Input
    object_type: str = ""  # the pipelines and stages a picker offers: deal or ticket
    choices: tuple[tuple[str, str | Promise], ...] = ()
    offered: bool = True  # False: an older field, still evaluated and named

    @property
    def record(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.input]

    def choice_label(self, value) -> str:
        return str(dict(self.choices).get(str(value), value))


def _choices(enum) -> tuple[tuple[str, str | Promise], ...]:
    return tuple((value, label) for value, label in enum.choices)


SLA_TARGET_CHOICES = (
    ("first_response", _("First response")),
    ("resolution", _("Resolution")),
)

BUILTIN: tuple[FieldSpec, ...] = (
    FieldSpec("deal.name", _("Deal name"), Input.TEXT),
    FieldSpec("deal.amount", _("Deal amount"), Input.NUMBER),
    FieldSpec("deal.currency", _("Deal currency"), Input.TEXT),
    FieldSpec("deal.close_date", _("Deal close date"), Input.DATE),
    FieldSpec("deal.pipeline_id", _("Deal pipeline"), Input.PIPELINE, ObjectType.DEAL),
    FieldSpec("deal.stage_id", _("Deal stage"), Input.STAGE, ObjectType.DEAL),
    FieldSpec(
        "deal.stage_kind",
        _("Deal stage kind"),
        Input.CHOICE,
        choices=tuple(c for c in _choices(StageKind) if c[0] != StageKind.CLOSED),
    ),
    FieldSpec("deal.owner_id", _("Deal owner"), Input.USER),
    FieldSpec("deal.product_ids", _("Deal products"), Input.PRODUCT),
    FieldSpec("company.name", _("Company name"), Input.TEXT),
    FieldSpec("company.domain", _("Company domain"), Input.TEXT),
    FieldSpec("company.country", _("Company country code"), Input.TEXT),
    FieldSpec(
        "company.lifecycle", _("Company lifecycle"), Input.CHOICE, choices=_choices(Lifecycle)
    ),
    FieldSpec("company.won_deals_before", _("Deals the company won before"), Input.NUMBER),
    FieldSpec("ticket.name", _("Ticket name"), Input.TEXT),
    FieldSpec("ticket.priority", _("Ticket priority"), Input.CHOICE, choices=_choices(Priority)),
    FieldSpec("ticket.pipeline_id", _("Ticket pipeline"), Input.PIPELINE, ObjectType.TICKET),
    FieldSpec("ticket.stage_id", _("Ticket stage"), Input.STAGE, ObjectType.TICKET),
    FieldSpec("ticket.owner_id", _("Ticket owner"), Input.USER),
    FieldSpec("ticket.sla_target", _("SLA target"), Input.CHOICE, choices=SLA_TARGET_CHOICES),
    FieldSpec("task.title", _("Task request title"), Input.TEXT),
    FieldSpec("task.status", _("Task request status"), Input.CHOICE, choices=_choices(TaskStatus)),
    FieldSpec("task.category", _("Task request category"), Input.TEXT),
    FieldSpec("task.assignee_id", _("Task request assignee"), Input.USER),
    # Older fields that compare names (their values read “Closed Won”, not a picked stage):
    # still evaluated and named, no longer offered.
    FieldSpec("deal.pipeline", _("Deal pipeline"), Input.TEXT, offered=False),
    FieldSpec("deal.stage", _("Deal stage"), Input.TEXT, offered=False),
    FieldSpec("deal.owner", _("Deal owner"), Input.TEXT, offered=False),
    FieldSpec("deal.products", _("Deal products"), Input.TEXT, offered=False),
    FieldSpec("ticket.pipeline", _("Ticket pipeline"), Input.TEXT, offered=False),
    FieldSpec("ticket.stage", _("Ticket stage"), Input.TEXT, offered=False),
    FieldSpec("ticket.owner", _("Ticket owner"), Input.TEXT, offered=False),
    FieldSpec("task.assignee", _("Task request assignee"), Input.TEXT, offered=False),
)
BY_PATH = {spec.path: spec for spec in BUILTIN}

# The records whose custom properties a condition can test, and how each group is called.
PROPERTY_RECORDS = (ObjectType.DEAL, ObjectType.COMPANY, ObjectType.TICKET)
RECORD_LABELS = {
    "deal": _("Deal"),
    "company": _("Company"),
    "ticket": _("Ticket"),
    "task": _("Task request"),
    "event": _("Event"),
}
_PROPERTY_INPUTS = {
    PropertyType.NUMBER: Input.NUMBER,
    PropertyType.DATE: Input.DATE,
    PropertyType.ENUM: Input.CHOICE,
    PropertyType.MULTI_ENUM: Input.MULTI_CHOICE,
    PropertyType.USER: Input.USER,
}


def property_path(definition: PropertyDefinition) -> str:
    return f"{definition.object_type}.properties.{definition.name}"


def property_spec(definition: PropertyDefinition) -> FieldSpec:
    """A custom property as a condition field: "Deal: Domain name"."""
    return FieldSpec(
        property_path(definition),
        _("%(record)s: %(property)s")
        % {"record": RECORD_LABELS.get(definition.object_type, ""), "property": definition.label},
        _PROPERTY_INPUTS.get(PropertyType(definition.type), Input.TEXT),
        choices=tuple((o["value"], o["label"]) for o in definition.options or ()),
    )


def property_definitions(paths: Iterable[str] | None = None) -> list[PropertyDefinition]:
    """The custom properties conditions may test (one query): all of them, or those ``paths``
    name."""
    rows = PropertyDefinition.objects.filter(
        is_builtin=False, object_type__in=PROPERTY_RECORDS
    ).exclude(type__in=(PropertyType.SECRET, PropertyType.ASSOCIATION))
    if paths is not None:
        names = {p.split(".", 2)[2] for p in paths if p.count(".") >= 2 and ".properties." in p}
        if not names:
            return []
        rows = rows.filter(name__in=names)
    return list(rows)


def catalogue(definitions: Iterable[PropertyDefinition]) -> list[FieldSpec]:
    """The offered fields: the built-in ones, then the custom properties."""
    return [spec for spec in BUILTIN if spec.offered] + [
        property_spec(d) for d in definitions if not d.archived
    ]


def spec_for(path: str, specs: Iterable[FieldSpec] = ()) -> FieldSpec:
    """The field ``path`` names; one nobody describes (an API client's ``event.kind``, a
    property since deleted) is plain text named by its path."""
    if path in BY_PATH:
        return BY_PATH[path]
    for spec in specs:
        if spec.path == path:
            return spec
    return FieldSpec(path, path, Input.TEXT, offered=False)
