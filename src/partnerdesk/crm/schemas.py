"""API schemas of CRM records that other apps' APIs embed (a ticket's company, stage, ...),
and the names the agency defines (a pipeline's, a stage's, a product's) as the API shows and
takes them."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import StringConstraints
from pydantic_core import core_schema

from partnerdesk.core.translated import base_name, translation_languages

from . import properties as props

BASE_NAME = (
    "The name as stored: in the site's default language, whatever the request's. "
    "Filters and sorting use it; pages show the reader's language from name_translations."
)
TRANSLATIONS = (
    'The name in other languages by language code, e.g. {"it": "Nuovo", "ar": "جديد"} '
    "(a language without one falls back to name)."
)
TRANSLATIONS_IN = (
    TRANSLATIONS + " Replaces the names in other languages: a language left out or blank has none."
)


class LanguageCode:
    """A language a name can be translated into (``core.translated.translation_languages``),
    as a Literal of them: same validation and OpenAPI enum."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.literal_schema(translation_languages())


Language = Annotated[str, LanguageCode()]
# A name in another language, in a request: as long as the record's name may be.
NAME_TRANSLATIONS_IN = Field(description=TRANSLATIONS_IN)
NameTranslations100In = Annotated[
    dict[Language, Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]],
    NAME_TRANSLATIONS_IN,
]
NameTranslations150In = Annotated[
    dict[Language, Annotated[str, StringConstraints(strip_whitespace=True, max_length=150)]],
    NAME_TRANSLATIONS_IN,
]


NameTranslations = Annotated[dict[str, str], Field(description=TRANSLATIONS)]


class BaseNameOut(Schema):
    """A schema whose ``name`` is a record's base name (not the request's language's)."""

    @staticmethod
    def resolve_name(obj) -> str:
        return obj["name"] if isinstance(obj, dict) else base_name(obj)


class CompanyRef(Schema):
    id: int
    name: str
    domain: str


class StageRef(BaseNameOut):
    id: int
    name: str = Field(description=BASE_NAME)
    name_translations: NameTranslations
    kind: str


class PipelineRef(BaseNameOut):
    id: int
    name: str = Field(description=BASE_NAME)
    name_translations: NameTranslations


class ProductRef(BaseNameOut):
    id: int
    name: str = Field(description=BASE_NAME)
    name_translations: NameTranslations
    sku: str


def property_payload(record, user) -> dict:
    """A record's custom properties as the API shows them: secrets only to those who may see them."""
    secrets = {}
    if props.can_see_secrets(user):
        secrets = {name: props.secret_value(record, name, user=user) for name in record.secrets}
    return {
        "properties": dict(record.properties),
        "secret_properties_set": sorted(record.secrets),
        "secret_properties": secrets,
    }
