"""API: pipelines and their stages."""

from __future__ import annotations

from typing import Annotated, Literal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, STAFF
from partnerdesk.accounts.models import Team
from partnerdesk.core.api import (
    Id,
    OneOf,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    lookup,
    paginate,
    require_staff,
)
from partnerdesk.core.errors import DomainError
from partnerdesk.core.translated import base_name

from .. import services
from ..models import Pipeline, PropertyDefinition, Stage, StageKind
from ..schemas import BASE_NAME, BaseNameOut, NameTranslations, NameTranslations100In

router = Router()


class StageOut(BaseNameOut):
    id: int
    name: str = Field(description=BASE_NAME)
    name_translations: NameTranslations
    kind: str
    order: int
    is_entry: bool
    request_name: str
    waiting_on_customer: bool
    customer_label: str = Field(
        description="Tickets: the stage as the customer reads it (blank: a label by kind)"
    )
    required_properties: list[str]


class PipelineOut(BaseNameOut):
    id: int
    object_type: str
    name: str = Field(description=BASE_NAME)
    name_translations: NameTranslations
    order: int
    archived: bool
    team_id: int | None
    stages: list[StageOut]


def stage_out(stage: Stage) -> dict:
    return {
        "id": stage.pk,
        "name": base_name(stage),
        "name_translations": stage.name_translations,
        "kind": stage.kind,
        "order": stage.order,
        "is_entry": stage.is_entry,
        "request_name": stage.request_name,
        "waiting_on_customer": stage.waiting_on_customer,
        "customer_label": stage.customer_label,
        "required_properties": [p.name for p in stage.required_properties.all()],
    }


def pipeline_out(pipeline: Pipeline, user=None) -> dict:
    return {
        "id": pipeline.pk,
        "object_type": pipeline.object_type,
        "name": base_name(pipeline),
        "name_translations": pipeline.name_translations,
        "order": pipeline.order,
        "archived": pipeline.archived,
        "team_id": pipeline.team_id,
        "stages": [stage_out(s) for s in pipeline.stages.all()],
    }


def _pipelines() -> QuerySet[Pipeline]:
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
    name_translations: NameTranslations100In = {}
    kind: Annotated[str, OneOf(StageKind)] = "open"
    is_entry: bool = False
    request_name: str = Field("", max_length=100)
    waiting_on_customer: bool = False


class PipelineIn(Strict):
    object_type: Literal["deal", "ticket"]
    name: str = Field(..., min_length=1, max_length=100)
    name_translations: NameTranslations100In = {}
    stages: list[StageIn] = Field(..., min_length=1, max_length=50)


class PipelinePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    name_translations: NameTranslations100In | None = None
    archived: bool | None = None
    team_id: int | None = OptionalId


class StagePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    name_translations: NameTranslations100In | None = None
    kind: Annotated[str, OneOf(StageKind)] | None = None
    required_properties: list[str] | None = Field(None, max_length=200)
    is_entry: bool | None = None
    request_name: str | None = Field(None, max_length=100)
    waiting_on_customer: bool | None = None
    customer_label: str | None = Field(None, max_length=100)


class PipelineFilters(Schema):
    object_type: Literal["deal", "ticket"] | None = None


@router.get(
    "/pipelines",
    auth=STAFF,
    response=PipelinePage,
    tags=["pipelines"],
    operation_id="partnerdesk_crm_api_list_pipelines",
)
def list_pipelines(request, filters: Query[PipelineFilters], page: Query[PageParams]):
    require_staff(request)
    qs = _pipelines()
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    return paginate(qs, page, pipeline_out)


@router.post(
    "/pipelines",
    auth=ADMIN,
    response={201: PipelineOut, 422: Problem, 403: Problem, 409: Problem},
    tags=["pipelines"],
    operation_id="partnerdesk_crm_api_create_pipeline",
)
def create_pipeline(request, payload: PipelineIn):
    require_staff(request)
    pipeline = services.pipeline_create(
        by=request.auth,
        object_type=payload.object_type,
        name=payload.name,
        translations=payload.name_translations,
        stages=[
            services.StageSpec(
                name=s.name,
                kind=s.kind,
                is_entry=s.is_entry,
                request_name=s.request_name,
                waiting_on_customer=s.waiting_on_customer,
                translations=s.name_translations,
            )
            for s in payload.stages
        ],
    )
    return Status(201, pipeline_out(_pipelines().get(pk=pipeline.pk)))


@router.get(
    "/pipelines/{pipeline_id}",
    auth=STAFF,
    response={200: PipelineOut, 404: Problem},
    tags=["pipelines"],
    operation_id="partnerdesk_crm_api_get_pipeline",
)
def get_pipeline(request, pipeline_id: int = Id):
    require_staff(request)
    return pipeline_out(get_object_or_404(_pipelines(), pk=pipeline_id))


@router.patch(
    "/pipelines/{pipeline_id}",
    auth=ADMIN,
    response={200: PipelineOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["pipelines"],
    operation_id="partnerdesk_crm_api_update_pipeline",
)
def update_pipeline(request, payload: PipelinePatch, pipeline_id: int = Id):
    require_staff(request)
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    team = (
        lookup(Team, payload.team_id, "team")
        if "team_id" in payload.model_fields_set
        else services.UNSET
    )
    services.pipeline_update(
        pipeline=pipeline,
        by=request.auth,
        name=payload.name,
        archived=payload.archived,
        team=team,
        translations=payload.name_translations,
    )
    return pipeline_out(_pipelines().get(pk=pipeline.pk))


@router.post(
    "/pipelines/{pipeline_id}/stages",
    auth=ADMIN,
    response={201: StageOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["pipelines"],
    operation_id="partnerdesk_crm_api_add_stage",
)
def add_stage(request, payload: StageIn, pipeline_id: int = Id):
    require_staff(request)
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    stage = services.stage_add(
        pipeline=pipeline,
        by=request.auth,
        name=payload.name,
        kind=payload.kind,
        is_entry=payload.is_entry,
        request_name=payload.request_name,
        waiting_on_customer=payload.waiting_on_customer,
        translations=payload.name_translations,
    )
    return Status(201, stage_out(stage))


def _required_properties(stage: Stage, names: list[str]) -> list[PropertyDefinition]:
    """The stage's record type's properties named ``names``, in order (a 422 for a name that
    is not one)."""
    wanted = list(dict.fromkeys(names))
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
    return [found[n] for n in wanted]


@router.patch(
    "/stages/{stage_id}",
    auth=ADMIN,
    response={200: StageOut, 404: Problem, 403: Problem, 409: Problem, 422: Problem},
    tags=["pipelines"],
    operation_id="partnerdesk_crm_api_update_stage",
)
def update_stage(request, payload: StagePatch, stage_id: int = Id):
    require_staff(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)
    required = (
        _required_properties(stage, payload.required_properties)
        if payload.required_properties is not None
        else None
    )
    stage = services.stage_save(
        stage=stage,
        by=request.auth,
        name=payload.name,
        kind=payload.kind,
        is_entry=payload.is_entry,
        request_name=payload.request_name,
        waiting_on_customer=payload.waiting_on_customer,
        customer_label=payload.customer_label,
        required_properties=required,
        translations=payload.name_translations,
    )
    return stage_out(stage)
