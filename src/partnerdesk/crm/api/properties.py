"""API: custom property definitions."""

from __future__ import annotations

from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, STAFF
from partnerdesk.core.api import (
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    paginate,
    require_staff,
)

from .. import services
from ..models import ObjectType, PropertyDefinition

router = Router()


class PropertyOut(Schema):
    id: int
    object_type: str
    name: str
    label: str
    type: str
    options: list[dict]
    description: str
    group: str
    is_builtin: bool
    archived: bool


class PropertyPage(Page):
    items: list[PropertyOut]


class OptionIn(Strict):
    value: str = Field(..., min_length=1, max_length=100)
    label: str | None = Field(None, max_length=100)


class PropertyIn(Strict):
    object_type: Annotated[str, OneOf(ObjectType)]
    label: str = Field(..., min_length=1, max_length=100)
    name: str = Field("", max_length=64)
    type: Literal["text", "number", "date", "enum", "multi_enum", "user", "url", "email", "secret"]
    options: list[OptionIn] = Field([], max_length=500)
    description: str = Field("", max_length=300)
    group: str = Field("", max_length=60)


class PropertyPatch(Strict):
    label: str | None = Field(None, min_length=1, max_length=100)
    options: list[OptionIn] | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=300)
    group: str | None = Field(None, max_length=60)
    archived: bool | None = None


class PropertyFilters(Schema):
    object_type: Annotated[str, OneOf(ObjectType)] | None = None
    include_archived: bool = False


@router.get(
    "/properties",
    auth=STAFF,
    response=PropertyPage,
    tags=["properties"],
    operation_id="partnerdesk_crm_api_list_properties",
)
def list_properties(request, filters: Query[PropertyFilters], page: Query[PageParams]):
    require_staff(request)
    qs = PropertyDefinition.objects.all()
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if not filters.include_archived:
        qs = qs.filter(archived=False)
    return paginate(qs, page, lambda p, _u: p)


@router.post(
    "/properties",
    auth=ADMIN,
    response={201: PropertyOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["properties"],
    operation_id="partnerdesk_crm_api_create_property",
)
def create_property(request, payload: PropertyIn):
    require_staff(request)
    definition = services.property_create(
        by=request.auth,
        object_type=payload.object_type,
        label=payload.label,
        name=payload.name,
        type=payload.type,
        options=[o.model_dump() for o in payload.options],
        description=payload.description,
        group=payload.group,
    )
    return Status(201, definition)


@router.get(
    "/properties/{property_id}",
    auth=STAFF,
    response={200: PropertyOut, 404: Problem},
    tags=["properties"],
    operation_id="partnerdesk_crm_api_get_property",
)
def get_property(request, property_id: int = Id):
    require_staff(request)
    return get_object_or_404(PropertyDefinition, pk=property_id)


@router.patch(
    "/properties/{property_id}",
    auth=ADMIN,
    response={200: PropertyOut, 404: Problem, 403: Problem, 422: Problem},
    tags=["properties"],
    operation_id="partnerdesk_crm_api_update_property",
)
def update_property(request, payload: PropertyPatch, property_id: int = Id):
    require_staff(request)
    definition = get_object_or_404(PropertyDefinition, pk=property_id)
    return services.property_update(
        definition=definition,
        by=request.auth,
        **payload.model_dump(exclude_unset=True, exclude_none=True),
    )
