"""Reads for the CRM: they own the select_related/prefetch_related of each page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Count, Model, Prefetch, Q, QuerySet

from partnerdesk.accounts.models import User
from partnerdesk.core.converters import parse_id
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import properties as props
from .models import Company, Contact, Deal, LineItem, Pipeline, Product, PropertyDefinition, Stage


def companies_for(user):
    return Company.objects.for_user(user).select_related("owner")


def contacts_for(user):
    return Contact.objects.for_user(user).select_related("company", "owner")


def deals_for(user):
    return Deal.objects.for_user(user).select_related("pipeline", "stage", "company", "owner")


# ---------------------------------------------------------------- list filters
#
# One definition of each list's search and filters, shared by the list page, its CSV export
# and the API's list operation, so they always return the same rows. ``params`` are named as
# in the page's query string (the API maps its ``owner_id`` to ``owner`` and so on); each
# function returns the filtered queryset and the filters that applied, as text.

Params = Mapping[str, Any]

COMPANY_SEARCH = ("name", "domain", "hub_id")
CONTACT_SEARCH = ("first_name", "last_name", "email", "company__name")
DEAL_SEARCH = ("name", "company__name", "company__domain")


def _search[M: Model](
    qs: QuerySet[M], params: Params, fields: Iterable[str], active: dict[str, str]
) -> QuerySet[M]:
    q = str(params.get("q") or "").strip()[:200]
    if not q:
        return qs
    active["q"] = q
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": q})
    return qs.filter(condition)


def _by_id[M: Model](
    qs: QuerySet[M], params: Params, lookups: Mapping[str, str], active: dict[str, str]
) -> QuerySet[M]:
    for name, lookup in lookups.items():
        value = parse_id(params.get(name))
        if value is not None:
            qs = qs.filter(**{lookup: value})
            active[name] = str(value)
    return qs


def _by_text[M: Model](
    qs: QuerySet[M], params: Params, lookups: Mapping[str, str], active: dict[str, str]
) -> QuerySet[M]:
    for name, lookup in lookups.items():
        value = str(params.get(name) or "").strip()
        if value:
            qs = qs.filter(**{lookup: value})
            active[name] = value
    return qs


def filter_companies(
    qs: QuerySet[Company], params: Params
) -> tuple[QuerySet[Company], dict[str, str]]:
    """Search (name, domain, hub id) and filters: lifecycle, owner, country (any case)."""
    active: dict[str, str] = {}
    qs = _search(qs, params, COMPANY_SEARCH, active)
    qs = _by_text(qs, params, {"lifecycle": "lifecycle"}, active)
    qs = _by_id(qs, params, {"owner": "owner_id"}, active)
    country = str(params.get("country") or "").strip().upper()
    if country:
        qs = qs.filter(country=country)
        active["country"] = country
    return qs, active


def filter_contacts(
    qs: QuerySet[Contact], params: Params
) -> tuple[QuerySet[Contact], dict[str, str]]:
    """Search (names, email, company name) and filters: company, owner."""
    active: dict[str, str] = {}
    qs = _search(qs, params, CONTACT_SEARCH, active)
    qs = _by_id(qs, params, {"company": "company_id", "owner": "owner_id"}, active)
    return qs, active


def filter_deals(qs: QuerySet[Deal], params: Params) -> tuple[QuerySet[Deal], dict[str, str]]:
    """Search (name, company name and domain) and filters: pipeline, stage, owner, company,
    kind (open, won, lost)."""
    active: dict[str, str] = {}
    qs = _search(qs, params, DEAL_SEARCH, active)
    qs = _by_id(
        qs,
        params,
        {
            "pipeline": "pipeline_id",
            "stage": "stage_id",
            "owner": "owner_id",
            "company": "company_id",
        },
        active,
    )
    qs = _by_text(qs, params, {"kind": "stage__kind"}, active)
    return qs, active


# ---------------------------------------------------------------- one record


def company_detail(user, pk):
    return get_object_for_user_or_404(companies_for(user), user, pk=pk)


def contact_detail(user, pk):
    return get_object_for_user_or_404(contacts_for(user), user, pk=pk)


def deal_detail(user, pk):
    qs = deals_for(user).prefetch_related(
        Prefetch("line_items", queryset=LineItem.objects.select_related("product")),
        Prefetch("contacts", queryset=Contact.objects.order_by("last_name", "first_name")),
    )
    return get_object_for_user_or_404(qs, user, pk=pk)


def deal_pipelines():
    stages = Prefetch(
        "stages",
        queryset=Stage.objects.order_by("order", "id").prefetch_related("required_properties"),
    )
    return Pipeline.objects.filter(object_type="deal", archived=False).prefetch_related(stages)


def pipelines_with_counts(object_type: str):
    return Pipeline.objects.filter(object_type=object_type).annotate(stage_count=Count("stages"))


def active_products():
    return Product.objects.filter(active=True)


def staff_users():
    return User.objects.agency_staff()


def property_rows(record, user) -> list[dict]:
    """Custom property values of ``record`` as the user may see them, grouped in order."""
    definitions = list(props.definitions(record.object_type))
    user_ids = [record.properties.get(d.name) for d in definitions if d.type == "user"]
    users = (
        {u.pk: u for u in User.objects.filter(pk__in=[u for u in user_ids if u])}
        if any(user_ids)
        else {}
    )
    rows = []
    for defn in definitions:
        if defn.type == "secret":
            is_set = defn.name in record.secrets
            rows.append(
                {
                    "definition": defn,
                    "secret": True,
                    "is_set": is_set,
                    "value": props.secret_value(record, defn.name, user=user) if is_set else "",
                    "visible": props.can_see_secrets(user),
                }
            )
        else:
            value = record.properties.get(defn.name)
            rows.append(
                {
                    "definition": defn,
                    "secret": False,
                    "is_set": not props.is_empty(value),
                    "value": props.display_value(defn, value, users),
                }
            )
    return rows


def property_definitions(object_type: str | None = None):
    qs = PropertyDefinition.objects.filter(is_builtin=False)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs
