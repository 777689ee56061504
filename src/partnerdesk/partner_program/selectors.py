"""Reads of the partner program for its pages and API: they own the ``select_related`` /
``prefetch_related`` of each list, so a page's query count does not depend on its rows.

One filter function per list (``filter_accounts``, ``filter_activities``,
``filter_certifications``), shared by the page and the API, so a filter finds the same rows on
both. ``params`` are named as in the page's query string; each function returns the filtered
queryset and the filters that applied, as text.

Who sees what: client users nothing (no model here has a ``tenant_path``); agents only their own
qualifying activities and certifications; managers and admins everything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404

from partnerdesk.core.converters import parse_id
from partnerdesk.core.tenancy import get_object_for_user_or_404

from .models import (
    ActivityMapping,
    ActivitySource,
    ActivityType,
    Certification,
    CurrencyRate,
    EmployeeConnection,
    HubSpotAccount,
    ManagingPartners,
    PointRate,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    Subscription,
    SubscriptionChange,
    Tier,
    TierReview,
    Tool,
)

Params = Mapping[str, Any]
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ACCOUNT_SEARCH = ("name", "hub_id", "company__name")


def _text(params: Params, name: str, limit: int = 200) -> str:
    return str(params.get(name) or "").strip()[:limit]


def parse_month(value: Any) -> dt.date | None:
    """``2025-03`` -> 1 March 2025; None for anything else."""
    match = MONTH.match(str(value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return dt.date(year, month, 1)


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def sees_everything(user) -> bool:
    """Managers and admins read the whole program; agents only their own rows."""
    return bool(getattr(user, "is_manager_or_admin", False))


# ---------------------------------------------------------------- accounts


def accounts_for(user) -> QuerySet[HubSpotAccount]:
    """The accounts ``user`` may read: every one for managers and admins, none for others."""
    qs = HubSpotAccount.objects.for_user(user)
    return qs if sees_everything(user) else qs.none()


def in_force(kind: str, day: dt.date, account_ref: str = "pk") -> Exists:
    return Exists(
        Relationship.objects.filter(
            account=OuterRef(account_ref), kind=kind, started_on__lte=day
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    )


def filter_accounts(
    qs: QuerySet[HubSpotAccount], params: Params, *, day: dt.date
) -> tuple[QuerySet[HubSpotAccount], dict[str, str]]:
    """Search (name, hub id, company), a relationship in force on ``day``, growth market,
    company, services ended."""
    active: dict[str, str] = {}
    q = _text(params, "q")
    if q:
        active["q"] = q
        condition = Q()
        for name in ACCOUNT_SEARCH:
            condition |= Q(**{f"{name}__icontains": q})
        qs = qs.filter(condition)
    kind = _text(params, "relationship")
    if kind in RelationshipKind.values:
        active["relationship"] = kind
        qs = qs.filter(in_force(kind, day))
    growth = _text(params, "growth_market")
    if growth in ("true", "false"):
        active["growth_market"] = growth
        qs = qs.filter(growth_market=growth == "true")
    company = parse_id(params.get("company"))
    if company is not None:
        active["company"] = str(company)
        qs = qs.filter(company_id=company)
    ended = _text(params, "services_ended")
    if ended in ("true", "false"):
        active["services_ended"] = ended
        qs = qs.filter(services_ended_on__isnull=ended == "false")
    return qs, active


def account_for(user, pk: int) -> HubSpotAccount:
    """One account for its page or the API (404 for agents and clients, like a missing one)."""
    return get_object_for_user_or_404(accounts_for(user).select_related("company"), user, pk=pk)


def subscriptions_of(account: HubSpotAccount) -> QuerySet[Subscription]:
    """The account's subscriptions with their MRR history, newest version first."""
    return account.subscriptions.order_by("status", "product", "pk").prefetch_related(
        Prefetch(
            "changes",
            queryset=SubscriptionChange.objects.select_related("recorded_by").order_by(
                "-effective_on", "-id"
            ),
        )
    )


def subscriptions_for(user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(account__in=accounts_for(user)).select_related("account")


def relationships_of(account: HubSpotAccount) -> QuerySet[Relationship]:
    return account.relationships.select_related("ended_by").order_by("-started_on", "kind", "pk")


def relationships_for(user) -> QuerySet[Relationship]:
    return Relationship.objects.filter(account__in=accounts_for(user)).select_related(
        "account", "ended_by"
    )


def managing_partners_of(account: HubSpotAccount) -> QuerySet[ManagingPartners]:
    return account.managing_partners.order_by("-effective_from", "-pk")


def connections_of(account: HubSpotAccount) -> QuerySet[EmployeeConnection]:
    return account.connections.select_related("employee", "confirmed_by").order_by(
        "employee__full_name", "employee__email", "pk"
    )


def changes_of(subscription: Subscription) -> QuerySet[SubscriptionChange]:
    return subscription.changes.select_related("recorded_by").order_by("-effective_on", "-id")


# ---------------------------------------------------------------- activities


def activities_for(user) -> QuerySet[QualifyingActivity]:
    """Every activity for managers and admins; an agent's own; nothing for clients."""
    qs = QualifyingActivity.objects.for_user(user).select_related(
        "employee", "account", "activity_type", "recorded_by"
    )
    if sees_everything(user):
        return qs
    if getattr(user, "is_agency_staff", False):
        return qs.filter(employee=user)
    return qs.none()


def filter_activities(
    qs: QuerySet[QualifyingActivity], params: Params
) -> tuple[QuerySet[QualifyingActivity], dict[str, str]]:
    """By employee, account (its id, or ``account_q``: part of its name or its hub id), tool,
    activity type, month (``YYYY-MM``), source, and a date range (``since`` / ``until``, ISO
    dates, both included)."""
    active: dict[str, str] = {}
    for name, lookup in (
        ("employee", "employee_id"),
        ("account", "account_id"),
        ("activity_type", "activity_type_id"),
    ):
        value = parse_id(params.get(name))
        if value is not None:
            qs = qs.filter(**{lookup: value})
            active[name] = str(value)
    account_q = _text(params, "account_q")
    if account_q:
        qs = qs.filter(Q(account__name__icontains=account_q) | Q(account__hub_id=account_q))
        active["account_q"] = account_q
    tool = _text(params, "tool")
    if tool in Tool.values:
        qs = qs.filter(activity_type__tool=tool)
        active["tool"] = tool
    month = parse_month(params.get("month"))
    if month is not None:
        qs = qs.filter(occurred_on__gte=month, occurred_on__lt=next_month(month))
        active["month"] = month.strftime("%Y-%m")
    source = _text(params, "source")
    if source in ActivitySource.values:
        qs = qs.filter(source=source)
        active["source"] = source
    for name, lookup in (("since", "occurred_on__gte"), ("until", "occurred_on__lte")):
        value = params.get(name)
        if isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(_text(params, name, 10))
            except ValueError:
                continue
        qs = qs.filter(**{lookup: day})
        active[name] = day.isoformat()
    return qs, active


TOTALS_MONTHS = 12


def totals_since(day: dt.date, months: int = TOTALS_MONTHS) -> dt.date:
    """The first day of the ``months`` months up to ``day``'s (the default totals window)."""
    index = day.year * 12 + day.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def activity_totals(
    qs: QuerySet[QualifyingActivity], *, since: dt.date | None = None
) -> dict[str, list]:
    """Totals of the filtered activities (on or after ``since``, if given) per tool, per
    employee (the 100 busiest) and per month: one grouped query over the activities (a scan,
    not three) and the names of the few types and employees it found."""
    base = qs.order_by()
    if since is not None:
        base = base.filter(occurred_on__gte=since)
    grouped = (
        base.annotate(month=TruncMonth("occurred_on"))
        .values("activity_type_id", "employee_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_type: dict[int, int] = {}
    per_employee: dict[int, int] = {}
    per_month: dict[str, int] = {}
    for row in grouped:
        n = row["n"]
        per_type[row["activity_type_id"]] = per_type.get(row["activity_type_id"], 0) + n
        per_employee[row["employee_id"]] = per_employee.get(row["employee_id"], 0) + n
        month = _month_of(row["month"])
        per_month[month] = per_month.get(month, 0) + n
    tool_of = dict(ActivityType.objects.filter(pk__in=per_type).values_list("pk", "tool"))
    per_tool: dict[str, int] = {}
    for type_id, n in per_type.items():
        tool = tool_of.get(type_id, "")
        per_tool[tool] = per_tool.get(tool, 0) + n
    labels = dict(Tool.choices)
    busiest = sorted(per_employee.items(), key=lambda item: (-item[1], item[0]))[:100]
    names = {
        u.pk: u.full_name or u.email
        for u in get_user_model()
        ._default_manager.filter(pk__in=[pk for pk, _n in busiest])
        .only("pk", "full_name", "email")
    }
    return {
        "by_tool": [
            {"tool": tool, "label": str(labels.get(tool, tool)), "count": n}
            for tool, n in sorted(per_tool.items(), key=lambda item: (-item[1], item[0]))
        ],
        "by_employee": [
            {"employee_id": pk, "employee": names.get(pk, ""), "count": n} for pk, n in busiest
        ],
        "by_month": [
            {"month": month, "count": per_month[month]} for month in sorted(per_month, reverse=True)
        ],
    }


def _month_of(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)[:7]


def activity_for(user, pk: int) -> QualifyingActivity:
    activity = activities_for(user).filter(pk=pk).first()
    if activity is None:
        raise Http404("Not found.")
    return activity


def activity_types(*, offered_only: bool = False) -> QuerySet[ActivityType]:
    qs = ActivityType.objects.order_by("tool", "order", "name", "pk")
    return qs.filter(is_active=True) if offered_only else qs


def employees() -> QuerySet:
    """The active agency users (who perform activities and hold certifications)."""
    return get_user_model()._default_manager.agency_staff()


def employees_for(user) -> QuerySet:
    """Whom ``user`` may record activities for: anyone (managers, admins) or themselves."""
    qs = employees()
    return qs if sees_everything(user) else qs.filter(pk=getattr(user, "pk", None))


# ---------------------------------------------------------------- certifications


def certifications_for(user) -> QuerySet[Certification]:
    if not getattr(user, "is_agency_staff", False) or not getattr(user, "is_active", False):
        return Certification.objects.none()
    qs = Certification.objects.select_related("employee")
    return qs if sees_everything(user) else qs.filter(employee=user)


def filter_certifications(
    qs: QuerySet[Certification], params: Params, *, day: dt.date
) -> tuple[QuerySet[Certification], dict[str, str]]:
    """By employee, name (search), and state on ``day``: ``valid``, ``expired`` or
    ``expiring`` (within ``expiring_days``, default 30)."""
    active: dict[str, str] = {}
    employee = parse_id(params.get("employee"))
    if employee is not None:
        qs = qs.filter(employee_id=employee)
        active["employee"] = str(employee)
    q = _text(params, "q")
    if q:
        qs = qs.filter(name__icontains=q)
        active["q"] = q
    state = _text(params, "state")
    valid = Q(expires_on__isnull=True) | Q(expires_on__gte=day)
    if state == "valid":
        qs = qs.filter(valid)
    elif state == "expired":
        qs = qs.filter(expires_on__lt=day)
    elif state == "expiring":
        try:
            days = max(0, min(3650, int(str(params.get("expiring_days") or 30))))
        except ValueError:
            days = 30
        qs = qs.filter(expires_on__gte=day, expires_on__lte=day + dt.timedelta(days=days))
    else:
        state = ""
    if state:
        active["state"] = state
    return qs, active


def certification_for(user, pk: int) -> Certification:
    certification = certifications_for(user).filter(pk=pk).first()
    if certification is None:
        raise Http404("Not found.")
    return certification


# ---------------------------------------------------------------- configuration


def point_rates() -> QuerySet[PointRate]:
    return PointRate.objects.select_related("changed_by").order_by("-effective_from")


def currency_rates(currency: str = "") -> QuerySet[CurrencyRate]:
    qs = CurrencyRate.objects.select_related("changed_by").order_by("currency", "-effective_from")
    code = currency.strip().upper()[:3]
    return qs.filter(currency=code) if code else qs


def current_currency_rates(day: dt.date) -> QuerySet[CurrencyRate]:
    """The version of each currency in force on ``day`` (one row per currency)."""
    newer = CurrencyRate.objects.filter(
        currency=OuterRef("currency"),
        effective_from__lte=day,
        effective_from__gt=OuterRef("effective_from"),
    )
    return (
        CurrencyRate.objects.filter(effective_from__lte=day)
        .exclude(Exists(newer))
        .order_by("currency")
    )


def currency_codes() -> list[str]:
    return list(
        CurrencyRate.objects.order_by("currency").values_list("currency", flat=True).distinct()
    )


def tiers() -> QuerySet[Tier]:
    return Tier.objects.order_by("order", "pk")


def tier_reviews() -> QuerySet[TierReview]:
    return TierReview.objects.select_related("tier").order_by("-reviewed_on")


def mappings() -> QuerySet[ActivityMapping]:
    return ActivityMapping.objects.select_related(
        "activity_type", "task_category", "stage__pipeline"
    ).order_by("activity_type__tool", "activity_type__name", "pk")
