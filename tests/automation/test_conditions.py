"""The condition tree: evaluation (all / any / nested, every operator), validation errors, and
the record context workflows see."""

from __future__ import annotations

import pytest

from partnerdesk.automation import conditions
from partnerdesk.automation.conditions import OPERATORS, holds, lookup, validate
from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from tests.automation import email_deal, win

CONTEXT = {
    "deal": {
        "name": "Acme Mailboxes",
        "amount": "70.00",
        "stage_kind": "won",
        "products": ["Business Email 10 GB", "Extra Storage +5 GB"],
        "properties": {"domain_name": "acme-dental.com", "number_of_licences": 2, "empty": ""},
    },
    "company": {"country": "EG", "won_deals_before": 0, "properties": {}},
    "ticket": {"priority": "high", "sla_target": None, "properties": {"tags": []}},
    "event": {"kind": "deal.stage_changed", "to_stage": "Closed Won"},
}


def leaf(field, op, value=None):
    return {"field": field, "op": op} | ({} if value is None else {"value": value})


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("deal.properties.domain_name", "is_set", None, True),
        ("deal.properties.empty", "is_set", None, False),
        ("deal.properties.missing", "is_set", None, False),
        ("ticket.properties.tags", "is_set", None, False),  # empty list
        ("company.properties", "is_set", None, False),  # empty dict
        ("ticket.sla_target", "is_not_set", None, True),
        ("deal.properties.domain_name", "is_not_set", None, False),
        ("deal.properties.domain_name", "equals", "ACME-dental.com", True),  # case-insensitive
        ("deal.properties.domain_name", "equals", "acme.com", False),
        ("deal.amount", "equals", 70, True),  # numbers compare as numbers
        ("deal.amount", "equals", "70.0", True),
        ("company.won_deals_before", "equals", 0, True),
        ("company.won_deals_before", "equals", "0", True),
        ("deal.properties.missing", "equals", "", True),
        ("deal.amount", "not_equals", 71, True),
        ("company.country", "not_equals", "eg", False),
        ("deal.name", "contains", "mailbox", True),
        ("deal.name", "contains", "website", False),
        ("deal.products", "contains", "business email 10 gb", True),  # list: one element
        ("deal.products", "contains", "Business Email", False),  # ...equals the value
        ("deal.products", "not_contains", "Website Starter", True),
        ("deal.name", "not_contains", "ACME", False),
        ("deal.amount", "gt", 69.99, True),
        ("deal.amount", "gt", 70, False),
        ("deal.amount", "gte", "70", True),
        ("deal.amount", "lt", 70, False),
        ("deal.amount", "lte", 70, True),
        ("company.won_deals_before", "gt", 0, False),
        ("deal.properties.number_of_licences", "lt", 10, True),
        ("deal.name", "gt", 1, False),  # not a number: never greater
        ("deal.properties.missing", "lte", 1, False),
        ("deal.amount", "gt", "many", False),
        ("company.country", "in", "IT, eg ,AE", True),
        ("company.country", "in", "IT,AE", False),
        ("ticket.priority", "in", "", False),
        ("event.to_stage", "equals", "closed won", True),
    ],
)
def test_every_operator(field, op, value, expected):
    assert holds(leaf(field, op, value), CONTEXT) is expected


def test_the_cases_cover_every_operator():
    assert set(OPERATORS) == {
        "is_set",
        "is_not_set",
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
    }


TRUE = leaf("company.country", "equals", "EG")
FALSE = leaf("company.country", "equals", "IT")


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ({}, True),
        (None, True),
        ({"all": []}, True),
        ({"any": []}, True),
        ({"all": [TRUE, TRUE]}, True),
        ({"all": [TRUE, FALSE]}, False),
        ({"any": [FALSE, TRUE]}, True),
        ({"any": [FALSE, FALSE]}, False),
        ({"all": [TRUE, {"any": [FALSE, TRUE]}]}, True),
        ({"all": [TRUE, {"any": [FALSE, FALSE]}]}, False),
        ({"any": [FALSE, {"all": [TRUE, {"any": [TRUE]}]}]}, True),
        ({"any": [FALSE, {"all": [TRUE, {"any": [FALSE]}]}]}, False),
        (TRUE, True),  # a single leaf is a tree
    ],
)
def test_groups_and_nesting(tree, expected):
    assert holds(tree, CONTEXT) is expected


def test_lookup_walks_dotted_paths():
    assert lookup(CONTEXT, "deal.properties.domain_name") == "acme-dental.com"
    assert lookup(CONTEXT, "deal.properties.domain_name.more") is None
    assert lookup(CONTEXT, "nothing.here") is None


def test_validate_returns_the_clean_tree():
    tree = {
        "all": [
            {"field": "deal.properties.domain_name", "op": "is_set", "value": "ignored"},
            {"any": [{"field": "deal.amount", "op": "gt", "value": 10}]},
            {"field": "event.kind", "op": "equals", "value": "deal.stage_changed", "x": 1},
        ]
    }
    assert validate(tree) == {
        "all": [
            {"field": "deal.properties.domain_name", "op": "is_set"},
            {"any": [{"field": "deal.amount", "op": "gt", "value": 10}]},
            {"field": "event.kind", "op": "equals", "value": "deal.stage_changed"},
        ]
    }
    assert validate({}) == {} and validate(None) == {}
    assert validate({"any": [{"field": "ticket.priority", "op": "equals"}]}) == {
        "any": [{"field": "ticket.priority", "op": "equals", "value": ""}]
    }


def nested(depth: int) -> dict:
    tree = TRUE
    for _ in range(depth):
        tree = {"all": [tree]}
    return tree


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"all": [leaf("deal.amount", "bigger", 1)]}, "Unknown operator “bigger”"),
        ({"all": [{"field": "deal.amount"}]}, "Unknown operator “None”"),
        ({"all": [leaf("user.email", "is_set")]}, "does not start with deal., company."),
        ({"all": [{"op": "is_set"}]}, "Each condition names a field"),
        ({"all": [leaf("", "is_set")]}, "Each condition names a field"),
        ({"all": [leaf("deal." + "x" * 120, "is_set")]}, "Each condition names a field"),
        ({"all": [leaf("deal.amount", "equals", [1, 2])]}, "value is text or a number"),
        ({"all": [leaf("deal.amount", "equals", {"a": 1})]}, "value is text or a number"),
        ({"all": [leaf("deal.name", "equals", "x" * 501)]}, "value is text or a number"),
        ({"all": "deal.amount > 1"}, "at most 50 conditions"),
        ({"any": [TRUE] * 51}, "at most 50 conditions"),
        (nested(6), "at most 5 deep"),
        ({"all": ["not a leaf"]}, "at most 5 deep"),
        ([TRUE], "at most 5 deep"),
    ],
)
def test_validation_errors(tree, message):
    with pytest.raises(DomainError) as error:
        validate(tree)
    assert error.value.code == "invalid_conditions"
    assert error.value.field == "conditions"
    assert message in error.value.message


def test_five_levels_are_allowed():
    assert validate(nested(5)) == nested(5)


@pytest.mark.django_db
def test_the_context_of_a_won_deal(admin, company):
    earlier = email_deal(admin, company, name="Earlier")
    earlier = win(earlier, by=admin)
    deal = email_deal(admin, company, name="Later")
    deal = win(deal, by=admin)
    event = Event.objects.get(kind="deal.stage_changed", subject_id=deal.pk)

    context = conditions.build_context(event=event, subject=deal)

    assert context["event"]["to_stage"] == "Closed Won"
    assert context["deal"]["id"] == deal.pk
    assert context["deal"]["stage_kind"] == "won"
    assert context["deal"]["products"] == ["Business Email 10 GB"]
    assert context["deal"]["properties"]["domain_name"] == "acme-dental.com"
    assert context["deal"]["pipeline"] == "Email Subscription"
    assert context["company"]["id"] == company.pk
    assert context["company"]["country"] == "EG"
    assert context["company"]["won_deals_before"] == 1
    first = Event.objects.get(kind="deal.stage_changed", subject_id=earlier.pk)
    assert (
        conditions.build_context(event=first, subject=earlier)["company"]["won_deals_before"] == 0
    )


@pytest.mark.django_db
def test_won_deals_before_read_with_the_deal_is_what_the_context_counts(
    admin, company, other_company
):
    """A batch reads a deal with its company's earlier won deals as a figure of the query
    (engine.SUBJECT_LOADING); it must be what build_context counts for a deal read plain: won
    deals closed before it, itself left out, all of them for a deal not closed."""
    import datetime as dt

    from partnerdesk.automation import engine
    from partnerdesk.crm.models import Deal

    first = win(email_deal(admin, company, name="First"), by=admin)
    second = win(email_deal(admin, company, name="Second"), by=admin)
    Deal.objects.filter(pk=first.pk).update(closed_at=second.closed_at - dt.timedelta(days=1))
    open_one = email_deal(admin, company, name="Open")
    elsewhere = win(email_deal(admin, other_company, name="Elsewhere"), by=admin)
    expected = {first.pk: 0, second.pk: 1, open_one.pk: 2, elsewhere.pk: 0}

    for pk, count in expected.items():
        loaded = engine._loaded(Deal.objects.filter(pk=pk), Deal).get()
        assert loaded.won_deals_before == count
        plain = Deal.objects.select_related("company", "stage").get(pk=pk)
        event = Event.objects.filter(subject_id=pk).first()
        for deal in (loaded, plain):
            context = conditions.build_context(event=event, subject=deal)
            assert context["company"]["won_deals_before"] == count


@pytest.mark.django_db
def test_event_kind_in_the_context_is_the_kind_of_the_event(admin, company):
    """``event.kind`` is the event's kind; the stage kind of a deal move is deal.stage_kind.
    (The event's data also has a "kind" key, the stage kind, which must not replace it.)"""
    deal = email_deal(admin, company)
    deal = win(deal, by=admin)
    event = Event.objects.get(kind="deal.stage_changed", subject_id=deal.pk)

    context = conditions.build_context(event=event, subject=deal)

    assert context["deal"]["stage_kind"] == "won"
    assert context["event"]["kind"] == "deal.stage_changed"
    assert holds(leaf("event.kind", "equals", "deal.stage_changed"), context)
