"""JSON API for the CRM. Same selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.core.api import (
    MAX_ID,
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
    require_staff,
    search,
    staff_user,
)
from partnerdesk.core.errors import DomainError
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import selectors, services
from .models import Company, Contact, Deal, LineItem, Pipeline, Product, PropertyDefinition, Stage
from .schemas import CompanyRef, PipelineRef, ProductRef, StageRef, property_payload

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
    lifecycle: Literal["prospect", "client", "former"] = "client"
    owner_id: int | None = OptionalId
    hubspot_record_id: str | None = Field(None, max_length=32)
    properties: dict[str, Any] = {}


class CompanyPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    domain: str | None = Field(None, max_length=253)
    country: str | None = Field(None, max_length=2)
    timezone: str | None = Field(None, max_length=64)
    hub_id: str | None = Field(None, max_length=32)
    lifecycle: Literal["prospect", "client", "former"] | None = None
    owner_id: int | None = OptionalId
    properties: dict[str, Any] | None = None


class CompanyFilters(Schema):
    q: str | None = Field(None, max_length=200)
    lifecycle: Literal["prospect", "client", "former"] | None = None
    owner_id: int | None = OptionalId
    country: str | None = Field(None, max_length=2)


# ---------------------------------------------------------------- companies


@router.get("/companies", response=CompanyPage, tags=["companies"], summary="List companies")
def list_companies(request, filters: Query[CompanyFilters], page: Query[PageParams]):
    qs = search(selectors.companies_for(request.auth), filters.q, ("name", "domain", "hub_id"))
    if filters.lifecycle:
        qs = qs.filter(lifecycle=filters.lifecycle)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.country:
        qs = qs.filter(country=filters.country.upper())
    return paginate(qs.order_by("name", "id"), page, company_out, request.auth)


@router.post(
    "/companies",
    response={201: CompanyOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["companies"],
)
def create_company(request, payload: CompanyIn):
    forbid_clients(request)
    fields = fields_from(
        payload,
        ("name", "domain", "country", "timezone", "hub_id", "lifecycle", "hubspot_record_id"),
        partial=False,
    )
    company = services.company_create(
        by=request.auth, owner=staff_user(payload.owner_id), properties=payload.properties, **fields
    )
    return Status(201, company_out(company, request.auth))


@router.get("/companies/{company_id}", response={200: CompanyOut, 404: Problem}, tags=["companies"])
def get_company(request, company_id: int = Id):
    return company_out(selectors.company_detail(request.auth, company_id), request.auth)


@router.patch(
    "/companies/{company_id}",
    response={200: CompanyOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["companies"],
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


# ---------------------------------------------------------------- contacts


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
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
    company_id: int | None = OptionalId
    owner_id: int | None = OptionalId
    properties: dict[str, Any] | None = None


class ContactFilters(Schema):
    q: str | None = Field(None, max_length=200)
    company_id: int | None = OptionalId
    owner_id: int | None = OptionalId


@router.get("/contacts", response=ContactPage, tags=["contacts"], summary="List contacts")
def list_contacts(request, filters: Query[ContactFilters], page: Query[PageParams]):
    qs = search(
        selectors.contacts_for(request.auth), filters.q, ("first_name", "last_name", "email")
    )
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    return paginate(qs.order_by("last_name", "first_name", "id"), page, contact_out, request.auth)


@router.post(
    "/contacts",
    response={201: ContactOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["contacts"],
)
def create_contact(request, payload: ContactIn):
    forbid_clients(request)
    fields = fields_from(
        payload,
        ("first_name", "last_name", "email", "phone", "job_title", "hubspot_record_id"),
        partial=False,
    )
    contact = services.contact_create(
        by=request.auth,
        company=lookup(Company, payload.company_id, "company"),
        owner=staff_user(payload.owner_id),
        properties=payload.properties,
        **fields,
    )
    return Status(201, contact_out(contact, request.auth))


@router.get("/contacts/{contact_id}", response={200: ContactOut, 404: Problem}, tags=["contacts"])
def get_contact(request, contact_id: int = Id):
    return contact_out(selectors.contact_detail(request.auth, contact_id), request.auth)


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["contacts"],
)
def update_contact(request, payload: ContactPatch, contact_id: int = Id):
    contact = selectors.contact_detail(request.auth, contact_id)
    forbid_clients(request)
    fields = fields_from(
        payload, ("first_name", "last_name", "email", "phone", "job_title"), partial=True
    )
    if "company_id" in payload.model_fields_set:
        fields["company"] = lookup(Company, payload.company_id, "company")
    if "owner_id" in payload.model_fields_set:
        fields["owner"] = staff_user(payload.owner_id)
    contact = services.contact_update(
        contact=contact, by=request.auth, properties=payload.properties, **fields
    )
    return contact_out(contact, request.auth)


# ---------------------------------------------------------------- deals


class LineItemOut(Schema):
    id: int
    product: ProductRef
    quantity: int
    unit_price: Decimal
    total: Decimal


class DealOut(Schema):
    id: int
    name: str
    pipeline: PipelineRef
    stage: StageRef
    amount: Decimal | None
    currency: str
    close_date: dt.date | None
    owner: UserRef | None
    company: CompanyRef | None
    contact_ids: list[int]
    line_items: list[LineItemOut]
    hubspot_record_id: str | None
    properties: dict[str, Any]
    secret_properties_set: list[str]
    secret_properties: dict[str, str | None]
    stage_entered_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def deal_out(deal: Deal, user) -> dict:
    return {
        **{
            f: getattr(deal, f)
            for f in (
                "id",
                "name",
                "pipeline",
                "stage",
                "amount",
                "currency",
                "close_date",
                "owner",
                "company",
                "hubspot_record_id",
                "stage_entered_at",
                "closed_at",
                "created_at",
                "updated_at",
            )
        },
        "contact_ids": [c.pk for c in deal.contacts.all()],
        "line_items": list(deal.line_items.all()),
        **property_payload(deal, user),
    }


class DealPage(Page):
    items: list[DealOut]


class LineItemIn(Strict):
    product_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: int = Field(1, ge=1, le=1_000_000)
    unit_price: Decimal | None = Field(
        None, ge=0, lt=Decimal("1e10"), max_digits=12, decimal_places=2
    )


class DealIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    pipeline_id: int = Field(..., ge=1, le=MAX_ID)
    stage_id: int | None = OptionalId
    amount: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    currency: str = Field("USD", min_length=3, max_length=3)
    close_date: dt.date | None = None
    owner_id: int | None = OptionalId
    company_id: int | None = OptionalId
    contact_ids: list[int] = Field([], max_length=500)
    line_items: list[LineItemIn] = Field([], max_length=500)
    hubspot_record_id: str | None = Field(None, max_length=32)
    properties: dict[str, Any] = {}


class DealPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    amount: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    close_date: dt.date | None = None
    owner_id: int | None = OptionalId
    company_id: int | None = OptionalId
    contact_ids: list[int] | None = Field(None, max_length=500)
    properties: dict[str, Any] | None = None


class DealMove(Strict):
    stage_id: int = Field(..., ge=1, le=MAX_ID)


class DealFilters(Schema):
    q: str | None = Field(None, max_length=200)
    pipeline_id: int | None = OptionalId
    stage_id: int | None = OptionalId
    owner_id: int | None = OptionalId
    company_id: int | None = OptionalId
    kind: Literal["open", "won", "lost"] | None = None


def _deals(request):
    from django.db.models import Prefetch

    return selectors.deals_for(request.auth).prefetch_related(
        Prefetch("line_items", queryset=LineItem.objects.select_related("product")),
        Prefetch("contacts", queryset=Contact.objects.only("id")),
    )


def _contacts(ids) -> list[Contact]:
    ids = list(dict.fromkeys(ids))
    if any(i < 1 or i > MAX_ID for i in ids):
        raise DomainError(
            code="not_found", message="Contact ids must be positive.", field="contact_ids"
        )
    contacts = list(Contact.objects.filter(pk__in=ids))
    if len(contacts) != len(ids):
        missing = sorted(set(ids) - {c.pk for c in contacts})
        raise DomainError(
            code="not_found", message=f"No contact with id {missing[0]}.", field="contact_ids"
        )
    return contacts


@router.get("/deals", response=DealPage, tags=["deals"], summary="List deals")
def list_deals(request, filters: Query[DealFilters], page: Query[PageParams]):
    qs = search(_deals(request), filters.q, ("name", "company__name"))
    for name in ("pipeline_id", "stage_id", "owner_id", "company_id"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.kind:
        qs = qs.filter(stage__kind=filters.kind)
    return paginate(qs.order_by("-created_at", "-id"), page, deal_out, request.auth)


@router.post(
    "/deals", response={201: DealOut, 422: Problem, 403: Problem, 409: Problem}, tags=["deals"]
)
def create_deal(request, payload: DealIn):
    forbid_clients(request)
    pipeline = lookup(Pipeline, payload.pipeline_id, "pipeline")
    stage = lookup(Stage, payload.stage_id, "stage")
    line_items = [
        {
            "product": lookup(Product, li.product_id, "product"),
            "quantity": li.quantity,
            "unit_price": li.unit_price,
        }
        for li in payload.line_items
    ]
    deal = services.deal_create(
        by=request.auth,
        name=payload.name,
        pipeline=pipeline,
        stage=stage,
        amount=payload.amount,
        currency=payload.currency,
        close_date=payload.close_date,
        owner=staff_user(payload.owner_id),
        company=lookup(Company, payload.company_id, "company"),
        contacts=_contacts(payload.contact_ids),
        line_items=line_items,
        properties=payload.properties,
        hubspot_record_id=payload.hubspot_record_id,
    )
    return Status(201, deal_out(_deals(request).get(pk=deal.pk), request.auth))


@router.get("/deals/{deal_id}", response={200: DealOut, 404: Problem}, tags=["deals"])
def get_deal(request, deal_id: int = Id):
    return deal_out(
        get_object_for_user_or_404(_deals(request), request.auth, pk=deal_id), request.auth
    )


@router.patch(
    "/deals/{deal_id}",
    response={200: DealOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["deals"],
)
def update_deal(request, payload: DealPatch, deal_id: int = Id):
    deal = get_object_for_user_or_404(_deals(request), request.auth, pk=deal_id)
    forbid_clients(request)
    fields = fields_from(payload, ("name", "amount", "currency", "close_date"), partial=True)
    if "owner_id" in payload.model_fields_set:
        fields["owner"] = staff_user(payload.owner_id)
    if "company_id" in payload.model_fields_set:
        fields["company"] = lookup(Company, payload.company_id, "company")
    contacts = _contacts(payload.contact_ids) if payload.contact_ids is not None else None
    services.deal_update(
        deal=deal, by=request.auth, properties=payload.properties, contacts=contacts, **fields
    )
    return deal_out(_deals(request).get(pk=deal.pk), request.auth)


@router.post(
    "/deals/{deal_id}/move",
    response={200: DealOut, 404: Problem, 403: Problem, 422: Problem},
    tags=["deals"],
    summary="Move a deal to another stage (required properties are checked)",
)
def move_deal(request, payload: DealMove, deal_id: int = Id):
    deal = get_object_for_user_or_404(_deals(request), request.auth, pk=deal_id)
    forbid_clients(request)
    stage = lookup(Stage, payload.stage_id, "stage")
    services.deal_move(deal=deal, stage=stage, by=request.auth)
    return deal_out(_deals(request).get(pk=deal.pk), request.auth)


@router.post(
    "/deals/{deal_id}/line-items",
    response={201: LineItemOut, 404: Problem, 403: Problem, 422: Problem},
    tags=["deals"],
)
def add_line_item(request, payload: LineItemIn, deal_id: int = Id):
    deal = get_object_for_user_or_404(Deal, request.auth, pk=deal_id)
    forbid_clients(request)
    item = services.line_item_add(
        deal=deal,
        by=request.auth,
        product=lookup(Product, payload.product_id, "product"),
        quantity=payload.quantity,
        unit_price=payload.unit_price,
    )
    return Status(201, item)


@router.delete(
    "/deals/{deal_id}/line-items/{item_id}",
    response={204: None, 404: Problem, 403: Problem},
    tags=["deals"],
)
def remove_line_item(request, deal_id: int = Id, item_id: int = Id):
    deal = get_object_for_user_or_404(Deal, request.auth, pk=deal_id)
    forbid_clients(request)
    item = get_object_or_404(LineItem.objects.select_related("product"), pk=item_id, deal=deal)
    services.line_item_remove(line_item=item, by=request.auth)
    return Status(204, None)


# ---------------------------------------------------------------- pipelines


class StageOut(Schema):
    id: int
    name: str
    kind: str
    order: int
    is_entry: bool
    request_name: str
    waiting_on_customer: bool
    required_properties: list[str]


class PipelineOut(Schema):
    id: int
    object_type: str
    name: str
    order: int
    archived: bool
    team_id: int | None
    stages: list[StageOut]


def stage_out(stage: Stage) -> dict:
    return {
        "id": stage.pk,
        "name": stage.name,
        "kind": stage.kind,
        "order": stage.order,
        "is_entry": stage.is_entry,
        "request_name": stage.request_name,
        "waiting_on_customer": stage.waiting_on_customer,
        "required_properties": [p.name for p in stage.required_properties.all()],
    }


def pipeline_out(pipeline: Pipeline, user=None) -> dict:
    return {
        "id": pipeline.pk,
        "object_type": pipeline.object_type,
        "name": pipeline.name,
        "order": pipeline.order,
        "archived": pipeline.archived,
        "team_id": pipeline.team_id,
        "stages": [stage_out(s) for s in pipeline.stages.all()],
    }


def _pipelines():
    from django.db.models import Prefetch

    return Pipeline.objects.prefetch_related(
        Prefetch(
            "stages",
            queryset=Stage.objects.order_by("order", "id").prefetch_related("required_properties"),
        )
    )


class PipelinePage(Page):
    items: list[PipelineOut]


class StageIn(Strict):
    name: str = Field(..., min_length=1, max_length=100)
    kind: Literal["open", "won", "lost", "closed"] = "open"
    is_entry: bool = False
    request_name: str = Field("", max_length=100)
    waiting_on_customer: bool = False


class PipelineIn(Strict):
    object_type: Literal["deal", "ticket"]
    name: str = Field(..., min_length=1, max_length=100)
    stages: list[StageIn] = Field(..., min_length=1, max_length=50)


class PipelinePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    archived: bool | None = None
    team_id: int | None = OptionalId


class StagePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Literal["open", "won", "lost", "closed"] | None = None
    required_properties: list[str] | None = Field(None, max_length=200)
    is_entry: bool | None = None
    request_name: str | None = Field(None, max_length=100)
    waiting_on_customer: bool | None = None


class PipelineFilters(Schema):
    object_type: Literal["deal", "ticket"] | None = None


@router.get("/pipelines", response=PipelinePage, tags=["pipelines"])
def list_pipelines(request, filters: Query[PipelineFilters], page: Query[PageParams]):
    require_staff(request)
    qs = _pipelines()
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    return paginate(qs, page, pipeline_out)


@router.post(
    "/pipelines",
    response={201: PipelineOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["pipelines"],
)
def create_pipeline(request, payload: PipelineIn):
    require_staff(request)
    pipeline = services.pipeline_create(
        by=request.auth,
        object_type=payload.object_type,
        name=payload.name,
        stages=[s.model_dump() for s in payload.stages],
    )
    return Status(201, pipeline_out(_pipelines().get(pk=pipeline.pk)))


@router.get(
    "/pipelines/{pipeline_id}", response={200: PipelineOut, 404: Problem}, tags=["pipelines"]
)
def get_pipeline(request, pipeline_id: int = Id):
    require_staff(request)
    return pipeline_out(get_object_or_404(_pipelines(), pk=pipeline_id))


@router.patch(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["pipelines"],
)
def update_pipeline(request, payload: PipelinePatch, pipeline_id: int = Id):
    require_staff(request)
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    extra = {}
    if "team_id" in payload.model_fields_set:
        from partnerdesk.accounts.models import Team

        extra["team"] = lookup(Team, payload.team_id, "team")
    services.pipeline_update(
        pipeline=pipeline, by=request.auth, name=payload.name, archived=payload.archived, **extra
    )
    return pipeline_out(_pipelines().get(pk=pipeline.pk))


@router.post(
    "/pipelines/{pipeline_id}/stages",
    response={201: StageOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["pipelines"],
)
def add_stage(request, payload: StageIn, pipeline_id: int = Id):
    require_staff(request)
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    stage = services.stage_add(
        pipeline=pipeline, by=request.auth, name=payload.name, kind=payload.kind
    )
    if pipeline.object_type == "ticket" and (
        payload.is_entry or payload.request_name or payload.waiting_on_customer
    ):
        services.stage_update(
            stage=stage,
            by=request.auth,
            is_entry=payload.is_entry,
            request_name=payload.request_name,
            waiting_on_customer=payload.waiting_on_customer,
        )
    return Status(201, stage_out(stage))


@router.patch(
    "/stages/{stage_id}",
    response={200: StageOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["pipelines"],
)
def update_stage(request, payload: StagePatch, stage_id: int = Id):
    require_staff(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)
    required = None
    if payload.required_properties is not None:
        wanted = list(dict.fromkeys(payload.required_properties))
        found = {
            d.name: d
            for d in PropertyDefinition.objects.filter(
                object_type=stage.pipeline.object_type, name__in=wanted
            )
        }
        unknown = [n for n in wanted if n not in found]
        if unknown:
            raise DomainError(
                code="unknown_property",
                message=f"No {stage.pipeline.object_type} property named “{unknown[0]}”.",
                field="required_properties",
            )
        required = [found[n] for n in wanted]
    with transaction.atomic():
        services.stage_update(
            stage=stage,
            by=request.auth,
            name=payload.name,
            kind=payload.kind,
            is_entry=payload.is_entry,
            request_name=payload.request_name,
            waiting_on_customer=payload.waiting_on_customer,
        )
        if required is not None:
            services.stage_set_required_properties(
                stage=stage, by=request.auth, properties=required
            )
    return stage_out(stage)


# ---------------------------------------------------------------- products


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    category: str
    unit_price: Decimal
    currency: str
    billing: str
    mailbox_gb: int | None
    active: bool


class ProductPage(Page):
    items: list[ProductOut]


class ProductIn(Strict):
    name: str = Field(..., min_length=1, max_length=150)
    sku: str = Field(..., min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    category: Literal["email", "storage", "domain", "website", "hubspot", "service"]
    unit_price: Decimal = Field(..., ge=0, lt=Decimal("1e10"), max_digits=12, decimal_places=2)
    currency: str = Field("USD", min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    billing: Literal["one_off", "monthly", "annual"]
    mailbox_gb: int | None = Field(None, ge=0, le=100_000)
    active: bool = True


class ProductPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=150)
    unit_price: Decimal | None = Field(
        None, ge=0, lt=Decimal("1e10"), max_digits=12, decimal_places=2
    )
    currency: str | None = Field(None, min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    billing: Literal["one_off", "monthly", "annual"] | None = None
    mailbox_gb: int | None = Field(None, ge=0, le=100_000)
    active: bool | None = None


class ProductFilters(Schema):
    q: str | None = Field(None, max_length=200)
    category: Literal["email", "storage", "domain", "website", "hubspot", "service"] | None = None
    active: bool | None = None


@router.get("/products", response=ProductPage, tags=["products"])
def list_products(request, filters: Query[ProductFilters], page: Query[PageParams]):
    require_staff(request)
    qs = search(Product.objects.all(), filters.q, ("name", "sku"))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    return paginate(qs, page, lambda p, _u: p)


@router.post(
    "/products",
    response={201: ProductOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["products"],
)
def create_product(request, payload: ProductIn):
    require_staff(request)
    return Status(201, services.product_save(by=request.auth, **payload.model_dump()))


@router.get("/products/{product_id}", response={200: ProductOut, 404: Problem}, tags=["products"])
def get_product(request, product_id: int = Id):
    require_staff(request)
    return get_object_or_404(Product, pk=product_id)


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["products"],
)
def update_product(request, payload: ProductPatch, product_id: int = Id):
    require_staff(request)
    product = get_object_or_404(Product, pk=product_id)
    return services.product_save(
        by=request.auth,
        product=product,
        **payload.model_dump(exclude_unset=True, exclude_none=True),
    )


# ---------------------------------------------------------------- properties


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
    object_type: Literal["company", "contact", "deal", "ticket"]
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
    object_type: Literal["company", "contact", "deal", "ticket"] | None = None
    include_archived: bool = False


@router.get("/properties", response=PropertyPage, tags=["properties"])
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
    response={201: PropertyOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["properties"],
)
def create_property(request, payload: PropertyIn):
    require_staff(request)
    data = payload.model_dump()
    return Status(201, services.property_create(by=request.auth, **data))


@router.get(
    "/properties/{property_id}", response={200: PropertyOut, 404: Problem}, tags=["properties"]
)
def get_property(request, property_id: int = Id):
    require_staff(request)
    return get_object_or_404(PropertyDefinition, pk=property_id)


@router.patch(
    "/properties/{property_id}",
    response={200: PropertyOut, 404: Problem, 403: Problem, 422: Problem},
    tags=["properties"],
)
def update_property(request, payload: PropertyPatch, property_id: int = Id):
    require_staff(request)
    definition = get_object_or_404(PropertyDefinition, pk=property_id)
    return services.property_update(
        definition=definition,
        by=request.auth,
        **payload.model_dump(exclude_unset=True, exclude_none=True),
    )
