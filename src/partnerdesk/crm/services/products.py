"""The product catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partnerdesk.core.errors import conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, require_admin
from partnerdesk.core.records import full_clean
from partnerdesk.core.translated import base_name, set_named_fields

from ..events import CrmEvent
from ..models import Product
from .shared import UNSET, Unset, given


@transaction.atomic
def product_save(
    *,
    by: Actor,
    product: Product | None = None,
    name: str | Unset = UNSET,
    sku: str | Unset = UNSET,
    category: str | Unset = UNSET,
    unit_price: Decimal | int | str | Unset = UNSET,
    currency: str | Unset = UNSET,
    billing: str | Unset = UNSET,
    mailbox_gb: int | Unset | None = UNSET,
    active: bool | Unset = UNSET,
    translations: Mapping[str, str] | Unset = UNSET,
) -> Product:
    """Create a product (``product`` None) or change the given fields of ``product``.
    ``translations``: the name in other languages (``{"it": …}``), replacing the ones set."""
    require_admin(by)
    fields = given(
        name=name,
        sku=sku,
        category=category,
        unit_price=unit_price,
        currency=currency,
        billing=billing,
        mailbox_gb=mailbox_gb,
        active=active,
    )
    creating = product is None
    product = product or Product()
    if "sku" in fields:
        fields["sku"] = slugify(fields["sku"] or "")
    if "currency" in fields:
        fields["currency"] = (fields["currency"] or "").upper()
    changes = set_named_fields(product, fields, None if translations is UNSET else translations)
    full_clean(product)
    if Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
        raise conflict(
            "duplicate_sku", _("Another product has the SKU “%(s)s”.") % {"s": product.sku}, "sku"
        )
    product.save()
    if creating or changes:
        record_event(
            kind=CrmEvent.PRODUCT_CREATED if creating else CrmEvent.PRODUCT_UPDATED,
            subject=product,
            actor=by,
            data={"name": base_name(product)} if creating else {"changes": changes},
        )
    return product
