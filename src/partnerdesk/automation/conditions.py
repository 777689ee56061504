"""The record context workflows see, and the condition tree evaluated over it.

A condition tree is {"all": [...]} or {"any": [...]} of leaves
{"field": "deal.properties.domain_name", "op": "is_set"} or {"field": ..., "op": "equals", "value": ...}.
An empty tree always holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.errors import DomainError
from partnerdesk.crm.models import Deal, StageKind
from partnerdesk.portal.models import Task
from partnerdesk.tickets.models import Ticket

OPERATORS = {
    "is_set": _("is set"),
    "is_not_set": _("is not set"),
    "equals": _("equals"),
    "not_equals": _("does not equal"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "gt": _("is greater than"),
    "gte": _("is at least"),
    "lt": _("is less than"),
    "lte": _("is at most"),
    "in": _("is one of (comma-separated)"),
}
UNARY = {"is_set", "is_not_set"}

BASE_FIELDS = {
    "deal": ["name", "amount", "currency", "pipeline", "stage", "stage_kind", "owner", "products"],
    "company": ["name", "domain", "country", "lifecycle", "won_deals_before"],
    "ticket": ["name", "priority", "pipeline", "stage", "owner", "sla_target"],
    "task": ["title", "status", "category", "assignee"],
}


def _record(obj, fields) -> dict:
    data = {}
    for name in fields:
        value = getattr(obj, name, None)
        data[name] = str(value) if hasattr(value, "pk") else value
    data["properties"] = dict(getattr(obj, "properties", {}) or {})
    return data


def _ids(record) -> dict:
    """The record's references by id: what the editor's pickers compare (``fields``)."""
    return {
        "id": record.pk,
        "pipeline_id": record.pipeline_id,
        "stage_id": record.stage_id,
        "owner_id": record.owner_id,
    }


def line_items(deal: Deal) -> list:
    """The deal's line items with their products: prefetched with the deal when the engine
    loaded it (``engine.SUBJECT_LOADING``), else one query."""
    if "line_items" in getattr(deal, "_prefetched_objects_cache", {}):
        return list(deal.line_items.all())
    return list(deal.line_items.select_related("product"))


def _won_deals(company) -> Any:
    return Deal.objects.filter(company=company, stage__kind=StageKind.WON)


def won_deals_before() -> Coalesce:
    """For a deal row (an annotation): how many deals its company won before it, itself left
    out: those closed earlier, or every won deal when it is not closed. What
    :func:`build_context` counts with a query of its own when the deal was read without it."""
    won = _won_deals(OuterRef("company")).exclude(pk=OuterRef("pk"))
    won = won.filter(
        Q(closed_at__lt=OuterRef("closed_at")) | Q(IsNull(OuterRef("closed_at"), True))
    )
    return Coalesce(
        Subquery(won.order_by().values("company").annotate(n=Count("pk")).values("n")), 0
    )


def _won_deals_before(company, deal) -> int:
    if deal is None:
        return _won_deals(company).count()
    known = getattr(deal, "won_deals_before", None)  # read with the deal (engine.SUBJECT_LOADING)
    if known is not None:
        return known
    won = _won_deals(company).exclude(pk=deal.pk)
    if deal.closed_at:
        won = won.filter(closed_at__lt=deal.closed_at)
    return won.count()


def build_context(*, event, subject) -> dict:
    """Plain data about the event's record, its deal and company, for conditions and texts.
    A task request's state change also gives ``event.from`` and ``event.to`` (the statuses)."""
    # The event's data may hold its own "kind" (a stage kind): event.kind stays the event's.
    context: dict = {"event": {**event.data, "kind": event.kind}}
    deal = company = ticket = None
    if isinstance(subject, Deal):
        deal, company = subject, subject.company
    elif isinstance(subject, Ticket):
        ticket, deal, company = subject, subject.deal, subject.company
    elif isinstance(subject, Task):
        company = subject.company
        context["task"] = _record(subject, ["title", "status", "category", "assignee"])
        context["task"]["id"] = subject.pk
        context["task"]["assignee_id"] = subject.assignee_id
    if deal is not None:
        context["deal"] = _record(
            deal, ["name", "amount", "currency", "pipeline", "stage", "owner"]
        )
        context["deal"].update(_ids(deal))
        context["deal"]["close_date"] = deal.close_date.isoformat() if deal.close_date else None
        context["deal"]["stage_kind"] = deal.stage.kind
        items = line_items(deal)
        context["deal"]["products"] = sorted({li.product.name for li in items})
        context["deal"]["product_ids"] = sorted({li.product_id for li in items})
    if company is not None:
        context["company"] = _record(company, ["name", "domain", "country", "lifecycle"])
        context["company"]["id"] = company.pk
        context["company"]["won_deals_before"] = _won_deals_before(company, deal)
    if ticket is not None:
        context["ticket"] = _record(ticket, ["name", "priority", "pipeline", "stage", "owner"])
        context["ticket"].update(_ids(ticket))
        context["ticket"]["sla_target"] = event.data.get("target")
    return context


def lookup(context: dict, path: str):
    value = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _number(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _date(value) -> dt.date | None:
    """An ISO date ("2025-03-31"), else None."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _leaf(leaf: dict, context: dict) -> bool:
    op = leaf.get("op")
    actual = lookup(context, str(leaf.get("field", "")))
    expected = leaf.get("value")
    empty = actual in (None, "", [], {})
    if op == "is_set":
        return not empty
    if op == "is_not_set":
        return empty
    if op in ("gt", "gte", "lt", "lte"):
        a, b = _number(actual), _number(expected)
        if a is None and b is None:  # two dates compare as dates
            a, b = _date(actual), _date(expected)
        if a is None or b is None:
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op in ("contains", "not_contains"):
        haystack = (
            [str(v).lower() for v in actual]
            if isinstance(actual, list)
            else str(actual or "").lower()
        )
        found = str(expected or "").lower() in haystack
        return found if op == "contains" else not found
    if op == "in":
        options = [o.strip().lower() for o in str(expected or "").split(",") if o.strip()]
        return str(actual).lower() in options
    a_num, b_num = _number(actual), _number(expected)
    same = (
        (a_num == b_num)
        if a_num is not None and b_num is not None
        else str(actual or "").lower() == str(expected or "").lower()
    )
    return same if op == "equals" else not same


def top_group(tree: Mapping[str, Any] | None) -> tuple[Literal["all", "any"], list[dict]]:
    """The top group of a condition tree as (all/any, children); a lone condition is a group
    of one."""
    if not tree:
        return "all", []
    if "any" in tree:
        return "any", list(tree["any"])
    if "all" in tree:
        return "all", list(tree["all"])
    return "all", [dict(tree)]


def holds(tree: dict | None, context: dict) -> bool:
    if not tree:
        return True
    if "all" in tree:
        return all(holds(child, context) for child in tree["all"])
    if "any" in tree:
        return any(holds(child, context) for child in tree["any"]) if tree["any"] else True
    return _leaf(tree, context)


def validate(tree, *, depth: int = 0) -> dict:
    """Check a tree's shape; raise DomainError naming what is wrong."""

    def bad(message):
        return DomainError(code="invalid_conditions", message=message, field="conditions")

    if tree in (None, {}):
        return {}
    if not isinstance(tree, dict) or depth > 5:
        raise bad(_("Conditions must be a tree of “all”/“any” groups at most 5 deep."))
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        children = tree[key]
        if not isinstance(children, list) or len(children) > 50:
            raise bad(_("A group holds a list of at most 50 conditions."))
        return {key: [validate(child, depth=depth + 1) for child in children]}
    field, op = tree.get("field"), tree.get("op")
    if not isinstance(field, str) or not field or len(field) > 120:
        raise bad(_("Each condition names a field such as deal.properties.domain_name."))
    if field.split(".")[0] not in BASE_FIELDS and field.split(".")[0] != "event":
        raise bad(
            _("“%(f)s” does not start with deal., company., ticket., task. or event.")
            % {"f": field}
        )
    if op not in OPERATORS:
        raise bad(_("Unknown operator “%(op)s”.") % {"op": op})
    leaf = {"field": field, "op": op}
    if op not in UNARY:
        value = tree.get("value", "")
        if not isinstance(value, (str, int, float)) or len(str(value)) > 500:
            raise bad(_("A condition's value is text or a number."))
        leaf["value"] = value
    return leaf
