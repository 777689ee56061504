"""API: contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import STAFF_WRITE
from partnerdesk.core.api import (
    Id,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    UserRef,
    fields_from,
    forbid_clients,
    lookup,
    paginate,
    staff_user,
)

from .. import selectors, services
from ..models import Company, Contact
from ..schemas import CompanyRef, property_payload

router = Router()


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    language: str = Field(
        description="Emails to the contact are written in it; empty: that "
        "of their portal account, else the agency's."
    )
    company: CompanyRef | None
    owner: UserRef | None
    hubspot_record_id: str | None
    properties: dict[str, Any]
    secret_properties_set: list[str]
    secret_properties: dict[str, str | None]
    created_at: dt.datetime
    updated_at: dt.datetime


def contact_out(contact: Contact, user) -> dict:
    return {
        **{
            f: getattr(contact, f)
            for f in (
                "id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "job_title",
                "language",
                "company",
                "owner",
                "hubspot_record_id",
                "created_at",
                "updated_at",
            )
        },
        **property_payload(contact, user),
    }


class ContactPage(Page):
    items: list[ContactOut]


class ContactIn(Strict):
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=120)
    language: str = Field("", max_length=8)
    company_id: int | None = OptionalId
    owner_id: int | None = OptionalId
    hubspot_record_id: str | None = Field(None, max_length=32)
    properties: dict[str, Any] = {}


class ContactPatch(Strict):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Field(None, max_length=120)
    language: str | None = Field(None, max_length=8)
    company_id: int | None = OptionalId
    owner_id: int | None = OptionalId
    properties: dict[str, Any] | None = None


class ContactFilters(Schema):
    q: str | None = Field(None, max_length=200)
    company_id: int | None = OptionalId
    owner_id: int | None = OptionalId


@router.get(
    "/contacts",
    response=ContactPage,
    tags=["contacts"],
    summary="List contacts",
    operation_id="partnerdesk_crm_api_list_contacts",
)
def list_contacts(request, filters: Query[ContactFilters], page: Query[PageParams]):
    qs, _active = selectors.filter_contacts(
        selectors.contacts_for(request.auth),
        {"q": filters.q, "company": filters.company_id, "owner": filters.owner_id},
    )
    return paginate(qs.order_by("last_name", "first_name", "id"), page, contact_out, request.auth)


@router.post(
    "/contacts",
    auth=STAFF_WRITE,
    response={201: ContactOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["contacts"],
    operation_id="partnerdesk_crm_api_create_contact",
)
def create_contact(request, payload: ContactIn):
    forbid_clients(request)
    contact = services.contact_create(
        by=request.auth,
        first_name=payload.first_name,
        last_name=payload.last_name,
        email=payload.email,
        phone=payload.phone,
        job_title=payload.job_title,
        language=payload.language,
        company=lookup(Company, payload.company_id, "company"),
        owner=staff_user(payload.owner_id),
        hubspot_record_id=payload.hubspot_record_id,
        properties=payload.properties,
    )
    return Status(201, contact_out(contact, request.auth))


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, 404: Problem},
    tags=["contacts"],
    operation_id="partnerdesk_crm_api_get_contact",
)
def get_contact(request, contact_id: int = Id):
    return contact_out(selectors.contact_detail(request.auth, contact_id), request.auth)


@router.patch(
    "/contacts/{contact_id}",
    auth=STAFF_WRITE,
    response={200: ContactOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["contacts"],
    operation_id="partnerdesk_crm_api_update_contact",
)
def update_contact(request, payload: ContactPatch, contact_id: int = Id):
    contact = selectors.contact_detail(request.auth, contact_id)
    forbid_clients(request)
    fields = fields_from(
        payload,
        ("first_name", "last_name", "email", "phone", "job_title", "language"),
        partial=True,
    )
    if "company_id" in payload.model_fields_set:
        fields["company"] = lookup(Company, payload.company_id, "company")
    if "owner_id" in payload.model_fields_set:
        fields["owner"] = staff_user(payload.owner_id)
    contact = services.contact_update(
        contact=contact, by=request.auth, properties=payload.properties, **fields
    )
    return contact_out(contact, request.auth)
