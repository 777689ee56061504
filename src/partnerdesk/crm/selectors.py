"""Reads for the CRM: they own the select_related/prefetch_related of each page."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from partnerdesk.accounts.models import User
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import properties as props
from .models import Company, Contact, Deal, LineItem, Pipeline, Product, PropertyDefinition, Stage


def companies_for(user):
    return Company.objects.for_user(user).select_related("owner")


def contacts_for(user):
    return Contact.objects.for_user(user).select_related("company", "owner")


def deals_for(user):
    return Deal.objects.for_user(user).select_related("pipeline", "stage", "company", "owner")


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
