"""API: the program's tables and settings — point rates and the currency table (versioned by
effective date), tiers and their reviews, the activity catalogue, the mappings from agency work
to activity types, the program settings.

Managers read them (the catalogue: every staff user, who records activities from it); only
admins change them (agents and managers 403, clients 404).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ADMIN, MANAGER, STAFF
from partnerdesk.core.api import Id, Page, PageParams, Strict, lookup, paginate
from partnerdesk.crm.models import Stage
from partnerdesk.portal.models import TaskCategory

from .. import selectors, services
from ..models import ActivityMapping, ActivityType, ProgramSettings, Tier
from ..services.config import SETTINGS_FIELDS
from .common import ERRORS, today
from .schemas import RefId, ToolName

router = Router(tags=["partner program: settings"])


def _row(obj, user=None):
    return obj


# ---------------------------------------------------------------- rates and currencies


class PartnerRateOut(Schema):
    id: int
    effective_from: dt.date
    sourced: Decimal
    assisted: Decimal
    managed: Decimal
    growth_multiplier: Decimal
    changed_by_id: int | None


class PartnerRatePage(Page):
    items: list[PartnerRateOut]


class _Versioned(Strict):
    effective_from: dt.date = Field(description="Today or later, or earlier with correct_past")
    correct_past: bool = Field(
        False, description="Needed for a date before today: points for past days change"
    )


class PartnerRateIn(_Versioned):
    sourced: Decimal = Field(description="Points per 100 USD of sourced MRR")
    assisted: Decimal
    managed: Decimal
    growth_multiplier: Decimal


class PartnerCurrencyOut(Schema):
    id: int
    currency: str
    amount_per_100_usd: Decimal
    effective_from: dt.date
    changed_by_id: int | None


class PartnerCurrencyPage(Page):
    items: list[PartnerCurrencyOut]


class PartnerCurrencyFilters(Schema):
    currency: str | None = Field(None, max_length=3)
    in_force: bool = Field(False, description="Only the version of each currency in force today")


class PartnerCurrencyIn(_Versioned):
    currency: str = Field(..., min_length=1, max_length=10, description="ISO code, e.g. EUR")
    amount_per_100_usd: Decimal = Field(description="How much of it is worth 100 USD")


@router.get("/partner/rates", auth=MANAGER, response=PartnerRatePage, summary="Point rates")
def list_rates(request, page: Query[PageParams]):
    return paginate(selectors.point_rates(), page, _row)


@router.post(
    "/partner/rates",
    auth=ADMIN,
    response={201: PartnerRateOut, **ERRORS},
    summary="A version of the point rates in force from a day",
)
def set_rates(request, payload: PartnerRateIn):
    return Status(201, services.rates_set(by=request.auth, **payload.model_dump()))


@router.get(
    "/partner/currencies",
    auth=MANAGER,
    response=PartnerCurrencyPage,
    summary="The currency table: how much of each currency is worth 100 USD",
)
def list_currencies(request, filters: Query[PartnerCurrencyFilters], page: Query[PageParams]):
    if filters.in_force:
        qs = selectors.current_currency_rates(today())
        if filters.currency:
            qs = qs.filter(currency=filters.currency.upper())
    else:
        qs = selectors.currency_rates(filters.currency or "")
    return paginate(qs, page, _row)


@router.post(
    "/partner/currencies",
    auth=ADMIN,
    response={201: PartnerCurrencyOut, **ERRORS},
    summary="A currency's amount worth 100 USD from a day (a new currency is added)",
)
def set_currency(request, payload: PartnerCurrencyIn):
    return Status(201, services.currency_rate_set(by=request.auth, **payload.model_dump()))


# ---------------------------------------------------------------- tiers and reviews


class PartnerTierOut(Schema):
    id: int
    name: str
    order: int
    min_total_points: int
    min_sold_points: int
    min_activities: int
    min_certified_employees: int
    note: str


class PartnerTierPage(Page):
    items: list[PartnerTierOut]


class PartnerTierIn(Strict):
    name: str = Field(..., min_length=1, max_length=50)
    order: int = Field(..., ge=0, le=32767)
    min_total_points: int = Field(0, ge=0, le=10**9)
    min_sold_points: int = Field(0, ge=0, le=10**9)
    min_activities: int = Field(0, ge=0, le=10**9)
    min_certified_employees: int = Field(0, ge=0, le=10**9)
    note: str = Field("", max_length=2000)


class PartnerTierPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=50)
    order: int | None = Field(None, ge=0, le=32767)
    min_total_points: int | None = Field(None, ge=0, le=10**9)
    min_sold_points: int | None = Field(None, ge=0, le=10**9)
    min_activities: int | None = Field(None, ge=0, le=10**9)
    min_certified_employees: int | None = Field(None, ge=0, le=10**9)
    note: str | None = Field(None, max_length=2000)


class PartnerTierReviewOut(Schema):
    id: int
    reviewed_on: dt.date
    tier_id: int | None
    tier: str | None
    figures: dict[str, Any]


class PartnerTierReviewPage(Page):
    items: list[PartnerTierReviewOut]


class PartnerTierReviewIn(Strict):
    reviewed_on: dt.date = Field(description="1 January or 1 June, not later than today")
    tier_id: RefId | None = Field(None, description="null: below the lowest tier")


def _review(review, user=None) -> dict[str, Any]:
    return {
        "id": review.pk,
        "reviewed_on": review.reviewed_on,
        "tier_id": review.tier_id,
        "tier": review.tier.name if review.tier else None,
        "figures": review.figures,
    }


@router.get("/partner/tiers", auth=MANAGER, response=PartnerTierPage, summary="The tier table")
def list_tiers(request, page: Query[PageParams]):
    return paginate(selectors.tiers(), page, _row)


@router.post("/partner/tiers", auth=ADMIN, response={201: PartnerTierOut, **ERRORS})
def create_tier(request, payload: PartnerTierIn):
    return Status(201, services.tier_create(by=request.auth, **payload.model_dump()))


@router.patch(
    "/partner/tiers/{tier_id}",
    auth=ADMIN,
    response={200: PartnerTierOut, **ERRORS},
    summary="Change a tier's thresholds (the credited tier changes only at a review)",
)
def update_tier(request, payload: PartnerTierPatch, tier_id: int = Id):
    tier = get_object_or_404(Tier, pk=tier_id)
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.tier_update(by=request.auth, tier=tier, **fields)


@router.delete(
    "/partner/tiers/{tier_id}",
    auth=ADMIN,
    response={204: None, **ERRORS},
    summary="Remove a tier no review credited (409 otherwise)",
)
def delete_tier(request, tier_id: int = Id):
    services.tier_delete(by=request.auth, tier=get_object_or_404(Tier, pk=tier_id))
    return Status(204, None)


@router.get(
    "/partner/tier-reviews",
    auth=MANAGER,
    response=PartnerTierReviewPage,
    summary="Tier reviews, newest first, with the figures each used",
)
def list_tier_reviews(request, page: Query[PageParams]):
    return paginate(selectors.tier_reviews(), page, _review)


@router.post(
    "/partner/tier-reviews",
    auth=ADMIN,
    response={201: PartnerTierReviewOut, **ERRORS},
    summary="Record the tier HubSpot credited at a past review",
)
def record_tier_review(request, payload: PartnerTierReviewIn):
    tier = lookup(Tier, payload.tier_id, "tier")
    review = services.tier_review_record(
        by=request.auth, reviewed_on=payload.reviewed_on, tier=tier
    )
    return Status(201, _review(review))


# ---------------------------------------------------------------- the activity catalogue


class PartnerActivityTypeOut(Schema):
    id: int
    tool: ToolName
    name: str
    key: str = Field(description="A default's stable key (empty for types admins added)")
    order: int
    is_active: bool = Field(description="Offered when recording activities")


class PartnerActivityTypePage(Page):
    items: list[PartnerActivityTypeOut]


class PartnerActivityTypeFilters(Schema):
    tool: ToolName | None = None
    offered: bool | None = None


class PartnerActivityTypeIn(Strict):
    tool: ToolName
    name: str = Field(..., min_length=1, max_length=150)
    order: int = Field(0, ge=0, le=32767)


class PartnerActivityTypePatch(Strict):
    tool: ToolName | None = None
    name: str | None = Field(None, min_length=1, max_length=150)
    order: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


@router.get(
    "/partner/activity-types",
    auth=STAFF,
    response=PartnerActivityTypePage,
    summary="The catalogue of qualifying activities, per tool",
)
def list_activity_types(
    request, filters: Query[PartnerActivityTypeFilters], page: Query[PageParams]
):
    qs = selectors.activity_types()
    if filters.tool:
        qs = qs.filter(tool=filters.tool)
    if filters.offered is not None:
        qs = qs.filter(is_active=filters.offered)
    return paginate(qs, page, _row)


@router.post(
    "/partner/activity-types", auth=ADMIN, response={201: PartnerActivityTypeOut, **ERRORS}
)
def create_activity_type(request, payload: PartnerActivityTypeIn):
    return Status(201, services.activity_type_create(by=request.auth, **payload.model_dump()))


@router.patch(
    "/partner/activity-types/{activity_type_id}",
    auth=ADMIN,
    response={200: PartnerActivityTypeOut, **ERRORS},
    summary="Rename, move, reorder or withdraw an activity type",
)
def update_activity_type(request, payload: PartnerActivityTypePatch, activity_type_id: int = Id):
    activity_type = get_object_or_404(ActivityType, pk=activity_type_id)
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.activity_type_update(by=request.auth, activity_type=activity_type, **fields)


# ---------------------------------------------------------------- mappings


class PartnerMappingOut(Schema):
    id: int
    activity_type_id: int
    activity: str
    task_category_id: int | None = Field(description="A completed client task of this category")
    task_category: str | None
    stage_id: int | None = Field(description="Or a ticket entering this stage")
    stage: str | None
    pipeline_id: int | None


class PartnerMappingPage(Page):
    items: list[PartnerMappingOut]


class PartnerMappingIn(Strict):
    activity_type_id: RefId
    task_category_id: RefId | None = Field(None, description="Either this …")
    stage_id: RefId | None = Field(None, description="… or a stage of a ticket pipeline")


def _mapping(mapping: ActivityMapping, user=None) -> dict[str, Any]:
    stage = mapping.stage
    return {
        "id": mapping.pk,
        "activity_type_id": mapping.activity_type_id,
        "activity": mapping.activity_type.name,
        "task_category_id": mapping.task_category_id,
        "task_category": mapping.task_category.name if mapping.task_category else None,
        "stage_id": mapping.stage_id,
        "stage": stage.name if stage else None,
        "pipeline_id": stage.pipeline_id if stage else None,
    }


@router.get(
    "/partner/mappings",
    auth=MANAGER,
    response=PartnerMappingPage,
    summary="Agency work that records qualifying activities",
)
def list_mappings(request, page: Query[PageParams]):
    return paginate(selectors.mappings(), page, _mapping)


@router.post(
    "/partner/mappings",
    auth=ADMIN,
    response={201: PartnerMappingOut, **ERRORS},
    summary="A task category or a ticket stage that records an activity type",
)
def create_mapping(request, payload: PartnerMappingIn):
    mapping = services.mapping_add(
        by=request.auth,
        activity_type=lookup(ActivityType, payload.activity_type_id, "activity_type"),
        task_category=lookup(TaskCategory, payload.task_category_id, "task_category"),
        stage=lookup(Stage, payload.stage_id, "stage"),
    )
    return Status(201, _mapping(selectors.mappings().get(pk=mapping.pk)))


@router.delete("/partner/mappings/{mapping_id}", auth=ADMIN, response={204: None, **ERRORS})
def delete_mapping(request, mapping_id: int = Id):
    services.mapping_remove(
        by=request.auth, mapping=get_object_or_404(ActivityMapping, pk=mapping_id)
    )
    return Status(204, None)


# ---------------------------------------------------------------- settings


class PartnerSettingsOut(Schema):
    lapse_alert_days: int = Field(description="Alert after this many days without activity")
    relationship_end_days: int = Field(
        description="A managed relationship ends this many days after the last activity"
    )
    tier_risk_lead_days: int
    certification_alert_days: int
    activity_period_days: int = Field(description="The window a tier's activities count in")


class PartnerSettingsPatch(Strict):
    lapse_alert_days: int | None = Field(None, ge=1, le=3650)
    relationship_end_days: int | None = Field(None, ge=1, le=3650)
    tier_risk_lead_days: int | None = Field(None, ge=1, le=3650)
    certification_alert_days: int | None = Field(None, ge=1, le=3650)
    activity_period_days: int | None = Field(None, ge=1, le=3650)


@router.get("/partner/settings", auth=MANAGER, response=PartnerSettingsOut)
def get_settings(request):
    settings = ProgramSettings.load()
    return {name: getattr(settings, name) for name in SETTINGS_FIELDS}


@router.patch(
    "/partner/settings",
    auth=ADMIN,
    response={200: PartnerSettingsOut, **ERRORS},
    summary="Change the program settings (only the fields sent)",
)
def update_settings(request, payload: PartnerSettingsPatch):
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    settings = services.program_settings_update(by=request.auth, **fields)
    return {name: getattr(settings, name) for name in SETTINGS_FIELDS}
