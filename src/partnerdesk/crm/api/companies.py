"""API: companies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import STAFF_WRITE
from partnerdesk.core.api import (
    Id,
    OneOf,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    UserRef,
    fields_from,
    forbid_clients,
    paginate,
    staff_user,
)

from .. import selectors, services
from ..models import Company, Lifecycle
from ..schemas import property_payload

router = Router()


class CompanyOut(Schema):
    id: int
    name: str
    domain: str
    country: str
    timezone: str
    hub_id: str
    lifecycle: str
    owner: UserRef | None
    hubspot_record_id: str | None
    properties: dict[str, Any]
    secret_properties_set: list[str]
    secret_properties: dict[str, str | None]
    created_at: dt.datetime
    updated_at: dt.datetime


def company_out(company: Company, user) -> dict:
    return {
        **{
            f: getattr(company, f)
            for f in (
                "id",
                "name",
                "domain",
                "country",
                "timezone",
                "hub_id",
                "lifecycle",
                "owner",
                "hubspot_record_id",
                "created_at",
                "updated_at",
            )
        },
        **property_payload(company, user),
    }


class CompanyPage(Page):
    items: list[CompanyOut]


class CompanyIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    domain: str = Field("", max_length=253)
    country: str = Field("", max_length=2)
    timezone: str = Field("", max_length=64)
    hub_id: str = Field("", max_length=32)
    lifecycle: Annotated[str, OneOf(Lifecycle)] = "client"
    owner_id: int | None = OptionalId
    hubspot_record_id: str | None = Field(None, max_length=32)
    properties: dict[str, Any] = {}


class CompanyPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    domain: str | None = Field(None, max_length=253)
    country: str | None = Field(None, max_length=2)
    timezone: str | None = Field(None, max_length=64)
    hub_id: str | None = Field(None, max_length=32)
    lifecycle: Annotated[str, OneOf(Lifecycle)] | None = None
    owner_id: int | None = OptionalId
    properties: dict[str, Any] | None = None


class CompanyFilters(Schema):
    q: str | None = Field(None, max_length=200)
    lifecycle: Annotated[str, OneOf(Lifecycle)] | None = None
    owner_id: int | None = OptionalId
    country: str | None = Field(None, max_length=2)


@router.get(
    "/companies",
    response=CompanyPage,
    tags=["companies"],
    summary="List companies",
    operation_id="partnerdesk_crm_api_list_companies",
)
def list_companies(request, filters: Query[CompanyFilters], page: Query[PageParams]):
    qs, _active = selectors.filter_companies(
        selectors.companies_for(request.auth),
        {
            "q": filters.q,
            "lifecycle": filters.lifecycle,
            "owner": filters.owner_id,
            "country": filters.country,
        },
    )
    return paginate(qs.order_by("name", "id"), page, company_out, request.auth)


@router.post(
    "/companies",
    auth=STAFF_WRITE,
    response={201: CompanyOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["companies"],
    operation_id="partnerdesk_crm_api_create_company",
)
def create_company(request, payload: CompanyIn):
    forbid_clients(request)
    company = services.company_create(
        by=request.auth,
        name=payload.name,
        domain=payload.domain,
        country=payload.country,
        timezone=payload.timezone,
        hub_id=payload.hub_id,
        lifecycle=payload.lifecycle,
        owner=staff_user(payload.owner_id),
        hubspot_record_id=payload.hubspot_record_id,
        properties=payload.properties,
    )
    return Status(201, company_out(company, request.auth))


@router.get(
    "/companies/{company_id}",
    response={200: CompanyOut, 404: Problem},
    tags=["companies"],
    operation_id="partnerdesk_crm_api_get_company",
)
def get_company(request, company_id: int = Id):
    return company_out(selectors.company_detail(request.auth, company_id), request.auth)


@router.patch(
    "/companies/{company_id}",
    auth=STAFF_WRITE,
    response={200: CompanyOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["companies"],
    operation_id="partnerdesk_crm_api_update_company",
)
def update_company(request, payload: CompanyPatch, company_id: int = Id):
    company = selectors.company_detail(request.auth, company_id)
    forbid_clients(request)
    fields = fields_from(
        payload, ("name", "domain", "country", "timezone", "hub_id", "lifecycle"), partial=True
    )
    if "owner_id" in payload.model_fields_set:
        fields["owner"] = staff_user(payload.owner_id)
    company = services.company_update(
        company=company, by=request.auth, properties=payload.properties, **fields
    )
    return company_out(company, request.auth)
