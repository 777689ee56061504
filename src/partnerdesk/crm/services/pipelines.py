"""Pipelines and their stages (deal and ticket pipelines alike)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Team
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, require_admin
from partnerdesk.core.translated import base_name, clean_translations, set_named_fields

from ..events import CrmEvent
from ..models import ObjectType, Pipeline, PropertyDefinition, Stage, StageKind
from .shared import UNSET, Unset


class StageSpec(TypedDict):
    """A stage of a new pipeline: the arguments of :func:`stage_add` but its pipeline."""

    name: str
    kind: NotRequired[str]
    is_entry: NotRequired[bool]
    request_name: NotRequired[str]
    waiting_on_customer: NotRequired[bool]
    translations: NotRequired[Mapping[str, str]]


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


def _clean_stage_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A stage needs a name."), field="name")
    return name


def _check_unique_stage_name(pipeline: Pipeline, name: str, *, stage: Stage | None = None) -> None:
    others = pipeline.stages.filter(name__iexact=name)
    if stage is not None:
        others = others.exclude(pk=stage.pk)
    if others.exists():
        raise conflict(
            "duplicate_stage",
            _("This pipeline already has a stage named “%(n)s”.") % {"n": name},
            "name",
        )


def _ticket_settings(
    pipeline: Pipeline,
    kind: str,
    *,
    is_entry: bool | None,
    request_name: str | None,
    waiting_on_customer: bool | None,
    customer_label: str | None = None,
) -> dict[str, Any]:
    """The ticket-only settings that were given (None: not given), checked against the
    pipeline and the stage's ``kind``."""
    fields: dict[str, Any] = {}
    for key, value in (
        ("is_entry", is_entry),
        ("request_name", request_name),
        ("waiting_on_customer", waiting_on_customer),
        ("customer_label", customer_label),
    ):
        if value is None:
            continue
        if pipeline.object_type != ObjectType.TICKET:
            raise DomainError(
                code="ticket_stages_only",
                message=_("Only ticket stages have this setting."),
                field=key,
            )
        fields[key] = value.strip()[:100] if isinstance(value, str) else value
    if fields.get("waiting_on_customer") and kind != StageKind.OPEN:
        raise DomainError(
            code="invalid_stage_kind",
            message=_("A closed stage cannot be waiting on the customer."),
            field="waiting_on_customer",
        )
    return fields


# ---------------------------------------------------------------- pipelines


@transaction.atomic
def pipeline_create(
    *,
    by: Actor,
    object_type: str,
    name: str,
    stages: Sequence[StageSpec],
    translations: Mapping[str, str] | None = None,
) -> Pipeline:
    """A pipeline with its stages, in order. A ticket pipeline without an entry stage gets its
    first stage as one (tickets need somewhere to start). ``translations``: the name in other
    languages (``{"it": …}``)."""
    require_admin(by)
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A pipeline needs a name."), field="name")
    name_translations = clean_translations(translations or {}, Pipeline)
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
        object_type=object_type,
        name=name,
        name_translations=name_translations,
        order=(last.order + 1) if last else 0,
    )
    created = [
        stage_add(pipeline=pipeline, by=by, order=index, **spec)
        for index, spec in enumerate(stages)
    ]
    if object_type == ObjectType.TICKET and not any(s.is_entry for s in created):
        Stage.objects.filter(pk=created[0].pk).update(is_entry=True)
    record_event(kind=CrmEvent.PIPELINE_CREATED, subject=pipeline, actor=by, data={"name": name})
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    pipeline: Pipeline,
    by: Actor,
    name: str | None = None,
    archived: bool | None = None,
    team: Team | Unset | None = UNSET,
    translations: Mapping[str, str] | None = None,
) -> Pipeline:
    """Rename, archive or change the team of a pipeline (``team=None`` clears it).
    ``translations`` replaces the name's translations (None: leave them)."""
    require_admin(by)
    fields: dict[str, Any] = {}
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
    changes = set_named_fields(pipeline, fields, translations)
    if changes:
        pipeline.save()
        record_event(
            kind=CrmEvent.PIPELINE_UPDATED, subject=pipeline, actor=by, data={"changes": changes}
        )
    return pipeline


# ---------------------------------------------------------------- stages


@transaction.atomic
def stage_add(
    *,
    pipeline: Pipeline,
    by: Actor,
    name: str,
    kind: str = StageKind.OPEN,
    order: int | None = None,
    required_properties: Iterable[PropertyDefinition] = (),
    is_entry: bool = False,
    request_name: str = "",
    waiting_on_customer: bool = False,
    translations: Mapping[str, str] | None = None,
) -> Stage:
    """A new stage at the end of the pipeline (or at ``order``), with its settings in one step.

    ``is_entry``, ``request_name`` and ``waiting_on_customer`` are ticket stages' settings: a
    deal stage refuses them. ``translations``: the name in other languages.
    """
    require_admin(by)
    name = _clean_stage_name(name)
    name_translations = clean_translations(translations or {}, Stage)
    _check_stage_kind(pipeline, kind)
    _check_unique_stage_name(pipeline, name)
    ticket_settings = _ticket_settings(
        pipeline,
        kind,
        is_entry=is_entry or None,
        request_name=request_name or None,
        waiting_on_customer=waiting_on_customer or None,
    )
    if order is None:
        last = pipeline.stages.order_by("-order").first()
        order = (last.order + 1) if last else 0
    stage = Stage.objects.create(
        pipeline=pipeline,
        name=name,
        name_translations=name_translations,
        kind=kind,
        order=order,
        **ticket_settings,
    )
    required_properties = list(required_properties)
    if required_properties:
        stage.required_properties.set(required_properties)
    return stage


@transaction.atomic
def stage_update(
    *,
    stage: Stage,
    by: Actor,
    name: str | None = None,
    kind: str | None = None,
    is_entry: bool | None = None,
    request_name: str | None = None,
    waiting_on_customer: bool | None = None,
    customer_label: str | None = None,
    translations: Mapping[str, str] | None = None,
) -> Stage:
    """Change the given settings of a stage (None: leave as it is). ``translations`` replaces
    the name's translations."""
    require_admin(by)
    fields = _ticket_settings(
        stage.pipeline,
        kind or stage.kind,
        is_entry=is_entry,
        request_name=request_name,
        waiting_on_customer=waiting_on_customer,
        customer_label=customer_label,
    )
    if name is not None:
        name = _clean_stage_name(name)
        _check_unique_stage_name(stage.pipeline, name, stage=stage)
        fields["name"] = name
    if kind is not None:
        _check_stage_kind(stage.pipeline, kind)
        fields["kind"] = kind
    changes = set_named_fields(stage, fields, translations)
    if changes:
        stage.save()
        record_event(
            kind=CrmEvent.PIPELINE_UPDATED,
            subject=stage.pipeline,
            actor=by,
            data={"stage": base_name(stage), "changes": changes},
        )
    return stage


@transaction.atomic
def stage_set_required_properties(
    *, stage: Stage, properties: Iterable[PropertyDefinition], by: Actor
) -> Stage:
    """What a record must have to enter ``stage`` (properties of the pipeline's record type)."""
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
        kind=CrmEvent.PIPELINE_UPDATED,
        subject=stage.pipeline,
        actor=by,
        data={"stage": base_name(stage), "required": [p.label for p in properties]},
    )
    return stage


@transaction.atomic
def stage_save(
    *,
    stage: Stage,
    by: Actor,
    name: str | None = None,
    kind: str | None = None,
    is_entry: bool | None = None,
    request_name: str | None = None,
    waiting_on_customer: bool | None = None,
    required_properties: Iterable[PropertyDefinition] | None = None,
    customer_label: str | None = None,
    translations: Mapping[str, str] | None = None,
) -> Stage:
    """Save a stage's settings and (when given) the properties it requires: all or nothing.

    The stage edit page and ``PATCH /stages/{id}`` both save through here. Returns the stage
    as saved; the ``stage`` passed in is left untouched.
    """
    stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    stage_update(
        stage=stage,
        by=by,
        name=name,
        kind=kind,
        is_entry=is_entry,
        request_name=request_name,
        waiting_on_customer=waiting_on_customer,
        customer_label=customer_label,
        translations=translations,
    )
    if required_properties is not None:
        stage_set_required_properties(stage=stage, properties=required_properties, by=by)
    return stage


@transaction.atomic
def stage_reorder(*, pipeline: Pipeline, by: Actor, stage_ids: list[int]) -> None:
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
def stage_delete(*, stage: Stage, by: Actor) -> None:
    require_admin(by)
    if stage.deals.exists() or (hasattr(stage, "tickets") and stage.tickets.exists()):
        raise conflict(
            "stage_in_use", _("Move the records out of “%(s)s” before deleting it.") % {"s": stage}
        )
    if stage.pipeline.stages.count() == 1:
        raise conflict("last_stage", _("A pipeline needs at least one stage."))
    record_event(
        kind=CrmEvent.PIPELINE_UPDATED,
        subject=stage.pipeline,
        actor=by,
        data={"deleted_stage": base_name(stage)},
    )
    stage.delete()
