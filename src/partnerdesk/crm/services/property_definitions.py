"""Custom property definitions: the fields admins add to companies, contacts, deals and tickets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, require_admin
from partnerdesk.core.records import field_labels, set_fields

from .. import properties as props
from ..events import CrmEvent
from ..models import ObjectType, PropertyDefinition, PropertyType
from .shared import UNSET, Unset, given

# An option as "value", "value|label" or {"value": ..., "label": ...}.
Option = str | Mapping[str, object]


def _clean_options(options: Iterable[Option] | None, type_: str) -> list[dict]:
    if type_ not in (PropertyType.ENUM, PropertyType.MULTI_ENUM):
        return []
    cleaned, seen = [], set()
    for option in options or []:
        if isinstance(option, str):
            value, _sep, label = option.partition("|")
            option = {"value": value.strip(), "label": (label or value).strip()}
        value = str(option.get("value", "")).strip()
        label = str(option.get("label") or value).strip()
        if not value:
            continue
        if value in seen:
            raise DomainError(
                code="duplicate_option",
                message=_("The option “%(v)s” appears twice.") % {"v": value},
                field="options",
            )
        seen.add(value)
        cleaned.append({"value": value, "label": label})
    if not cleaned:
        raise DomainError(
            code="options_required",
            message=_("A dropdown or checkbox property needs at least one option."),
            field="options",
        )
    return cleaned


@transaction.atomic
def property_create(
    *,
    by: Actor,
    object_type: str,
    label: str,
    type: str,
    name: str = "",
    options: Iterable[Option] = (),
    description: str = "",
    group: str = "",
) -> PropertyDefinition:
    require_admin(by)
    label = (label or "").strip()
    if not label:
        raise DomainError(code="required", message=_("A property needs a label."), field="label")
    if object_type not in ObjectType.values:
        raise DomainError(
            code="invalid_choice", message=_("Unknown record type."), field="object_type"
        )
    if type not in PropertyType.values or type == PropertyType.ASSOCIATION:
        raise DomainError(code="invalid_choice", message=_("Unknown property type."), field="type")
    name = slugify(name or label).replace("-", "_")[:64]
    if not name:
        raise DomainError(
            code="invalid_name",
            message=_("The internal name needs letters or digits."),
            field="name",
        )
    if PropertyDefinition.objects.filter(
        object_type=object_type, name=name
    ).exists() or name in props.BUILTIN_PROPERTIES.get(object_type, {}):
        raise conflict(
            "duplicate_property",
            _("A %(o)s property named “%(n)s” already exists.")
            % {"o": ObjectType(object_type).label, "n": name},
            "name",
        )
    last = PropertyDefinition.objects.filter(object_type=object_type).order_by("-order").first()
    defn = PropertyDefinition.objects.create(
        object_type=object_type,
        name=name,
        label=label,
        type=type,
        options=_clean_options(options, type),
        description=description.strip(),
        group=group.strip(),
        order=(last.order + 1) if last else 0,
    )
    record_event(
        kind=CrmEvent.PROPERTY_CREATED,
        subject=defn,
        actor=by,
        data={"label": label, "type": type},
    )
    return defn


@transaction.atomic
def property_update(
    *,
    definition: PropertyDefinition,
    by: Actor,
    label: str | Unset = UNSET,
    options: Iterable[Option] | Unset = UNSET,
    description: str | Unset = UNSET,
    group: str | Unset = UNSET,
    archived: bool | Unset = UNSET,
) -> PropertyDefinition:
    """Change what may change of a property: never its record type, internal name or type."""
    require_admin(by)
    if definition.is_builtin:
        raise DomainError(
            code="builtin_property", message=_("Built-in properties cannot be changed.")
        )
    fields = given(
        label=label, options=options, description=description, group=group, archived=archived
    )
    if "label" in fields:
        fields["label"] = (fields["label"] or "").strip()
        if not fields["label"]:
            raise DomainError(
                code="required", message=_("A property needs a label."), field="label"
            )
    if "options" in fields:
        fields["options"] = _clean_options(fields["options"], definition.type)
    changes = set_fields(definition, fields, field_labels(PropertyDefinition))
    if changes:
        definition.save()
        record_event(
            kind=CrmEvent.PROPERTY_UPDATED,
            subject=definition,
            actor=by,
            data={"changes": changes},
        )
    return definition
