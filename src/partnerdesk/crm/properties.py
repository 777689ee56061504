"""Custom properties: validation by type, secret handling and stage requirements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core import crypto
from partnerdesk.core.configuration import configuration
from partnerdesk.core.errors import DomainError, FieldError

from .models import PropertyDefinition, PropertyType

MAX_TEXT = 10_000

# Built-in properties: model attributes that rules (such as "required to enter a stage") can
# name like custom ones. name -> (label, type)
BUILTIN_PROPERTIES: dict[str, dict[str, tuple[str, str]]] = {
    "company": {
        "domain": ("Primary domain", PropertyType.TEXT),
        "country": ("Country", PropertyType.TEXT),
        "owner": ("Owner", PropertyType.USER),
        "hub_id": ("HubSpot hub id", PropertyType.TEXT),
    },
    "contact": {
        "email": ("Email", PropertyType.EMAIL),
        "phone": ("Phone", PropertyType.TEXT),
        "company": ("Company", PropertyType.ASSOCIATION),
    },
    "deal": {
        "amount": ("Amount", PropertyType.NUMBER),
        "close_date": ("Close date", PropertyType.DATE),
        "owner": ("Owner", PropertyType.USER),
        "company": ("Company", PropertyType.ASSOCIATION),
        "contacts": ("Contacts", PropertyType.ASSOCIATION),
        "line_items": ("Line items", PropertyType.ASSOCIATION),
    },
    "ticket": {
        "description": ("Description", PropertyType.TEXT),
        "owner": ("Owner", PropertyType.USER),
        "company": ("Company", PropertyType.ASSOCIATION),
        "deal": ("Deal", PropertyType.ASSOCIATION),
        "contact": ("Contact", PropertyType.ASSOCIATION),
    },
}


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def normalize_value(defn: PropertyDefinition, raw):
    """Return the stored form of ``raw`` for ``defn`` (None clears), or raise DomainError."""
    if isinstance(raw, str):
        raw = raw.strip()
    if is_empty(raw):
        return None

    def bad(message: str) -> DomainError:
        return DomainError(code="invalid_property_value", message=message, field=defn.name)

    kind = defn.type
    if kind in (PropertyType.TEXT, PropertyType.SECRET):
        if not isinstance(raw, str):
            raise bad(_("%(label)s must be text.") % {"label": defn.label})
        if len(raw) > MAX_TEXT:
            raise bad(
                _("%(label)s is too long (at most %(max)d characters).")
                % {"label": defn.label, "max": MAX_TEXT}
            )
        return raw
    if kind == PropertyType.NUMBER:
        if isinstance(raw, bool):
            raise bad(_("%(label)s must be a number.") % {"label": defn.label})
        try:
            number = (
                Decimal(str(raw).replace(",", "")) if isinstance(raw, str) else Decimal(str(raw))
            )
        except InvalidOperation:
            raise bad(
                _("%(label)s must be a number, not “%(value)s”.")
                % {"label": defn.label, "value": raw}
            ) from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise bad(_("%(label)s must be a finite number below 10^15.") % {"label": defn.label})
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == PropertyType.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return parse_date(str(raw)).isoformat()
        except ValueError:
            raise bad(
                _("%(label)s must be a date as YYYY-MM-DD, not “%(value)s”.")
                % {"label": defn.label, "value": raw}
            ) from None
    if kind == PropertyType.ENUM:
        value = str(raw)
        if value not in defn.option_values:
            matches = [o["value"] for o in defn.options if o["label"].lower() == value.lower()]
            if not matches:
                raise bad(
                    _("“%(value)s” is not an option of %(label)s (options: %(options)s).")
                    % {
                        "value": value,
                        "label": defn.label,
                        "options": ", ".join(defn.option_values),
                    }
                )
            value = matches[0]
        return value
    if kind == PropertyType.MULTI_ENUM:
        items = raw if isinstance(raw, list) else [p for p in str(raw).replace(",", ";").split(";")]
        values = []
        for item in items:
            item = str(item).strip()
            if not item:
                continue
            if item not in defn.option_values:
                matches = [o["value"] for o in defn.options if o["label"].lower() == item.lower()]
                if not matches:
                    raise bad(
                        _("“%(value)s” is not an option of %(label)s (options: %(options)s).")
                        % {
                            "value": item,
                            "label": defn.label,
                            "options": ", ".join(defn.option_values),
                        }
                    )
                item = matches[0]
            if item not in values:
                values.append(item)
        return values or None
    if kind == PropertyType.USER:
        try:
            user_id = None if isinstance(raw, bool) else int(raw)
        except (TypeError, ValueError):
            user_id = None
        user = User.objects.agency_staff().filter(pk=user_id).first() if user_id else None
        if user is None:
            user = User.objects.agency_staff().filter(email__iexact=str(raw)).first()
        if user is None:
            raise bad(_("%(label)s must be an active agency user.") % {"label": defn.label})
        return user.pk
    if kind == PropertyType.URL:
        try:
            URLValidator(schemes=["http", "https"])(str(raw))
        except ValidationError:
            raise bad(
                _("%(label)s must be a web address starting with http:// or https://.")
                % {"label": defn.label}
            ) from None
        return str(raw)
    if kind == PropertyType.EMAIL:
        try:
            EmailValidator()(str(raw))
        except ValidationError:
            raise bad(_("%(label)s must be an email address.") % {"label": defn.label}) from None
        return str(raw).lower()
    raise bad(_("%(label)s cannot be set directly.") % {"label": defn.label})


def parse_date(text: str) -> dt.date:
    """An ISO date, or the date part of an ISO date-time (as HubSpot exports them)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.fromisoformat(text).date()


def definitions(object_type: str, *, include_builtin: bool = False):
    qs = PropertyDefinition.objects.filter(object_type=object_type, archived=False)
    if not include_builtin:
        qs = qs.filter(is_builtin=False)
    return qs


def definition_list(object_type: str) -> list[PropertyDefinition]:
    """The custom (not built-in, not archived) definitions of ``object_type``, read once per
    configuration stamp (``core.configuration``): shared, never to be changed."""
    return configuration(
        ("property_definitions", object_type), lambda: list(definitions(object_type))
    )


def apply_properties(
    record, changes: dict, *, definitions_by_name: dict | None = None
) -> list[dict]:
    """Validate and set custom property values on ``record`` (not saved).

    Returns the list of changes for the timeline; secret values are never included.
    Raises one DomainError listing every bad value.
    """
    if not changes:
        return []
    if definitions_by_name is None:
        definitions_by_name = {d.name: d for d in definition_list(record.object_type)}
    errors: list[FieldError] = []
    normalized = {}
    for name, raw in changes.items():
        defn = definitions_by_name.get(name)
        if defn is None:
            errors.append(
                FieldError(
                    name,
                    "unknown_property",
                    _("There is no property “%(name)s” on this record type.") % {"name": name},
                )
            )
            continue
        try:
            normalized[name] = (defn, normalize_value(defn, raw))
        except DomainError as exc:
            errors.extend(exc.all_errors())
    if errors:
        raise DomainError(
            code="invalid_properties",
            message=" ".join(e.message for e in errors),
            field=errors[0].field,
            errors=errors,
        )

    recorded = []
    for name, (defn, value) in normalized.items():
        if defn.type == PropertyType.SECRET:
            had = name in record.secrets
            if value is None:
                record.secrets.pop(name, None)
                changed = had
            else:
                changed = not had or crypto.decrypt(record.secrets[name]) != value
                if changed:
                    record.secrets[name] = crypto.encrypt(value)
            if changed:
                recorded.append({"field": name, "label": defn.label, "secret": True})
            continue
        old = record.properties.get(name)
        if old == value:
            continue
        if value is None:
            record.properties.pop(name, None)
        else:
            record.properties[name] = value
        recorded.append({"field": name, "label": defn.label, "old": old, "new": value})
    return recorded


def has_value(record, defn: PropertyDefinition) -> bool:
    if defn.is_builtin:
        if defn.type == PropertyType.ASSOCIATION:
            related = getattr(record, defn.name)
            if hasattr(related, "exists"):
                return related.exists()
            return related is not None
        if defn.type == PropertyType.USER:
            return getattr(record, f"{defn.name}_id") is not None
        return not is_empty(getattr(record, defn.name, None))
    if defn.type == PropertyType.SECRET:
        return defn.name in record.secrets
    return not is_empty(record.properties.get(defn.name))


def required_properties(stage) -> list[PropertyDefinition]:
    """What ``stage`` requires (read once per configuration stamp; shared, read-only)."""
    return configuration(
        ("required_properties", stage.pk), lambda: list(stage.required_properties.all())
    )


def missing_for_stage(record, stage) -> list[PropertyDefinition]:
    return [d for d in required_properties(stage) if not d.archived and not has_value(record, d)]


def ensure_can_enter(record, stage) -> None:
    missing = missing_for_stage(record, stage)
    if missing:
        labels = ", ".join(d.label for d in missing)
        raise DomainError(
            code="missing_required_properties",
            message=_("To move into “%(stage)s”, fill in: %(labels)s.")
            % {"stage": stage.name, "labels": labels},
            field=missing[0].name,
            errors=[
                FieldError(
                    d.name,
                    "required",
                    _("%(label)s is required to enter “%(stage)s”.")
                    % {"label": d.label, "stage": stage.name},
                )
                for d in missing
            ],
        )


def can_see_secrets(user) -> bool:
    return bool(user and user.is_authenticated and user.is_manager_or_admin)


def secret_value(record, name: str, *, user) -> str | None:
    if not can_see_secrets(user) or name not in record.secrets:
        return None
    return crypto.decrypt(record.secrets[name])


def display_value(defn: PropertyDefinition, value, users_by_id: dict | None = None) -> str:
    if is_empty(value):
        return ""
    if defn.type == PropertyType.ENUM:
        return defn.option_label(value)
    if defn.type == PropertyType.MULTI_ENUM:
        return ", ".join(defn.option_label(v) for v in value)
    if defn.type == PropertyType.USER and users_by_id is not None:
        return str(users_by_id.get(value, value))
    return str(value)
