"""API: the product catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

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
    search,
)

from .. import services
from ..models import Billing, Product, ProductCategory
from ..schemas import BASE_NAME, BaseNameOut, NameTranslations, NameTranslations150In

router = Router()


class ProductOut(BaseNameOut):
    id: int
    name: str = Field(description=BASE_NAME)
    name_translations: NameTranslations
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
    name_translations: NameTranslations150In = {}
    sku: str = Field(..., min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    category: Annotated[str, OneOf(ProductCategory)]
    unit_price: Decimal = Field(..., ge=0, lt=Decimal("1e10"), max_digits=12, decimal_places=2)
    currency: str = Field("USD", min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    billing: Annotated[str, OneOf(Billing)]
    mailbox_gb: int | None = Field(None, ge=0, le=100_000)
    active: bool = True


class ProductPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=150)
    name_translations: NameTranslations150In | None = None
    unit_price: Decimal | None = Field(
        None, ge=0, lt=Decimal("1e10"), max_digits=12, decimal_places=2
    )
    currency: str | None = Field(None, min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    billing: Annotated[str, OneOf(Billing)] | None = None
    mailbox_gb: int | None = Field(None, ge=0, le=100_000)
    active: bool | None = None


class ProductFilters(Schema):
    q: str | None = Field(None, max_length=200)
    category: Annotated[str, OneOf(ProductCategory)] | None = None
    active: bool | None = None


@router.get(
    "/products",
    auth=STAFF,
    response=ProductPage,
    tags=["products"],
    operation_id="partnerdesk_crm_api_list_products",
)
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
    auth=ADMIN,
    response={201: ProductOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["products"],
    operation_id="partnerdesk_crm_api_create_product",
)
def create_product(request, payload: ProductIn):
    require_staff(request)
    product = services.product_save(
        by=request.auth,
        name=payload.name,
        sku=payload.sku,
        category=payload.category,
        unit_price=payload.unit_price,
        currency=payload.currency,
        billing=payload.billing,
        mailbox_gb=payload.mailbox_gb,
        active=payload.active,
        translations=payload.name_translations,
    )
    return Status(201, product)


@router.get(
    "/products/{product_id}",
    auth=STAFF,
    response={200: ProductOut, 404: Problem},
    tags=["products"],
    operation_id="partnerdesk_crm_api_get_product",
)
def get_product(request, product_id: int = Id):
    require_staff(request)
    return get_object_or_404(Product, pk=product_id)


@router.patch(
    "/products/{product_id}",
    auth=ADMIN,
    response={200: ProductOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["products"],
    operation_id="partnerdesk_crm_api_update_product",
)
def update_product(request, payload: ProductPatch, product_id: int = Id):
    require_staff(request)
    product = get_object_or_404(Product, pk=product_id)
    fields = payload.model_dump(exclude_unset=True, exclude_none=True)
    if "name_translations" in fields:
        fields["translations"] = fields.pop("name_translations")
    return services.product_save(by=request.auth, product=product, **fields)
