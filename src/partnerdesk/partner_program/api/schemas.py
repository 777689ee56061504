"""Request and response schemas of the partner program's API. Every name starts with
``Partner`` (schema names are unique across the whole API document)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from partnerdesk.core.api import MAX_ID, OneOf, Page, Strict

from ..models import ActivitySource, RelationshipKind, SubscriptionStatus, Tool

Kind = Annotated[str, OneOf(RelationshipKind)]
ToolName = Annotated[str, OneOf(Tool)]
SourceName = Annotated[str, OneOf(ActivitySource)]
StatusName = Annotated[str, OneOf(SubscriptionStatus)]
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]
Money = Annotated[Decimal, Field(description="An amount such as 1250.00 (at most 2 decimals)")]


# ---------------------------------------------------------------- accounts


class PartnerAccountOut(Schema):
    id: int
    hub_id: str
    name: str
    company_id: int
    company_name: str
    growth_market: bool
    opened_on: dt.date
    services_ended_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PartnerAccountRow(PartnerAccountOut):
    relationships: list[str] = Field(description="The relationships in force today")
    usd: Decimal = Field(description="Today's MRR of its subscriptions, in USD")
    managed_credit: bool
    sourced_points: Decimal
    assisted_points: Decimal
    managed_points: Decimal
    total_points: Decimal


class PartnerAccountPage(Page):
    items: list[PartnerAccountRow]


class PartnerAccountFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Name, hub id or company name")
    relationship: Kind | None = Field(None, description="In force today")
    growth_market: bool | None = None
    company_id: RefId | None = None
    services_ended: bool | None = None
    sort: Literal["name", "hub_id", "-total", "-managed", "-usd"] = "name"


class PartnerAccountIn(Strict):
    company_id: RefId
    hub_id: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=200)
    opened_on: dt.date = Field(description="No activity or subscription may be dated earlier")
    growth_market: bool = False


class PartnerAccountPatch(Strict):
    hub_id: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    opened_on: dt.date | None = None
    growth_market: bool | None = None


class PartnerEndServicesIn(Strict):
    reason: str = Field(..., min_length=1, max_length=2000)


class PartnerRates(Schema):
    effective_from: dt.date | None
    sourced: Decimal
    assisted: Decimal
    managed: Decimal
    growth_multiplier: Decimal


class PartnerCondition(Schema):
    key: Literal["managed_relationship", "recent_activity", "connected_employee"]
    ok: bool
    text: str


class PartnerSubscriptionPoints(Schema):
    subscription_id: int
    product: str
    status: StatusName
    mrr: Decimal | None = Field(description="The MRR in force that day")
    currency: str | None
    per_100_usd: Decimal | None = Field(description="The amount of the currency worth 100 USD")
    usd: Decimal
    multiplier: Decimal = Field(description="The growth-market multiplier applied (1 if none)")
    split: int = Field(description="Managing partners the managed MRR is split among")
    sourced: bool
    assisted: bool
    managed: bool
    managed_credit: bool
    sourced_points: Decimal
    assisted_points: Decimal
    managed_points: Decimal
    steps: list[str] = Field(description="The computation, in words")


class PartnerPointsOut(Schema):
    day: dt.date
    account_id: int
    rates: PartnerRates
    usd: Decimal
    multiplier: Decimal
    split: int
    relationship_end_days: int
    sourced: bool
    assisted: bool
    managed: bool
    last_activity_on: dt.date | None
    connected_employees: int
    managed_credit: bool
    conditions: list[PartnerCondition]
    sourced_points: Decimal
    assisted_points: Decimal
    managed_points: Decimal
    sold_points: Decimal
    total_points: Decimal
    subscriptions: list[PartnerSubscriptionPoints]


class PartnerPointsQuery(Schema):
    on: dt.date | None = Field(None, description="The day (default today)")


# ---------------------------------------------------------------- subscriptions


class PartnerMrrChangeOut(Schema):
    effective_on: dt.date
    mrr: Decimal
    currency: str
    recorded_by_id: int | None


class PartnerSubscriptionOut(Schema):
    id: int
    account_id: int
    product: str
    seats: int
    seats_used: int | None
    mrr: Decimal = Field(description="The current MRR (its latest version)")
    currency: str
    start_date: dt.date
    renewal_date: dt.date | None
    status: StatusName
    ended_on: dt.date | None
    last_activity_at: dt.datetime | None
    history: list[PartnerMrrChangeOut] = Field(description="Every MRR version, newest first")


class PartnerSubscriptionPage(Page):
    items: list[PartnerSubscriptionOut]


class PartnerSubscriptionIn(Strict):
    product: str = Field(..., min_length=1, max_length=150)
    mrr: Money
    currency: str = Field(..., min_length=1, max_length=10, description="e.g. EUR")
    start_date: dt.date
    renewal_date: dt.date | None = None
    seats: int = Field(0, ge=0, le=10**9)
    seats_used: int | None = Field(None, ge=0, le=10**9)


class PartnerSubscriptionPatch(Strict):
    product: str | None = Field(None, min_length=1, max_length=150)
    renewal_date: dt.date | None = Field(None, description="null clears it")
    seats: int | None = Field(None, ge=0, le=10**9)
    seats_used: int | None = Field(None, ge=0, le=10**9, description="null clears it")
    last_activity_at: dt.datetime | None = None


class PartnerMrrChangeIn(Strict):
    mrr: Money
    effective_on: dt.date = Field(description="Today or earlier; earlier days keep their MRR")
    currency: str | None = Field(None, min_length=1, max_length=10, description="Omitted: same")


class PartnerSubscriptionEndIn(Strict):
    ended_on: dt.date = Field(description="Its first day without MRR (today or earlier)")


# ---------------------------------------------------------------- relationships and more


class PartnerRelationshipOut(Schema):
    id: int
    account_id: int
    kind: Kind
    started_on: dt.date
    ended_on: dt.date | None = Field(description="Its first day without it; null: it goes on")
    end_reason: str
    end_note: str
    ended_by_id: int | None
    automatic: bool = Field(description="Opened by the first qualifying activity")


class PartnerRelationshipPage(Page):
    items: list[PartnerRelationshipOut]


class PartnerRelationshipIn(Strict):
    kind: Kind
    started_on: dt.date
    ended_on: dt.date | None = None


class PartnerRelationshipEndIn(Strict):
    ended_on: dt.date
    note: str = Field("", max_length=2000)


class PartnerManagingPartnersOut(Schema):
    id: int
    account_id: int
    count: int
    effective_from: dt.date


class PartnerManagingPartnersPage(Page):
    items: list[PartnerManagingPartnersOut]


class PartnerManagingPartnersIn(Strict):
    count: int = Field(..., ge=1, le=1000)
    effective_from: dt.date


class PartnerConnectionOut(Schema):
    id: int
    account_id: int
    employee_id: int
    employee: str
    in_partner_account: bool
    client_assigned: bool
    in_client_account: bool
    complete: bool = Field(description="All three: the employee counts for managed credit")
    failing: list[str] = Field(description="What keeps the employee from counting")
    confirmed_at: dt.datetime | None
    last_activity_on: dt.date | None


class PartnerConnectionPage(Page):
    items: list[PartnerConnectionOut]


class PartnerConnectionIn(Strict):
    in_partner_account: bool
    client_assigned: bool
    in_client_account: bool


# ---------------------------------------------------------------- activities


class PartnerActivityOut(Schema):
    id: int
    account_id: int
    account: str
    employee_id: int
    employee: str
    activity_type_id: int
    activity: str
    tool: ToolName
    occurred_on: dt.date
    note: str
    source: SourceName
    subject_type: str | None = Field(description="The task or ticket it came from")
    subject_id: int | None
    recorded_by_id: int | None
    created_at: dt.datetime


class PartnerActivityPage(Page):
    items: list[PartnerActivityOut]


class PartnerActivityFilters(Schema):
    employee_id: RefId | None = None
    account_id: RefId | None = None
    account_q: str | None = Field(None, max_length=200, description="Part of a name, or a hub id")
    activity_type_id: RefId | None = None
    tool: ToolName | None = None
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    source: SourceName | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class PartnerActivityIn(Strict):
    account_id: RefId
    employee_id: RefId | None = Field(None, description="Omitted: the caller")
    activity_type_id: RefId
    occurred_on: dt.date = Field(description="Today or earlier, not before the account opened")
    note: str = Field("", max_length=2000)


class PartnerToolTotal(Schema):
    tool: ToolName
    label: str
    count: int


class PartnerEmployeeTotal(Schema):
    employee_id: int
    employee: str
    count: int


class PartnerMonthTotal(Schema):
    month: str = Field(description="YYYY-MM")
    count: int


class PartnerActivityTotalsOut(Schema):
    by_tool: list[PartnerToolTotal]
    by_employee: list[PartnerEmployeeTotal] = Field(description="The 100 busiest employees")
    by_month: list[PartnerMonthTotal] = Field(description="Each month with activity, newest first")


# ---------------------------------------------------------------- certifications


class PartnerCertificationOut(Schema):
    id: int
    employee_id: int
    employee: str
    name: str
    issued_on: dt.date
    expires_on: dt.date | None
    academy_url: str
    valid: bool = Field(description="Not expired today")


class PartnerCertificationPage(Page):
    items: list[PartnerCertificationOut]


class PartnerCertificationFilters(Schema):
    employee_id: RefId | None = None
    q: str | None = Field(None, max_length=200)
    state: Literal["valid", "expired", "expiring"] | None = None
    expiring_days: int = Field(30, ge=0, le=3650)


class PartnerCertificationIn(Strict):
    employee_id: RefId
    name: str = Field(..., min_length=1, max_length=150)
    issued_on: dt.date
    expires_on: dt.date | None = Field(None, description="null: it does not expire")
    academy_url: str = Field("", max_length=500)


class PartnerCertificationPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=150)
    issued_on: dt.date | None = None
    expires_on: dt.date | None = Field(None, description="null: it does not expire")
    academy_url: str | None = Field(None, max_length=500)
