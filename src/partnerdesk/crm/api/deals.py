"""API: deals, their stage moves and line items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import STAFF_WRITE
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
    staff_user,
)
from partnerdesk.core.errors import DomainError
from partnerdesk.core.tenancy import get_object_for_user_or_404

from .. import selectors, services
from ..models import Company, Contact, Deal, LineItem, Pipeline, Product, Stage
from ..schemas import CompanyRef, PipelineRef, ProductRef, StageRef, property_payload

router = Router()


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


def _deals(request) -> QuerySet[Deal]:
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


@router.get(
    "/deals",
    response=DealPage,
    tags=["deals"],
    summary="List deals",
    operation_id="partnerdesk_crm_api_list_deals",
)
def list_deals(request, filters: Query[DealFilters], page: Query[PageParams]):
    qs, _active = selectors.filter_deals(
        _deals(request),
        {
            "q": filters.q,
            "pipeline": filters.pipeline_id,
            "stage": filters.stage_id,
            "owner": filters.owner_id,
            "company": filters.company_id,
            "kind": filters.kind,
        },
    )
    return paginate(qs.order_by("-created_at", "-id"), page, deal_out, request.auth)


@router.post(
    "/deals",
    auth=STAFF_WRITE,
    response={201: DealOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["deals"],
    operation_id="partnerdesk_crm_api_create_deal",
)
def create_deal(request, payload: DealIn):
    forbid_clients(request)
    pipeline = lookup(Pipeline, payload.pipeline_id, "pipeline")
    stage = lookup(Stage, payload.stage_id, "stage")
    line_items: list[services.LineItemSpec] = [
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


@router.get(
    "/deals/{deal_id}",
    response={200: DealOut, 404: Problem},
    tags=["deals"],
    operation_id="partnerdesk_crm_api_get_deal",
)
def get_deal(request, deal_id: int = Id):
    return deal_out(
        get_object_for_user_or_404(_deals(request), request.auth, pk=deal_id), request.auth
    )


@router.patch(
    "/deals/{deal_id}",
    auth=STAFF_WRITE,
    response={200: DealOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["deals"],
    operation_id="partnerdesk_crm_api_update_deal",
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
    auth=STAFF_WRITE,
    response={200: DealOut, 404: Problem, 403: Problem, 422: Problem},
    tags=["deals"],
    summary="Move a deal to another stage (required properties are checked)",
    operation_id="partnerdesk_crm_api_move_deal",
)
def move_deal(request, payload: DealMove, deal_id: int = Id):
    deal = get_object_for_user_or_404(_deals(request), request.auth, pk=deal_id)
    forbid_clients(request)
    stage = lookup(Stage, payload.stage_id, "stage")
    services.deal_move(deal=deal, stage=stage, by=request.auth)
    return deal_out(_deals(request).get(pk=deal.pk), request.auth)


@router.post(
    "/deals/{deal_id}/line-items",
    auth=STAFF_WRITE,
    response={201: LineItemOut, 404: Problem, 403: Problem, 422: Problem},
    tags=["deals"],
    operation_id="partnerdesk_crm_api_add_line_item",
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
    auth=STAFF_WRITE,
    response={204: None, 404: Problem, 403: Problem},
    tags=["deals"],
    operation_id="partnerdesk_crm_api_remove_line_item",
)
def remove_line_item(request, deal_id: int = Id, item_id: int = Id):
    deal = get_object_for_user_or_404(Deal, request.auth, pk=deal_id)
    forbid_clients(request)
    item = get_object_or_404(LineItem.objects.select_related("product"), pk=item_id, deal=deal)
    services.line_item_remove(line_item=item, by=request.auth)
    return Status(204, None)
