"""Helpers every service uses to change a record: set fields while listing the changes for the
timeline, validate with the model's own rules as a DomainError, check an owner."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from .errors import DomainError, FieldError


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


# An argument a partial update was not given: leave the field as it is. (None is a value: for
# an owner or a company it clears the field.)
UNSET: Final = Unset.UNSET


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not UNSET), for a partial update."""
    return {name: value for name, value in values.items() if value is not UNSET}


def display(value: Any) -> Any:
    """A value as the timeline stores it: records by name, decimals and dates as text."""
    if value is None:
        return None
    if hasattr(value, "pk"):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def set_fields(record: Model, fields: dict[str, Any], labels: dict[str, Any]) -> list[dict]:
    """Assign ``fields`` on ``record``; return one change entry per field that really changed."""
    changes = []
    for name, value in fields.items():
        old = getattr(record, name)
        if old == value:
            continue
        setattr(record, name, value)
        changes.append(
            {
                "field": name,
                "label": str(labels.get(name, name)),
                "old": display(old),
                "new": display(value),
            }
        )
    return changes


def full_clean(record: Model, exclude: tuple[str, ...] | list[str] = ()) -> None:
    """The model's field validation, raised as one DomainError with an entry per field."""
    try:
        record.full_clean(exclude=[*exclude, "properties", "secrets"], validate_unique=False)
    except ValidationError as exc:
        errors = [
            FieldError(None if f == "__all__" else f, "invalid", str(m))
            for f, messages in exc.message_dict.items()
            for m in messages
        ]
        raise DomainError(
            code="invalid",
            message=" ".join(e.message for e in errors),
            field=errors[0].field,
            errors=errors,
        ) from None


def field_labels(model: type[Model]) -> dict[str, Any]:
    """Each field's verbose name, for change entries."""
    return {f.name: f.verbose_name for f in model._meta.get_fields() if hasattr(f, "verbose_name")}


def check_owner(owner) -> None:
    """An owner must be an active agency user."""
    if owner is not None and (not owner.is_agency_staff or not owner.is_active):
        raise DomainError(
            code="invalid_owner",
            message=_("The owner must be an active agency user."),
            field="owner",
        )
