"""Writes to the CRM. Every change goes through here and leaves an event on the timeline."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import require_admin, require_staff
from partnerdesk.core.records import check_owner, field_labels, full_clean, set_fields

from . import properties as props
from .models import (
    Company,
    Contact,
    Deal,
    Lifecycle,
    LineItem,
    ObjectType,
    Pipeline,
    Product,
    PropertyDefinition,
    PropertyType,
    Stage,
    StageKind,
)


def _check_timezone(name: str) -> None:
    if name:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise DomainError(
                code="invalid_timezone",
                message=_("“%(tz)s” is not a time zone name such as Europe/Rome.") % {"tz": name},
                field="timezone",
            ) from None


DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _normalize_domain(domain: str) -> str:
    """A bare host name: scheme, www. and path removed; each label letters, digits or hyphens."""
    domain = (domain or "").strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    domain = domain.split("/")[0].removeprefix("www.").rstrip(".")
    if not domain:
        return domain
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_domain = ""
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or len(ascii_domain) > 253
        or not all(DOMAIN_LABEL.match(label) for label in labels)
    ):
        raise DomainError(
            code="invalid_domain",
            message=_("“%(d)s” is not a domain name such as example.com.") % {"d": domain},
            field="domain",
        )
    return domain


def _save_with_event(record, *, kind, by, changes, created=False):
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        if "hubspot_record_id" in str(exc):
            raise conflict(
                "duplicate_record_id",
                _("Another record already has this HubSpot Record ID."),
                "hubspot_record_id",
            ) from None
        raise
    if created or changes:
        record_event(
            kind=kind,
            subject=record,
            actor=by,
            company_id=record.company_id,
            data={"changes": changes} if not created else {"name": str(record)},
        )
    return record


# ---------------------------------------------------------------- companies

COMPANY_FIELDS = (
    "name",
    "domain",
    "country",
    "timezone",
    "hub_id",
    "owner",
    "lifecycle",
    "hubspot_record_id",
)


def _clean_company_fields(fields: dict) -> dict:
    unknown = set(fields) - set(COMPANY_FIELDS)
    if unknown:
        raise DomainError(
            code="unknown_field",
            message=_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    fields = dict(fields)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(code="required", message=_("A company needs a name."), field="name")
    if "domain" in fields:
        fields["domain"] = _normalize_domain(fields["domain"])
    if "country" in fields:
        fields["country"] = (fields["country"] or "").strip().upper()
        if fields["country"] and (len(fields["country"]) != 2 or not fields["country"].isalpha()):
            raise DomainError(
                code="invalid_country",
                message=_("The country must be a two-letter code such as IT or EG."),
                field="country",
            )
    if "timezone" in fields:
        fields["timezone"] = (fields["timezone"] or "").strip()
        _check_timezone(fields["timezone"])
    if "lifecycle" in fields and fields["lifecycle"] not in Lifecycle.values:
        raise DomainError(
            code="invalid_choice",
            message=_("Lifecycle must be one of: %(v)s.") % {"v": ", ".join(Lifecycle.values)},
            field="lifecycle",
        )
    if "owner" in fields:
        check_owner(fields["owner"])
    return fields


@transaction.atomic
def company_create(*, by, properties: dict | None = None, **fields) -> Company:
    require_staff(by)
    fields = _clean_company_fields(fields)
    company = Company(**fields)
    full_clean(company)
    props.apply_properties(company, properties or {})
    return _save_with_event(company, kind="company.created", by=by, changes=[], created=True)


@transaction.atomic
def company_update(*, company: Company, by, properties: dict | None = None, **fields) -> Company:
    require_staff(by)
    company = Company.objects.select_for_update().get(pk=company.pk)
    fields = _clean_company_fields(fields)
    changes = set_fields(company, fields, field_labels(Company))
    full_clean(company)
    changes += props.apply_properties(company, properties or {})
    return _save_with_event(company, kind="company.updated", by=by, changes=changes)


# ---------------------------------------------------------------- contacts

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "company",
    "owner",
    "hubspot_record_id",
)


def _clean_contact_fields(fields: dict, *, creating: bool) -> dict:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise DomainError(
            code="unknown_field",
            message=_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if "email" in fields:
        fields["email"] = (fields["email"] or "").lower()
    if "owner" in fields:
        check_owner(fields["owner"])
    return fields


@transaction.atomic
def contact_create(*, by, properties: dict | None = None, **fields) -> Contact:
    require_staff(by)
    fields = _clean_contact_fields(fields, creating=True)
    contact = Contact(**fields)
    if not (contact.first_name or contact.last_name or contact.email):
        raise DomainError(
            code="required",
            message=_("A contact needs a name or an email address."),
            field="first_name",
        )
    full_clean(contact)
    props.apply_properties(contact, properties or {})
    return _save_with_event(contact, kind="contact.created", by=by, changes=[], created=True)


@transaction.atomic
def contact_update(*, contact: Contact, by, properties: dict | None = None, **fields) -> Contact:
    require_staff(by)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    fields = _clean_contact_fields(fields, creating=False)
    changes = set_fields(contact, fields, field_labels(Contact))
    if not (contact.first_name or contact.last_name or contact.email):
        raise DomainError(
            code="required",
            message=_("A contact needs a name or an email address."),
            field="first_name",
        )
    full_clean(contact)
    changes += props.apply_properties(contact, properties or {})
    return _save_with_event(contact, kind="contact.updated", by=by, changes=changes)


# ---------------------------------------------------------------- deals

DEAL_FIELDS = ("name", "amount", "currency", "close_date", "owner", "company", "hubspot_record_id")


def _clean_deal_fields(fields: dict) -> dict:
    unknown = set(fields) - set(DEAL_FIELDS)
    if unknown:
        raise DomainError(
            code="unknown_field",
            message=_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
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
    by,
    name: str,
    pipeline: Pipeline,
    stage: Stage | None = None,
    contacts=(),
    line_items: list[dict] = (),
    properties: dict | None = None,
    **fields,
) -> Deal:
    require_staff(by)
    fields = _clean_deal_fields({"name": name, **fields})
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
    if contacts:
        deal.contacts.set(contacts)
    for item in line_items:
        _add_line_item(deal, **item)
    props.ensure_can_enter(deal, stage)
    record_event(
        kind="deal.created",
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
def deal_update(*, deal: Deal, by, properties: dict | None = None, contacts=None, **fields) -> Deal:
    require_staff(by)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    fields = _clean_deal_fields(fields)
    changes = set_fields(deal, fields, field_labels(Deal))
    full_clean(deal, exclude=["pipeline", "stage"])
    changes += props.apply_properties(deal, properties or {})
    if contacts is not None:
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
    return _save_with_event(deal, kind="deal.updated", by=by, changes=changes)


@transaction.atomic
def deal_move(*, deal: Deal, stage: Stage, by, properties: dict | None = None) -> Deal:
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
        kind="deal.stage_changed",
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


def _add_line_item(deal: Deal, *, product: Product, quantity=1, unit_price=None) -> LineItem:
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
        unit_price = Decimal(str(unit_price))
    except InvalidOperation:
        raise DomainError(
            code="invalid_price", message=_("The unit price must be a number."), field="unit_price"
        ) from None
    if not unit_price.is_finite() or unit_price < 0 or unit_price >= Decimal("1e10"):
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
    return LineItem.objects.create(
        deal=deal, product=product, quantity=quantity, unit_price=unit_price
    )


@transaction.atomic
def line_item_add(*, deal: Deal, by, product: Product, quantity=1, unit_price=None) -> LineItem:
    require_staff(by)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    item = _add_line_item(deal, product=product, quantity=quantity, unit_price=unit_price)
    record_event(
        kind="deal.line_item_added",
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
def line_item_remove(*, line_item: LineItem, by) -> None:
    require_staff(by)
    deal = Deal.objects.select_for_update().get(pk=line_item.deal_id)
    record_event(
        kind="deal.line_item_removed",
        subject=deal,
        actor=by,
        company_id=deal.company_id,
        data={"product": line_item.product.name, "quantity": line_item.quantity},
    )
    line_item.delete()


# ---------------------------------------------------------------- configuration


def _clean_options(options, type_: str) -> list[dict]:
    if type_ not in (PropertyType.ENUM, PropertyType.MULTI_ENUM):
        return []
    cleaned, seen = [], set()
    for option in options or []:
        if isinstance(option, str):
            value, _sep, label = option.partition("|")
            option = {"value": value.strip(), "label": (label or value).strip()}
        value = str(option.get("value", "")).strip()
        label = str(option.get("label") or value).strip()
        if not value:
            continue
        if value in seen:
            raise DomainError(
                code="duplicate_option",
                message=_("The option “%(v)s” appears twice.") % {"v": value},
                field="options",
            )
        seen.add(value)
        cleaned.append({"value": value, "label": label})
    if not cleaned:
        raise DomainError(
            code="options_required",
            message=_("A dropdown or checkbox property needs at least one option."),
            field="options",
        )
    return cleaned


@transaction.atomic
def property_create(
    *,
    by,
    object_type: str,
    label: str,
    type: str,
    name: str = "",
    options=(),
    description: str = "",
    group: str = "",
) -> PropertyDefinition:
    require_admin(by)
    label = (label or "").strip()
    if not label:
        raise DomainError(code="required", message=_("A property needs a label."), field="label")
    if object_type not in ObjectType.values:
        raise DomainError(
            code="invalid_choice", message=_("Unknown record type."), field="object_type"
        )
    if type not in PropertyType.values or type == PropertyType.ASSOCIATION:
        raise DomainError(code="invalid_choice", message=_("Unknown property type."), field="type")
    name = slugify(name or label).replace("-", "_")[:64]
    if not name:
        raise DomainError(
            code="invalid_name",
            message=_("The internal name needs letters or digits."),
            field="name",
        )
    if PropertyDefinition.objects.filter(
        object_type=object_type, name=name
    ).exists() or name in props.BUILTIN_PROPERTIES.get(object_type, {}):
        raise conflict(
            "duplicate_property",
            _("A %(o)s property named “%(n)s” already exists.")
            % {"o": ObjectType(object_type).label, "n": name},
            "name",
        )
    last = PropertyDefinition.objects.filter(object_type=object_type).order_by("-order").first()
    defn = PropertyDefinition.objects.create(
        object_type=object_type,
        name=name,
        label=label,
        type=type,
        options=_clean_options(options, type),
        description=description.strip(),
        group=group.strip(),
        order=(last.order + 1) if last else 0,
    )
    record_event(
        kind="property.created", subject=defn, actor=by, data={"label": label, "type": type}
    )
    return defn


@transaction.atomic
def property_update(*, definition: PropertyDefinition, by, **fields) -> PropertyDefinition:
    require_admin(by)
    if definition.is_builtin:
        raise DomainError(
            code="builtin_property", message=_("Built-in properties cannot be changed.")
        )
    allowed = {"label", "options", "description", "group", "archived"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(
            code="unknown_field",
            message=_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    if "label" in fields:
        fields["label"] = (fields["label"] or "").strip()
        if not fields["label"]:
            raise DomainError(
                code="required", message=_("A property needs a label."), field="label"
            )
    if "options" in fields:
        fields["options"] = _clean_options(fields["options"], definition.type)
    changes = set_fields(definition, fields, field_labels(PropertyDefinition))
    if changes:
        definition.save()
        record_event(
            kind="property.updated", subject=definition, actor=by, data={"changes": changes}
        )
    return definition


@transaction.atomic
def stage_set_required_properties(*, stage: Stage, properties, by) -> Stage:
    require_admin(by)
    object_type = stage.pipeline.object_type
    properties = list(properties)
    wrong = [p for p in properties if p.object_type != object_type]
    if wrong:
        raise DomainError(
            code="invalid_property",
            message=_("“%(p)s” is not a property of this pipeline's records.") % {"p": wrong[0]},
            field="required_properties",
        )
    stage.required_properties.set(properties)
    record_event(
        kind="pipeline.updated",
        subject=stage.pipeline,
        actor=by,
        data={"stage": stage.name, "required": [p.label for p in properties]},
    )
    return stage


@transaction.atomic
def pipeline_create(*, by, object_type: str, name: str, stages: list[dict]) -> Pipeline:
    require_admin(by)
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A pipeline needs a name."), field="name")
    if Pipeline.objects.filter(object_type=object_type, name__iexact=name).exists():
        raise conflict(
            "duplicate_pipeline",
            _("A pipeline named “%(n)s” already exists.") % {"n": name},
            "name",
        )
    if not stages:
        raise DomainError(
            code="stages_required",
            message=_("A pipeline needs at least one stage."),
            field="stages",
        )
    last = Pipeline.objects.filter(object_type=object_type).order_by("-order").first()
    pipeline = Pipeline.objects.create(
        object_type=object_type, name=name, order=(last.order + 1) if last else 0
    )
    ticket_fields = ("is_entry", "request_name", "waiting_on_customer")
    created = []
    for index, stage in enumerate(stages):
        extra = {k: stage.pop(k) for k in ticket_fields if k in stage}
        created.append(stage_add(pipeline=pipeline, by=by, order=index, **stage))
        if object_type == ObjectType.TICKET and any(extra.values()):
            stage_update(stage=created[-1], by=by, **extra)
    if object_type == ObjectType.TICKET and not any(s.is_entry for s in created):
        Stage.objects.filter(pk=created[0].pk).update(
            is_entry=True
        )  # tickets need somewhere to start
    record_event(kind="pipeline.created", subject=pipeline, actor=by, data={"name": name})
    return pipeline


UNSET = object()


def pipeline_update(
    *, pipeline: Pipeline, by, name: str | None = None, archived: bool | None = None, team=UNSET
) -> Pipeline:
    """Rename, archive or change the team of a pipeline (``team=None`` clears it)."""
    return _pipeline_update(pipeline=pipeline, by=by, name=name, archived=archived, team=team)


@transaction.atomic
def _pipeline_update(*, pipeline, by, name, archived, team) -> Pipeline:
    require_admin(by)
    fields = {}
    if team is not UNSET:
        fields["team"] = team
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError(code="required", message=_("A pipeline needs a name."), field="name")
        if (
            Pipeline.objects.filter(object_type=pipeline.object_type, name__iexact=name)
            .exclude(pk=pipeline.pk)
            .exists()
        ):
            raise conflict(
                "duplicate_pipeline",
                _("A pipeline named “%(n)s” already exists.") % {"n": name},
                "name",
            )
        fields["name"] = name
    if archived is not None:
        fields["archived"] = archived
    changes = set_fields(pipeline, fields, field_labels(Pipeline))
    if changes:
        pipeline.save()
        record_event(kind="pipeline.updated", subject=pipeline, actor=by, data={"changes": changes})
    return pipeline


def _check_stage_kind(pipeline: Pipeline, kind: str) -> None:
    allowed = (
        {StageKind.OPEN, StageKind.WON, StageKind.LOST}
        if pipeline.object_type == ObjectType.DEAL
        else {StageKind.OPEN, StageKind.CLOSED}
    )
    if kind not in allowed:
        raise DomainError(
            code="invalid_stage_kind",
            message=_("A stage of this pipeline must be one of: %(k)s.")
            % {"k": ", ".join(sorted(allowed))},
            field="kind",
        )


@transaction.atomic
def stage_add(
    *,
    pipeline: Pipeline,
    by,
    name: str,
    kind: str = StageKind.OPEN,
    order: int | None = None,
    required_properties=(),
) -> Stage:
    require_admin(by)
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A stage needs a name."), field="name")
    _check_stage_kind(pipeline, kind)
    if pipeline.stages.filter(name__iexact=name).exists():
        raise conflict(
            "duplicate_stage",
            _("This pipeline already has a stage named “%(n)s”.") % {"n": name},
            "name",
        )
    if order is None:
        last = pipeline.stages.order_by("-order").first()
        order = (last.order + 1) if last else 0
    stage = Stage.objects.create(pipeline=pipeline, name=name, kind=kind, order=order)
    if required_properties:
        stage.required_properties.set(required_properties)
    return stage


@transaction.atomic
def stage_update(
    *,
    stage: Stage,
    by,
    name: str | None = None,
    kind: str | None = None,
    is_entry: bool | None = None,
    request_name: str | None = None,
    waiting_on_customer: bool | None = None,
) -> Stage:
    require_admin(by)
    fields = {}
    ticket_only = {
        "is_entry": is_entry,
        "request_name": request_name,
        "waiting_on_customer": waiting_on_customer,
    }
    for key, value in ticket_only.items():
        if value is None:
            continue
        if stage.pipeline.object_type != ObjectType.TICKET:
            raise DomainError(
                code="ticket_stages_only",
                message=_("Only ticket stages have this setting."),
                field=key,
            )
        fields[key] = value.strip()[:100] if isinstance(value, str) else value
    if fields.get("waiting_on_customer") and (kind or stage.kind) != StageKind.OPEN:
        raise DomainError(
            code="invalid_stage_kind",
            message=_("A closed stage cannot be waiting on the customer."),
            field="waiting_on_customer",
        )
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError(code="required", message=_("A stage needs a name."), field="name")
        if stage.pipeline.stages.filter(name__iexact=name).exclude(pk=stage.pk).exists():
            raise conflict(
                "duplicate_stage",
                _("This pipeline already has a stage named “%(n)s”.") % {"n": name},
                "name",
            )
        fields["name"] = name
    if kind is not None:
        _check_stage_kind(stage.pipeline, kind)
        fields["kind"] = kind
    changes = set_fields(stage, fields, field_labels(Stage))
    if changes:
        stage.save()
        record_event(
            kind="pipeline.updated",
            subject=stage.pipeline,
            actor=by,
            data={"stage": stage.name, "changes": changes},
        )
    return stage


@transaction.atomic
def stage_reorder(*, pipeline: Pipeline, by, stage_ids: list[int]) -> None:
    require_admin(by)
    stages = {s.pk: s for s in pipeline.stages.select_for_update()}
    if sorted(stage_ids) != sorted(stages):
        raise DomainError(
            code="invalid_order",
            message=_("Give every stage of the pipeline exactly once."),
            field="stage_ids",
        )
    for index, pk in enumerate(stage_ids):
        stages[pk].order = index
    Stage.objects.bulk_update(stages.values(), ["order"])


@transaction.atomic
def stage_delete(*, stage: Stage, by) -> None:
    require_admin(by)
    if stage.deals.exists() or (hasattr(stage, "tickets") and stage.tickets.exists()):
        raise conflict(
            "stage_in_use", _("Move the records out of “%(s)s” before deleting it.") % {"s": stage}
        )
    if stage.pipeline.stages.count() == 1:
        raise conflict("last_stage", _("A pipeline needs at least one stage."))
    record_event(
        kind="pipeline.updated",
        subject=stage.pipeline,
        actor=by,
        data={"deleted_stage": stage.name},
    )
    stage.delete()


PRODUCT_FIELDS = (
    "name",
    "sku",
    "category",
    "unit_price",
    "currency",
    "billing",
    "mailbox_gb",
    "active",
)


@transaction.atomic
def product_save(*, by, product: Product | None = None, **fields) -> Product:
    require_admin(by)
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise DomainError(
            code="unknown_field",
            message=_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    creating = product is None
    product = product or Product()
    if "sku" in fields:
        fields["sku"] = slugify(fields["sku"] or "")
    if "currency" in fields:
        fields["currency"] = (fields["currency"] or "").upper()
    changes = set_fields(product, fields, field_labels(Product))
    full_clean(product)
    if Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
        raise conflict(
            "duplicate_sku", _("Another product has the SKU “%(s)s”.") % {"s": product.sku}, "sku"
        )
    product.save()
    if creating or changes:
        record_event(
            kind="product.created" if creating else "product.updated",
            subject=product,
            actor=by,
            data={"name": product.name} if creating else {"changes": changes},
        )
    return product
