"""Names the agency defines, in each language: a pipeline, a stage, a product or a task
category has a base name and may have one per other language of ``settings.LANGUAGES``.

A model declares its name with :class:`TranslatedNameField` (a ``CharField`` in the schema)
and the translations beside it::

    name = TranslatedNameField(_("name"), max_length=100)
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)

``name_translations`` maps a language code to the name in it (``{"it": "Nuovo", "ar": "جديد"}``);
the base name is in the default language (``settings.LANGUAGE_CODE``) and is the name every
other language falls back to.

Reading ``obj.name`` gives the name in the active language (``get_language()``) when one is
set, else the base name, so ``{{ stage.name }}`` and ``str(stage)`` speak the reader's
language everywhere. Writing ``obj.name = x`` sets the base name.

What keeps using the base name:

* **Queries**: ``filter(name=…)``, ``order_by("name")``, ``values("name")``, ``name__iexact``
  read the column, which holds the base name. Code that shows names from ``values()`` picks
  the reader's with :func:`pick_name`.
* **Saving**: a translated name read from the attribute is a :class:`TranslatedStr`, which
  remembers its base name; the field saves, compares in lookups and writes back (Django's
  ``refresh_from_db``, ``clean_fields``, ``bulk_update``, unique checks) the base name, so a
  record read in Italian is never saved with its Italian name as its base.
* **Forms and serializers**: ``model_to_dict`` (a ``ModelForm``'s initial values), ``dumpdata``
  and ``loaddata`` use the base name (``Field.value_from_object``).
* **Editing code**: :func:`base_name` reads the base name; inside ``with base_names():``
  every such name reads as its base (services comparing old and new names, event data).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils import translation
from django.utils.translation import get_language, get_language_info, gettext

from .errors import DomainError, FieldError
from .records import field_labels, set_fields

TRANSLATIONS_FIELD = "name_translations"

# Set inside ``base_names()``: translated names read as their base names.
_reading_base: ContextVar[bool] = ContextVar("reading_base_names", default=False)


def _primary(code: str) -> str:
    return code.split("-")[0].lower()


def translation_languages() -> list[str]:
    """The codes a name can be translated into: every language of ``settings.LANGUAGES``
    but the default one (the base name's)."""
    default = _primary(settings.LANGUAGE_CODE)
    return [code for code, _name in settings.LANGUAGES if _primary(code) != default]


@contextmanager
def base_names() -> Iterator[None]:
    """Within the block (in this thread or task), translated names read as their base names."""
    token = _reading_base.set(True)
    try:
        yield
    finally:
        _reading_base.reset(token)


def pick_name(
    base: str, translations: Mapping[str, str] | None, language: str | None = None
) -> str:
    """``base`` in ``language`` (the active one when None): its translation when one is set,
    else ``base``. For names read with ``values()``."""
    language = get_language() if language is None else language
    if not language or not translations or _reading_base.get():
        return base
    if _primary(language) == _primary(settings.LANGUAGE_CODE):
        return base
    value = translations.get(language.lower()) or translations.get(_primary(language))
    return value if isinstance(value, str) and value else base


class TranslatedStr(str):
    """A name read in the reader's language that remembers its ``base`` name: saving it, or
    looking a record up by it, uses the base name."""

    base: str

    def __new__(cls, value: str, base: str) -> TranslatedStr:
        text = super().__new__(cls, value)
        text.base = base
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str(self), self.base)


def _unwrap(value: Any) -> Any:
    return value.base if isinstance(value, TranslatedStr) else value


def base_values(value: Any) -> Any:
    """``value`` (a dict or list of them, as stored in an event's data) with every name read
    in the reader's language put back to its base name: what is stored reads the same for
    everybody, whoever made the change (each reader's name is chosen when it is shown)."""
    if isinstance(value, TranslatedStr):
        return value.base
    if isinstance(value, dict):
        return {k: base_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [base_values(v) for v in value]
    return value


class TranslatedName(DeferredAttribute):
    """The descriptor of a :class:`TranslatedNameField`: reads in the active language, writes
    the base name. Like Django's own, it loads a deferred name on first read; the base name
    lives in the instance's ``__dict__`` under the field's attname."""

    field: TranslatedNameField

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        base = super().__get__(instance, cls)
        if not isinstance(base, str) or not base or _reading_base.get():
            return base
        language = get_language()
        if not language or _primary(language) == _primary(settings.LANGUAGE_CODE):
            return base  # (the translations are not even read: no query when deferred)
        translations = getattr(instance, TRANSLATIONS_FIELD)
        name = pick_name(base, translations if isinstance(translations, dict) else None, language)
        return base if name == base else TranslatedStr(name, base)

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = _unwrap(value)


class TranslatedNameField(models.CharField):
    """A ``CharField`` whose attribute reads in the reader's language (see the module's
    docstring). In the schema and in migrations it is a plain ``CharField``: the
    translations are the model's ``name_translations`` field."""

    descriptor_class = TranslatedName

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def get_prep_value(self, value):
        return super().get_prep_value(_unwrap(value))

    def value_from_object(self, obj):
        return base_name(obj, self.attname)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        try:
            other = self.model._meta.get_field(TRANSLATIONS_FIELD)
        except FieldDoesNotExist:
            other = None
        if not isinstance(other, models.JSONField):
            errors.append(
                checks.Error(
                    f"{self.model.__name__}.{self.name} needs a JSONField named "
                    f"'{TRANSLATIONS_FIELD}' for its translations.",
                    obj=self,
                    id="partnerdesk.E101",
                )
            )
        return errors


def base_name(obj: models.Model, field: str = "name") -> str:
    """``obj``'s base name (the stored one), whatever the active language."""
    with base_names():
        return getattr(obj, field)


def all_names(obj: models.Model, field: str = "name") -> list[str]:
    """``obj``'s base name, then its name in each other language: for matching a name a
    person typed, in any language."""
    translations = getattr(obj, TRANSLATIONS_FIELD, None) or {}
    names = [base_name(obj, field), *(v for v in translations.values() if isinstance(v, str))]
    return list(dict.fromkeys(n for n in names if n))


def language_name(code: str) -> str:
    """A language's name in the active language ("Italian", "Italiano")."""
    return str(get_language_info(code)["name_translated"])


def clean_translations(
    value: Any, model: type[models.Model], field: str = "name"
) -> dict[str, str]:
    """Translations of ``model``'s ``field`` as stored: one name per language of
    :func:`translation_languages`, stripped, blank ones left out. A DomainError on
    ``name_translations.<code>`` (one entry per bad language) for another language code, a
    value that is not text or one longer than the field allows."""
    max_length = getattr(model._meta.get_field(field), "max_length", None) or 0
    if not isinstance(value, Mapping):
        raise DomainError(
            code="invalid_translations",
            message=gettext("Give the names in other languages as an object of texts by code."),
            field=TRANSLATIONS_FIELD,
        )
    known = translation_languages()
    errors: list[FieldError] = []
    cleaned: dict[str, str] = {}
    for code, name in value.items():
        where = f"{TRANSLATIONS_FIELD}.{code}"
        if code not in known:
            errors.append(
                FieldError(
                    where,
                    "unknown_language",
                    gettext("“%(code)s” is not a language of this site (use one of: %(known)s).")
                    % {"code": code, "known": ", ".join(known)},
                )
            )
        elif not isinstance(name, str):
            errors.append(
                FieldError(where, "invalid", gettext("A name in another language is a text."))
            )
        elif len(name.strip()) > max_length:
            errors.append(
                FieldError(
                    where,
                    "too_long",
                    gettext("The name in %(language)s is longer than %(n)s characters.")
                    % {"language": language_name(code), "n": max_length},
                )
            )
        elif name.strip():
            cleaned[code] = name.strip()
    if errors:
        raise DomainError(
            code="invalid_translations",
            message=" ".join(e.message for e in errors),
            field=errors[0].field,
            errors=errors,
        )
    return {code: cleaned[code] for code in known if code in cleaned}


def translation_label(code: str) -> str:
    return gettext("Name in %(language)s") % {"language": language_name(code)}


def set_translations(record: models.Model, translations: Mapping[str, str]) -> list[dict]:
    """Replace ``record``'s name translations with ``translations`` (already cleaned); one
    change entry per language whose name changed, as ``core.records.set_fields`` lists them."""
    old: dict[str, str] = dict(getattr(record, TRANSLATIONS_FIELD) or {})
    new = dict(translations)
    changes = [
        {
            "field": f"{TRANSLATIONS_FIELD}.{code}",
            "label": translation_label(code),
            "old": old.get(code, ""),
            "new": new.get(code, ""),
        }
        for code in dict.fromkeys([*translation_languages(), *old])
        if old.get(code, "") != new.get(code, "")
    ]
    if changes:
        setattr(record, TRANSLATIONS_FIELD, new)
    return changes


def set_named_fields(
    record: models.Model, fields: dict[str, Any], translations: Mapping[str, str] | None
) -> list[dict]:
    """``core.records.set_fields`` for a record with a translated name, then (unless None)
    its ``translations``, cleaned, in place of the ones set; the change entries. Old names
    are compared as stored (base names), whatever the reader's language."""
    with base_names():
        changes = set_fields(record, fields, field_labels(type(record)))
    if translations is not None:
        changes += set_translations(record, clean_translations(translations, type(record)))
    return changes


def catalogue_translations(msgid: str) -> dict[str, str]:
    """A default's English name in each other language, as the message catalogue has it
    (only the languages where it has a translation). The default names are marked with
    ``gettext_noop`` so that they are in the catalogue."""
    found: dict[str, str] = {}
    for code in translation_languages():
        with translation.override(code):
            text = gettext(msgid)
        if text != msgid:
            found[code] = text
    return found


class TranslatedNameFormMixin:
    """A form with a ``name`` field gets a "Name in <language>" field after it for each other
    language (``name_it``, ``name_ar``): optional, as long as the name may be. Give the
    record's translations as ``translations=`` (their initial values) and its base name as
    the ``name``'s initial (a ModelForm does: ``model_to_dict`` reads the base name); read
    what was typed with :meth:`cleaned_translations`."""

    name_field = "name"
    fields: dict[str, forms.Field]  # (the form's)
    cleaned_data: dict[str, Any]

    def __init__(self, *args, translations: Mapping[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        translations = translations or {}
        base = self.fields[self.name_field]
        fields: dict[str, forms.Field] = {}
        for name, field in self.fields.items():
            fields[name] = field
            if name != self.name_field:
                continue
            for code in translation_languages():
                info = get_language_info(code)
                fields[self.translation_field(code)] = forms.CharField(
                    label=translation_label(code),
                    max_length=getattr(base, "max_length", None),
                    required=False,
                    initial=translations.get(code, ""),
                    widget=forms.TextInput(
                        attrs={"lang": code, "dir": "rtl" if info["bidi"] else "ltr"}
                    ),
                )
        self.fields = fields

    def translation_field(self, code: str) -> str:
        return f"{self.name_field}_{code}"

    def cleaned_translations(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            code: data[self.translation_field(code)].strip()
            for code in translation_languages()
            if data.get(self.translation_field(code), "").strip()
        }

    def add_domain_error(self, exc: DomainError) -> None:
        """An error about ``name_translations.<code>`` is shown beside that language's field;
        the others as ``DomainErrorFormMixin`` shows them."""
        prefix = f"{TRANSLATIONS_FIELD}."
        rest = []
        for error in exc.all_errors():
            code = (error.field or "").removeprefix(prefix)
            if error.field != code and code in translation_languages():
                self.add_error(self.translation_field(code), str(error.message))  # type: ignore[attr-defined]
            else:
                rest.append(error)
        if len(rest) == len(exc.all_errors()):
            super().add_domain_error(exc)  # type: ignore[misc]
        elif rest:
            super().add_domain_error(  # type: ignore[misc]
                DomainError(
                    code=exc.code, message=rest[0].message, field=rest[0].field, errors=rest
                )
            )


__all__ = [
    "TRANSLATIONS_FIELD",
    "TranslatedName",
    "TranslatedNameField",
    "TranslatedNameFormMixin",
    "TranslatedStr",
    "all_names",
    "base_name",
    "base_names",
    "base_values",
    "catalogue_translations",
    "clean_translations",
    "pick_name",
    "set_named_fields",
    "set_translations",
    "translation_languages",
]
