"""Deals and their line items: create, update, move between stages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NotRequired, TypedDict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, require_staff
from partnerdesk.core.records import check_owner, field_labels, full_clean, set_fields

from .. import properties as props
from ..events import CrmEvent
from ..models import Company, Contact, Deal, LineItem, ObjectType, Pipeline, Product, Stage
from .shared import UNSET, Unset, given, save_with_event

Number = Decimal | int | float | str


class LineItemSpec(TypedDict):
    """A line item to add with a new deal (see :func:`line_item_add`)."""

    product: Product
    quantity: NotRequired[int]
    unit_price: NotRequired[Number | None]


def clean_deal_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The given deal fields, normalised; a DomainError on the first one that breaks a rule.
    (The CSV import checks its cells with this too, one field at a time.)"""
    fields = dict(fields)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(code="required", message=_("A deal needs a name."), field="name")
    if fields.get("amount") is not None:
        try:
            fields["amount"] = Decimal(str(fields["amount"]))
        except InvalidOperation:
            raise DomainError(
                code="invalid_amount", message=_("The amount must be a number."), field="amount"
            ) from None
        if (
            not fields["amount"].is_finite()
            or fields["amount"] < 0
            or fields["amount"] >= Decimal("1e12")
        ):
            raise DomainError(
                code="invalid_amount",
                message=_("The amount must be zero or more, below 10^12."),
                field="amount",
            )
    if "currency" in fields:
        fields["currency"] = (fields["currency"] or "").strip().upper()
        if len(fields["currency"]) != 3 or not fields["currency"].isalpha():
            raise DomainError(
                code="invalid_currency",
                message=_("The currency must be a three-letter code such as USD."),
                field="currency",
            )
    if "owner" in fields:
        check_owner(fields["owner"])
    return fields


def _check_stage(pipeline: Pipeline, stage: Stage) -> None:
    if pipeline.object_type != ObjectType.DEAL:
        raise DomainError(
            code="invalid_pipeline",
            message=_("“%(p)s” is not a deal pipeline.") % {"p": pipeline},
            field="pipeline",
        )
    if stage.pipeline_id != pipeline.pk:
        raise DomainError(
            code="invalid_stage",
            message=_("Stage “%(s)s” is not in pipeline “%(p)s”.") % {"s": stage, "p": pipeline},
            field="stage",
        )


def _enter_stage(deal: Deal, stage: Stage) -> None:
    now = timezone.now()
    deal.stage = stage
    deal.pipeline_id = stage.pipeline_id
    deal.stage_entered_at = now
    deal.closed_at = now if stage.is_closed else None


@transaction.atomic
def deal_create(
    *,
    by: Actor,
    name: str,
    pipeline: Pipeline,
    stage: Stage | None = None,
    amount: Number | None = None,
    currency: str = "USD",
    close_date: dt.date | None = None,
    owner: User | None = None,
    company: Company | None = None,
    contacts: Iterable[Contact] = (),
    line_items: Iterable[LineItemSpec] = (),
    hubspot_record_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Deal:
    """A deal in ``stage`` (by default the pipeline's first), which must let it in."""
    require_staff(by)
    fields = clean_deal_fields(
        {
            "name": name,
            "amount": amount,
            "currency": currency,
            "close_date": close_date,
            "owner": owner,
            "company": company,
            "hubspot_record_id": hubspot_record_id,
        }
    )
    if stage is None:
        stage = pipeline.stages.order_by("order", "id").first()
        if stage is None:
            raise DomainError(
                code="invalid_pipeline", message=_("The pipeline has no stages."), field="pipeline"
            )
    _check_stage(pipeline, stage)
    deal = Deal(pipeline=pipeline, **fields)
    _enter_stage(deal, stage)
    full_clean(deal, exclude=["pipeline", "stage"])
    props.apply_properties(deal, properties or {})
    deal.save()
    contacts = list(contacts)
    if contacts:
        deal.contacts.set(contacts)
    for item in line_items:
        _add_line_item(deal, **item)
    props.ensure_can_enter(deal, stage)
    record_event(
        kind=CrmEvent.DEAL_CREATED,
        subject=deal,
        actor=by,
        company_id=deal.company_id,
        data={
            "name": deal.name,
            "pipeline": pipeline.name,
            "stage": stage.name,
            "stage_id": stage.pk,
        },
    )
    return deal


@transaction.atomic
def deal_update(
    *,
    deal: Deal,
    by: Actor,
    name: str | Unset = UNSET,
    amount: Number | Unset | None = UNSET,
    currency: str | Unset = UNSET,
    close_date: dt.date | Unset | None = UNSET,
    owner: User | Unset | None = UNSET,
    company: Company | Unset | None = UNSET,
    hubspot_record_id: str | Unset | None = UNSET,
    contacts: Iterable[Contact] | None = None,
    properties: dict[str, Any] | None = None,
) -> Deal:
    """Change the given fields, contacts and ``properties``. The stage changes only through
    :func:`deal_move`, which checks what the stage requires."""
    require_staff(by)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    fields = clean_deal_fields(
        given(
            name=name,
            amount=amount,
            currency=currency,
            close_date=close_date,
            owner=owner,
            company=company,
            hubspot_record_id=hubspot_record_id,
        )
    )
    changes = set_fields(deal, fields, field_labels(Deal))
    full_clean(deal, exclude=["pipeline", "stage"])
    changes += props.apply_properties(deal, properties or {})
    if contacts is not None:
        contacts = list(contacts)
        before = set(deal.contacts.values_list("pk", flat=True))
        after = {c.pk for c in contacts}
        if before != after:
            deal.contacts.set(contacts)
            changes.append(
                {
                    "field": "contacts",
                    "label": str(_("Contacts")),
                    "old": len(before),
                    "new": len(after),
                }
            )
    return save_with_event(deal, kind=CrmEvent.DEAL_UPDATED, by=by, changes=changes)


@transaction.atomic
def deal_move(
    *, deal: Deal, stage: Stage, by: Actor, properties: dict[str, Any] | None = None
) -> Deal:
    """Move a deal to ``stage`` (possibly in another deal pipeline), enforcing its requirements.

    ``properties`` are set first, in the same transaction: the values the stage asks for.
    """
    require_staff(by)
    if properties:
        deal_update(deal=deal, by=by, properties=properties)
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("stage", "pipeline")
        .get(pk=deal.pk)
    )
    if stage.pipeline.object_type != ObjectType.DEAL:
        raise DomainError(
            code="invalid_stage",
            message=_("“%(s)s” is not a deal stage.") % {"s": stage},
            field="stage",
        )
    if deal.stage_id == stage.pk:
        return deal
    props.ensure_can_enter(deal, stage)
    previous = deal.stage
    _enter_stage(deal, stage)
    deal.save(update_fields=["stage", "pipeline", "stage_entered_at", "closed_at", "updated_at"])
    record_event(
        kind=CrmEvent.DEAL_STAGE_CHANGED,
        subject=deal,
        actor=by,
        company_id=deal.company_id,
        data={
            "from_stage_id": previous.pk,
            "from_stage": previous.name,
            "to_stage_id": stage.pk,
            "to_stage": stage.name,
            "pipeline_id": stage.pipeline_id,
            "pipeline": stage.pipeline.name,
            "kind": stage.kind,
        },
    )
    return deal


# ---------------------------------------------------------------- line items


def _add_line_item(
    deal: Deal, *, product: Product, quantity: Any = 1, unit_price: Number | None = None
) -> LineItem:
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = 0
    if quantity < 1 or quantity > 1_000_000:
        raise DomainError(
            code="invalid_quantity",
            message=_("The quantity must be a whole number from 1 to 1,000,000."),
            field="quantity",
        )
    if unit_price is None:
        unit_price = product.unit_price
    try:
        price = Decimal(str(unit_price))
    except InvalidOperation:
        raise DomainError(
            code="invalid_price", message=_("The unit price must be a number."), field="unit_price"
        ) from None
    if not price.is_finite() or price < 0 or price >= Decimal("1e10"):
        raise DomainError(
            code="invalid_price",
            message=_("The unit price must be zero or more, below 10^10."),
            field="unit_price",
        )
    if not product.active:
        raise DomainError(
            code="inactive_product",
            message=_("“%(p)s” is no longer sold.") % {"p": product},
            field="product",
        )
    return LineItem.objects.create(deal=deal, product=product, quantity=quantity, unit_price=price)


@transaction.atomic
def line_item_add(
    *,
    deal: Deal,
    by: Actor,
    product: Product,
    quantity: int = 1,
    unit_price: Number | None = None,
) -> LineItem:
    """Add ``quantity`` of ``product`` to the deal, at ``unit_price`` (default: the catalogue's)."""
    require_staff(by)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    item = _add_line_item(deal, product=product, quantity=quantity, unit_price=unit_price)
    record_event(
        kind=CrmEvent.DEAL_LINE_ITEM_ADDED,
        subject=deal,
        actor=by,
        company_id=deal.company_id,
        data={
            "product": product.name,
            "product_id": product.pk,
            "quantity": item.quantity,
            "unit_price": str(item.unit_price),
        },
    )
    return item


@transaction.atomic
def line_item_remove(*, line_item: LineItem, by: Actor) -> None:
    require_staff(by)
    deal = Deal.objects.select_for_update().get(pk=line_item.deal_id)
    record_event(
        kind=CrmEvent.DEAL_LINE_ITEM_REMOVED,
        subject=deal,
        actor=by,
        company_id=deal.company_id,
        data={"product": line_item.product.name, "quantity": line_item.quantity},
    )
    line_item.delete()
