"""API: client HubSpot accounts, their points with the computation, *end services*, and their
subscriptions (with MRR history), relationships, managing partners and employee connections.

Managers and admins only (agents 403, clients 404), through the pages' services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from partnerdesk.accounts.api_auth import MANAGER
from partnerdesk.core.api import Id, PageParams, Problem, lookup, page_counts
from partnerdesk.crm.models import Company

from .. import explain, points, selectors, services
from ..models import HubSpotAccount, Subscription
from .common import ERRORS, account_of, relationship_of, subscription_of, today
from .schemas import (
    PartnerAccountFilters,
    PartnerAccountIn,
    PartnerAccountOut,
    PartnerAccountPage,
    PartnerAccountPatch,
    PartnerConnectionIn,
    PartnerConnectionOut,
    PartnerConnectionPage,
    PartnerEndServicesIn,
    PartnerManagingPartnersIn,
    PartnerManagingPartnersOut,
    PartnerManagingPartnersPage,
    PartnerMrrChangeIn,
    PartnerPointsOut,
    PartnerPointsQuery,
    PartnerRelationshipEndIn,
    PartnerRelationshipIn,
    PartnerRelationshipOut,
    PartnerRelationshipPage,
    PartnerSubscriptionEndIn,
    PartnerSubscriptionIn,
    PartnerSubscriptionOut,
    PartnerSubscriptionPage,
    PartnerSubscriptionPatch,
)

router = Router(tags=["partner program: accounts"])

SORTS = {
    "name": ("name", "pk"),
    "hub_id": ("hub_id", "pk"),
    "-total": ("-total_points", "name", "pk"),
    "-managed": ("-managed_points", "name", "pk"),
    "-usd": ("-usd", "name", "pk"),
}


def account_out(account: HubSpotAccount) -> dict[str, Any]:
    return {
        "id": account.pk,
        "hub_id": account.hub_id,
        "name": account.name,
        "company_id": account.company_id,
        "company_name": account.company.name,
        "growth_market": account.growth_market,
        "opened_on": account.opened_on,
        "services_ended_on": account.services_ended_on,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


def _row(account) -> dict[str, Any]:
    kinds = [
        kind
        for kind, flag in (
            ("sourced", account.is_sourced),
            ("assisted", account.is_assisted),
            ("managed", account.is_managed),
        )
        if flag
    ]
    return {
        **account_out(account),
        "relationships": kinds,
        "usd": points.to_decimal(account.usd),
        "managed_credit": bool(account.managed_credit),
        "sourced_points": points.to_decimal(account.sourced_points),
        "assisted_points": points.to_decimal(account.assisted_points),
        "managed_points": points.to_decimal(account.managed_points),
        "total_points": points.to_decimal(account.total_points),
    }


@router.get(
    "/partner/accounts",
    auth=MANAGER,
    response=PartnerAccountPage,
    summary="HubSpot accounts with today's points",
)
def list_accounts(request, filters: Query[PartnerAccountFilters], page: Query[PageParams]):
    day = today()
    flag = {None: None, True: "true", False: "false"}
    params = {
        "q": filters.q,
        "relationship": filters.relationship,
        "growth_market": flag[filters.growth_market],
        "company": filters.company_id,
        "services_ended": flag[filters.services_ended],
    }
    qs, _active = selectors.filter_accounts(selectors.accounts_for(request.auth), params, day=day)
    rows = points.account_points(day, accounts=qs).order_by(*SORTS[filters.sort])
    items = list(rows[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),  # counted on the plain accounts: nobody's points are computed for it
        "limit": page.limit,
        "offset": page.offset,
        "items": [_row(a) for a in items],
    }


@router.post(
    "/partner/accounts",
    auth=MANAGER,
    response={201: PartnerAccountOut, **ERRORS},
    summary="Add a client's HubSpot account",
)
def create_account(request, payload: PartnerAccountIn):
    company = lookup(Company, payload.company_id, "company")
    account = services.account_create(
        by=request.auth,
        company=company,
        hub_id=payload.hub_id,
        name=payload.name,
        opened_on=payload.opened_on,
        growth_market=payload.growth_market,
    )
    return Status(201, account_out(account))


@router.get(
    "/partner/accounts/{account_id}",
    auth=MANAGER,
    response={200: PartnerAccountOut, 404: Problem},
)
def get_account(request, account_id: int = Id):
    return account_out(account_of(request, account_id))


@router.patch(
    "/partner/accounts/{account_id}",
    auth=MANAGER,
    response={200: PartnerAccountOut, **ERRORS},
    summary="Change an account (only the fields sent)",
)
def update_account(request, payload: PartnerAccountPatch, account_id: int = Id):
    account = account_of(request, account_id)
    sent = payload.model_dump(exclude_unset=True)
    fields = {k: v for k, v in sent.items() if v is not None}
    account = services.account_update(by=request.auth, account=account, **fields)
    return account_out(HubSpotAccount.objects.select_related("company").get(pk=account.pk))


@router.get(
    "/partner/accounts/{account_id}/points",
    auth=MANAGER,
    response={200: PartnerPointsOut, 404: Problem},
    summary="An account's points on a day, and how each figure was computed",
    description=(
        "Per subscription: the MRR and currency in force that day, the amount of the currency "
        "worth 100 USD, the rates, the growth-market multiplier and the managing partners the "
        "managed MRR is split among; and the managed-credit conditions, each met or not."
    ),
)
def account_points(request, query: Query[PartnerPointsQuery], account_id: int = Id):
    account = account_of(request, account_id)
    figures = explain.account_figures(account, query.on or today())
    row = figures.account
    rates = figures.rates
    return {
        "day": figures.day,
        "account_id": account.pk,
        "rates": {
            "effective_from": rates.effective_from,
            "sourced": rates.sourced,
            "assisted": rates.assisted,
            "managed": rates.managed,
            "growth_multiplier": rates.growth_multiplier,
        },
        "usd": points.to_decimal(row.usd),
        "multiplier": points.to_decimal(row.multiplier),
        "split": row.split,
        "relationship_end_days": figures.end_days,
        "sourced": bool(row.is_sourced),
        "assisted": bool(row.is_assisted),
        "managed": bool(row.is_managed),
        "last_activity_on": row.last_activity_on,
        "connected_employees": row.connected_employees,
        "managed_credit": bool(row.managed_credit),
        "conditions": [{"key": c.key, "ok": c.ok, "text": c.text} for c in figures.conditions],
        **{f"{k}_points": v for k, v in figures.totals.items() if k != "usd"},
        "subscriptions": [_subscription_points(sub) for sub in figures.subscriptions],
    }


def _subscription_points(figures: dict[str, Any]) -> dict[str, Any]:
    """The database's figures with the model's decimal places (SQLite hands numbers back
    without their trailing zeros)."""
    per = figures.get("per_100_usd")
    return {
        **figures,
        "mrr": None if figures.get("mrr") is None else points.to_decimal(figures["mrr"]),
        "per_100_usd": None if per is None else Decimal(str(per)).quantize(Decimal("0.0001")),
    }


@router.post(
    "/partner/accounts/{account_id}/end-services",
    auth=MANAGER,
    response={200: PartnerAccountOut, **ERRORS},
    summary="End services for the client: the managed relationship ends today",
    description=(
        "No managed points from today on, and qualifying activities no longer start a managed "
        "relationship until one is added again. Recorded on the account's timeline with the "
        "reason. Services already ended: 409."
    ),
)
def end_services(request, payload: PartnerEndServicesIn, account_id: int = Id):
    account = account_of(request, account_id)
    account = services.services_end(by=request.auth, account=account, reason=payload.reason)
    return account_out(HubSpotAccount.objects.select_related("company").get(pk=account.pk))


# ---------------------------------------------------------------- subscriptions


def subscription_out(subscription: Subscription, user=None) -> dict[str, Any]:
    return {
        **{
            name: getattr(subscription, name)
            for name in (
                "id",
                "account_id",
                "product",
                "seats",
                "seats_used",
                "mrr",
                "currency",
                "start_date",
                "renewal_date",
                "status",
                "ended_on",
                "last_activity_at",
            )
        },
        "history": [
            {
                "effective_on": c.effective_on,
                "mrr": c.mrr,
                "currency": c.currency,
                "recorded_by_id": c.recorded_by_id,
            }
            for c in subscription.changes.all()
        ],
    }


def _subscription(pk: int) -> dict[str, Any]:
    subscription = Subscription.objects.prefetch_related("changes").get(pk=pk)
    return subscription_out(subscription)


@router.get(
    "/partner/accounts/{account_id}/subscriptions",
    auth=MANAGER,
    response={200: PartnerSubscriptionPage, 404: Problem},
    summary="An account's subscriptions with their MRR history",
)
def list_subscriptions(request, page: Query[PageParams], account_id: int = Id):
    account = account_of(request, account_id)
    qs = selectors.subscriptions_of(account)
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [subscription_out(s) for s in items],
    }


@router.post(
    "/partner/accounts/{account_id}/subscriptions",
    auth=MANAGER,
    response={201: PartnerSubscriptionOut, **ERRORS},
    summary="Add a subscription; its MRR is in force from its start date",
)
def create_subscription(request, payload: PartnerSubscriptionIn, account_id: int = Id):
    account = account_of(request, account_id)
    subscription = services.subscription_create(
        by=request.auth, account=account, **payload.model_dump()
    )
    return Status(201, _subscription(subscription.pk))


@router.get(
    "/partner/subscriptions/{subscription_id}",
    auth=MANAGER,
    response={200: PartnerSubscriptionOut, 404: Problem},
)
def get_subscription(request, subscription_id: int = Id):
    return _subscription(subscription_of(request, subscription_id).pk)


@router.patch(
    "/partner/subscriptions/{subscription_id}",
    auth=MANAGER,
    response={200: PartnerSubscriptionOut, **ERRORS},
    summary="Change a subscription's details (its MRR changes with POST …/mrr)",
)
def update_subscription(request, payload: PartnerSubscriptionPatch, subscription_id: int = Id):
    subscription = subscription_of(request, subscription_id)
    sent = payload.model_dump(exclude_unset=True)
    nullable = ("renewal_date", "seats_used", "last_activity_at")
    fields = {k: v for k, v in sent.items() if v is not None or k in nullable}
    services.subscription_update(by=request.auth, subscription=subscription, **fields)
    return _subscription(subscription.pk)


@router.post(
    "/partner/subscriptions/{subscription_id}/mrr",
    auth=MANAGER,
    response={200: PartnerSubscriptionOut, **ERRORS},
    summary="A new MRR (and currency) in force from a day",
    description=(
        "Points for earlier days keep the MRR in force then. A change already recorded for "
        "that day is replaced."
    ),
)
def change_mrr(request, payload: PartnerMrrChangeIn, subscription_id: int = Id):
    subscription = subscription_of(request, subscription_id)
    services.subscription_change_mrr(
        by=request.auth,
        subscription=subscription,
        mrr=payload.mrr,
        effective_on=payload.effective_on,
        currency=payload.currency,
    )
    return _subscription(subscription.pk)


@router.post(
    "/partner/subscriptions/{subscription_id}/cancel",
    auth=MANAGER,
    response={200: PartnerSubscriptionOut, **ERRORS},
    summary="The client cancelled: it will not renew (it counts until it ends)",
)
def cancel_subscription(request, subscription_id: int = Id):
    subscription = subscription_of(request, subscription_id)
    services.subscription_cancel(by=request.auth, subscription=subscription)
    return _subscription(subscription.pk)


@router.post(
    "/partner/subscriptions/{subscription_id}/end",
    auth=MANAGER,
    response={200: PartnerSubscriptionOut, **ERRORS},
    summary="The subscription stops: from that day its MRR is 0",
)
def end_subscription(request, payload: PartnerSubscriptionEndIn, subscription_id: int = Id):
    subscription = subscription_of(request, subscription_id)
    services.subscription_end(by=request.auth, subscription=subscription, ended_on=payload.ended_on)
    return _subscription(subscription.pk)


# ---------------------------------------------------------------- relationships


def _paged(qs, page: PageParams, serialize) -> dict[str, Any]:
    items = list(qs[page.offset : page.offset + page.limit])
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "items": [serialize(item) for item in items],
    }


@router.get(
    "/partner/accounts/{account_id}/relationships",
    auth=MANAGER,
    response={200: PartnerRelationshipPage, 404: Problem},
    summary="The agency's relationships to the account, newest first",
)
def list_relationships(request, page: Query[PageParams], account_id: int = Id):
    account = account_of(request, account_id)
    return _paged(selectors.relationships_of(account), page, lambda r: r)


@router.post(
    "/partner/accounts/{account_id}/relationships",
    auth=MANAGER,
    response={201: PartnerRelationshipOut, **ERRORS},
    summary="A period of a relationship (periods of one kind never overlap)",
)
def create_relationship(request, payload: PartnerRelationshipIn, account_id: int = Id):
    account = account_of(request, account_id)
    relationship = services.relationship_add(
        by=request.auth,
        account=account,
        kind=payload.kind,
        started_on=payload.started_on,
        ended_on=payload.ended_on,
    )
    return Status(201, relationship)


@router.post(
    "/partner/relationships/{relationship_id}/end",
    auth=MANAGER,
    response={200: PartnerRelationshipOut, **ERRORS},
    summary="End an open relationship (ended_on: its first day without it)",
)
def end_relationship(request, payload: PartnerRelationshipEndIn, relationship_id: int = Id):
    relationship = relationship_of(request, relationship_id)
    return services.relationship_end(
        by=request.auth, relationship=relationship, ended_on=payload.ended_on, note=payload.note
    )


# ---------------------------------------------------------------- managing partners


@router.get(
    "/partner/accounts/{account_id}/managing-partners",
    auth=MANAGER,
    response={200: PartnerManagingPartnersPage, 404: Problem},
    summary="How many partners manage the account, each version newest first",
)
def list_managing_partners(request, page: Query[PageParams], account_id: int = Id):
    account = account_of(request, account_id)
    return _paged(selectors.managing_partners_of(account), page, lambda m: m)


@router.post(
    "/partner/accounts/{account_id}/managing-partners",
    auth=MANAGER,
    response={201: PartnerManagingPartnersOut, **ERRORS},
    summary="Partners managing the account from a day (the managed MRR is split equally)",
)
def set_managing_partners(request, payload: PartnerManagingPartnersIn, account_id: int = Id):
    account = account_of(request, account_id)
    row = services.managing_partners_set(
        by=request.auth, account=account, count=payload.count, effective_from=payload.effective_from
    )
    return Status(201, row)


# ---------------------------------------------------------------- employee connections


def _connection_out(row: dict[str, Any]) -> dict[str, Any]:
    connection = row["connection"]
    return {
        "id": connection.pk,
        "account_id": connection.account_id,
        "employee_id": connection.employee_id,
        "employee": connection.employee.display_name,
        "in_partner_account": connection.in_partner_account,
        "client_assigned": connection.client_assigned,
        "in_client_account": connection.in_client_account,
        "complete": row["ok"],
        "failing": [str(text) for text in row["failing"]],
        "confirmed_at": connection.confirmed_at,
        "last_activity_on": connection.last_activity_on,
    }


@router.get(
    "/partner/accounts/{account_id}/connections",
    auth=MANAGER,
    response={200: PartnerConnectionPage, 404: Problem},
    summary="How each employee is connected to the account, and what keeps them from counting",
)
def list_connections(request, page: Query[PageParams], account_id: int = Id):
    account = account_of(request, account_id)
    rows = explain.connection_rows(account, offset=page.offset, limit=page.limit)
    return {
        **page_counts(selectors.connections_of(account)),
        "limit": page.limit,
        "offset": page.offset,
        "items": [_connection_out(row) for row in rows],
    }


@router.put(
    "/partner/accounts/{account_id}/connections/{employee_id}",
    auth=MANAGER,
    response={200: PartnerConnectionOut, **ERRORS},
    summary="Record how an employee is connected to the account, as checked today",
)
def confirm_connection(
    request, payload: PartnerConnectionIn, account_id: int = Id, employee_id: int = Id
):
    account = account_of(request, account_id)
    employee = get_object_or_404(get_user_model(), pk=employee_id)
    services.connection_confirm(
        by=request.auth, account=account, employee=employee, **payload.model_dump()
    )
    return _connection_out(explain.connection_rows(account, employee_id=employee.pk)[0])
