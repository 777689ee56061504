"""Reads for the CRM: they own the select_related/prefetch_related of each page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse

from partnerdesk.accounts.models import User
from partnerdesk.core.converters import parse_id
from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import boards, record_pages
from . import properties as props
from .models import (
    Company,
    Contact,
    Deal,
    LineItem,
    Pipeline,
    Product,
    PropertyDefinition,
    Stage,
    StageKind,
)


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


# ---------------------------------------------------------------- the deal board

BOARD_PER_COLUMN = 50


def board_columns(
    user, pipeline: Pipeline, params: Params, *, cards: bool = True
) -> tuple[list[dict], dict[str, str]]:
    """The deal board of ``pipeline``: each stage with its number of deals and their value
    (one aggregate query for every column) and, with ``cards``, its newest deals (at most
    BOARD_PER_COLUMN each, one query for every column), searched like the list.

    A column's ``totals`` are its deals' amounts summed by currency, largest first: deals in
    several currencies are never added up as one number."""
    stages = list(pipeline.stages.order_by("order", "id"))
    deals, active = filter_deals(deals_for(user).filter(pipeline=pipeline), {"q": params.get("q")})
    columns: dict[int, dict[str, Any]] = {
        s.pk: {"stage": s, "deals": [], "count": 0, "exact": True, "totals": []} for s in stages
    }
    sums = (
        deals.order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("stage_id", "-total", "currency")
    )
    for row in sums:
        column = columns.get(row["stage_id"])
        if column is None:  # a deal left in a stage of another pipeline: not on this board
            continue
        column["count"] += row["n"]
        if row["total"] is not None:
            column["totals"].append({"currency": row["currency"], "amount": row["total"]})
    if cards:
        ranked = deals.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("stage_entered_at").desc(nulls_last=True), F("id").desc()],
            )
        ).filter(rank__lte=BOARD_PER_COLUMN)
        links = deal_card_links()
        for deal in ranked.order_by("stage_id", "rank"):
            if deal.stage_id in columns:
                boards.as_card(deal, links)
                columns[deal.stage_id]["deals"].append(deal)
    return list(columns.values()), active


def deal_card_links() -> boards.CardLinks:
    return boards.card_links("crm:deal_detail", "crm:deal_move")


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
    """Custom property values of ``record`` as the user may see them, grouped in order.

    A secret is never in the page: its row says whether it is set and, for those who may see
    secrets, where to reveal it (``crm:secret_reveal``, which records who read it).
    """
    definitions = list(props.definitions(record.object_type))
    user_ids = [record.properties.get(d.name) for d in definitions if d.type == "user"]
    users = (
        {u.pk: u for u in User.objects.filter(pk__in=[u for u in user_ids if u])}
        if any(user_ids)
        else {}
    )
    may_reveal = (
        props.can_see_secrets(user) and record_pages.secret_holder(record.object_type) is not None
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
                    "value": "",
                    "can_reveal": is_set and may_reveal,
                    "reveal_url": reverse(
                        "crm:secret_reveal", args=[record.object_type, record.pk, defn.name]
                    )
                    if is_set and may_reveal
                    else "",
                    "dom_id": f"secret-{record.object_type}-{record.pk}-{defn.name}",
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


# ---------------------------------------------------------------- a record at a glance


def open_deals(user, *, company: Company | None = None, contact: Contact | None = None):
    """The open deals of a company or of a contact, newest first, with what their rows show."""
    qs = deals_for(user).filter(stage__kind=StageKind.OPEN)
    if company is not None:
        qs = qs.filter(company=company)
    if contact is not None:
        qs = qs.filter(contacts=contact)
    return qs.order_by("-created_at", "-id")


def amounts_by_currency(deals: QuerySet[Deal]) -> list[tuple[str, Any]]:
    """The deals' amounts added up per currency (one query), largest first."""
    rows = (
        deals.filter(amount__isnull=False)
        .order_by()
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("-total", "currency")
    )
    return [(row["currency"], row["total"]) for row in rows]


def company_contacts(user, company: Company) -> QuerySet[Contact]:
    """The company's contacts, newest first."""
    return Contact.objects.for_user(user).filter(company=company).order_by("-created_at", "-id")


TIMELINE_LIMIT = 30


def _title_subquery(source: record_pages.TimelineSource) -> Subquery:
    """The source record's name, for the event in the outer query (``subject_id``)."""
    records = source.model._default_manager.filter(pk=OuterRef("subject_id"))
    if isinstance(source.title, str):
        return Subquery(records.values(source.title)[:1])
    return Subquery(records.annotate(_title=source.title).values("_title")[:1])


def record_timeline(record: Company | Contact, user, *, limit: int = TIMELINE_LIMIT) -> list[dict]:
    """One timeline of a company or a contact and the records about them, newest first.

    A company's: every event recorded for the company (``Event.company_id``) whose record type
    is a registered timeline source the user may read — the company, its contacts and deals,
    tickets, client tasks, HubSpot accounts (``record_pages.register_timeline_source``). A
    contact's: their own events and those of the records each source relates to them.
    One query, with each entry's record name read as a subquery per source.
    """
    sources = {
        ContentType.objects.get_for_model(source.model).pk: source
        for source in record_pages.timeline_sources(user)
    }
    own_type = ContentType.objects.get_for_model(record).pk
    if own_type not in sources:
        return []
    events = Event.objects.for_user(user)
    if isinstance(record, Company):
        events = events.filter(company_id=record.pk, subject_type_id__in=list(sources))
    else:
        condition = Q(subject_type_id=own_type, subject_id=record.pk)
        for type_id, source in sources.items():
            related = source.of_contact(record) if source.of_contact else None
            if related is not None:
                condition |= Q(subject_type_id=type_id, subject_id__in=related)
        events = events.filter(condition)
    title = Case(
        *(When(subject_type_id=type_id, then=_title_subquery(s)) for type_id, s in sources.items()),
        default=Value(""),
        output_field=CharField(),
    )
    entries = []
    for event in (
        events.select_related("actor")
        .annotate(subject_title=title)
        .order_by("-occurred_at", "-id")[:limit]
    ):
        source = sources[event.subject_type_id]
        entries.append(
            {
                "event": event,
                "text": describe(event),
                "own": event.subject_type_id == own_type and event.subject_id == record.pk,
                "label": source.label,
                "title": event.subject_title or "",
                "url": reverse(source.url_name, args=[event.subject_id]),
            }
        )
    return entries
