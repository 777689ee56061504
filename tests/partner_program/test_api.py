"""The partner program's API: every operation's happy path through the services the pages use,
and bad input answered with a problem naming the field while nothing is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from partnerdesk.core.models import Event
from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import (
    ActivityMapping,
    ActivityType,
    Certification,
    CurrencyRate,
    EndReason,
    HubSpotAccount,
    ManagingPartners,
    PointRate,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    Subscription,
    Tier,
    TierReview,
)
from partnerdesk.portal.models import TaskCategory

from .conftest import TODAY, act, subscribe

pytestmark = pytest.mark.django_db


def send(client, method, path, body=None):
    if body is None:
        return client.generic(method, f"/api{path}")
    return client.generic(method, f"/api{path}", json.dumps(body), "application/json")


@pytest.fixture
def api(api_client_for, manager, set_today):
    return api_client_for(manager)


@pytest.fixture
def admin_api(api_client_for, admin, set_today):
    return api_client_for(admin)


def problem(response, status, field):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field, body
    assert body["message"]
    return body


# ---------------------------------------------------------------- accounts


def test_account_lifecycle(api, company):
    body = {"company_id": company.pk, "hub_id": "5512", "name": "Acme", "opened_on": "2021-02-01"}
    response = send(api, "POST", "/partner/accounts", body)
    assert response.status_code == 201, response.content
    account = response.json()
    assert (account["hub_id"], account["company_name"]) == ("5512", "Acme Dental")
    path = f"/partner/accounts/{account['id']}"
    assert send(api, "GET", path).json()["name"] == "Acme"
    patched = send(api, "PATCH", path, {"name": "Acme EU", "growth_market": True}).json()
    assert (patched["name"], patched["growth_market"]) == ("Acme EU", True)
    listed = send(api, "GET", "/partner/accounts?q=acme").json()
    assert [a["id"] for a in listed["items"]] == [account["id"]]
    assert listed["items"][0]["relationships"] == []
    # The same hub id again: a conflict naming the field; nothing written.
    again = send(api, "POST", "/partner/accounts", body)
    problem(again, 409, "hub_id")
    assert HubSpotAccount.objects.count() == 1


def test_account_list_filters_and_points(api, manager, managed_account, company):
    other = services.account_create(
        by=manager, company=company, hub_id="99", name="Zed", opened_on=dt.date(2020, 1, 1)
    )
    body = send(api, "GET", "/partner/accounts?relationship=managed").json()
    assert [a["id"] for a in body["items"]] == [managed_account.pk]
    row = body["items"][0]
    assert row["relationships"] == ["managed"]
    assert (row["managed_points"], row["total_points"], row["usd"]) == ("10.00", "10.00", "1000.00")
    assert row["managed_credit"] is True
    by_points = send(api, "GET", "/partner/accounts?sort=-total").json()
    assert [a["id"] for a in by_points["items"]] == [managed_account.pk, other.pk]
    assert send(api, "GET", "/partner/accounts?relationship=nope").status_code == 422


def test_points_say_how_they_were_computed(api, manager, managed_account):
    services.managing_partners_set(
        by=manager, account=managed_account, count=2, effective_from=dt.date(2025, 1, 1)
    )
    body = send(api, "GET", f"/partner/accounts/{managed_account.pk}/points").json()
    assert body["managed_points"] == "5.00"  # half of 10: two partners manage it
    assert body["split"] == 2
    assert all(c["ok"] for c in body["conditions"])
    (sub,) = body["subscriptions"]
    assert (sub["mrr"], sub["currency"], sub["per_100_usd"]) == ("1000.00", "USD", "100.0000")
    assert "÷ 2 managing partners" in sub["steps"][-1]
    # A past day uses what was in force then: no managed relationship before 2024.
    old = send(api, "GET", f"/partner/accounts/{managed_account.pk}/points?on=2023-06-01").json()
    assert old["managed_points"] == "0.00" and old["subscriptions"] == []


def test_end_services(api, managed_account):
    path = f"/partner/accounts/{managed_account.pk}/end-services"
    problem(send(api, "POST", path, {"reason": ""}), 422, "reason")
    response = send(api, "POST", path, {"reason": "Moved to another agency"})
    assert response.status_code == 200
    assert response.json()["services_ended_on"] == TODAY.isoformat()
    managed = Relationship.objects.get(account=managed_account, kind=RelationshipKind.MANAGED)
    assert (managed.ended_on, managed.end_reason) == (TODAY, EndReason.SERVICES_ENDED)
    points = send(api, "GET", f"/partner/accounts/{managed_account.pk}/points").json()
    assert points["managed_points"] == "0.00"
    problem(send(api, "POST", path, {"reason": "Again"}), 409, None)


# ---------------------------------------------------------------- subscriptions


def test_subscription_operations(api, account):
    path = f"/partner/accounts/{account.pk}/subscriptions"
    body = {
        "product": "Marketing Hub Pro",
        "mrr": "880.00",
        "currency": "EUR",
        "start_date": "2024-01-01",
    }
    created = send(api, "POST", path, body)
    assert created.status_code == 201, created.content
    sub = created.json()
    assert sub["history"] == [
        {
            "effective_on": "2024-01-01",
            "mrr": "880.00",
            "currency": "EUR",
            "recorded_by_id": sub["history"][0]["recorded_by_id"],
        }
    ]
    sub_path = f"/partner/subscriptions/{sub['id']}"
    assert send(api, "GET", path).json()["items"][0]["id"] == sub["id"]
    assert send(api, "GET", sub_path).json()["product"] == "Marketing Hub Pro"
    patched = send(api, "PATCH", sub_path, {"seats": 4, "renewal_date": "2026-01-01"}).json()
    assert (patched["seats"], patched["renewal_date"]) == (4, "2026-01-01")
    cleared = send(api, "PATCH", sub_path, {"renewal_date": None}).json()
    assert cleared["renewal_date"] is None
    changed = send(api, "POST", f"{sub_path}/mrr", {"mrr": 1000, "effective_on": "2025-03-01"})
    assert changed.status_code == 200, changed.content
    assert [h["mrr"] for h in changed.json()["history"]] == ["1000.00", "880.00"]
    assert send(api, "POST", f"{sub_path}/cancel").json()["status"] == "cancelled"
    ended = send(api, "POST", f"{sub_path}/end", {"ended_on": "2025-03-10"}).json()
    assert (ended["status"], ended["mrr"], ended["ended_on"]) == ("ended", "0.00", "2025-03-10")


def test_subscription_bad_input_writes_nothing(api, manager, account):
    path = f"/partner/accounts/{account.pk}/subscriptions"
    body = {"product": "Sales Hub", "mrr": "100", "currency": "USD", "start_date": "2024-01-01"}
    events = Event.objects.count()
    problem(send(api, "POST", path, {**body, "currency": "XYZ"}), 422, "currency")
    problem(send(api, "POST", path, {**body, "mrr": "-1"}), 422, "mrr")
    problem(send(api, "POST", path, {**body, "start_date": "2019-01-01"}), 422, "start_date")
    problem(send(api, "POST", path, {**body, "start_date": 20240101}), 422, "start_date")
    problem(send(api, "POST", path, {**body, "colour": "red"}), 422, "colour")
    assert not Subscription.objects.exists()
    assert Event.objects.count() == events
    sub = subscribe(manager, account)
    mrr_path = f"/partner/subscriptions/{sub.pk}/mrr"
    problem(send(api, "POST", mrr_path, {"mrr": "-10", "effective_on": "2025-01-01"}), 422, "mrr")
    problem(
        send(api, "POST", mrr_path, {"mrr": "10", "effective_on": "2025-04-01"}),
        422,
        "effective_on",
    )
    problem(
        send(api, "POST", mrr_path, {"mrr": "10", "effective_on": "2025-01-01", "currency": "ABC"}),
        422,
        "currency",
    )
    assert sub.changes.count() == 1


# ---------------------------------------------------------------- relationships and more


def test_relationships(api, account):
    path = f"/partner/accounts/{account.pk}/relationships"
    created = send(api, "POST", path, {"kind": "sourced", "started_on": "2024-01-01"})
    assert created.status_code == 201, created.content
    # Overlapping periods of one kind: refused, naming the field; nothing written.
    clash = send(api, "POST", path, {"kind": "sourced", "started_on": "2024-06-01"})
    body = problem(clash, 422, "started_on")  # bad input, not a conflict
    assert body["code"] == "overlapping_relationship"
    problem(send(api, "POST", path, {"kind": "resold", "started_on": "2024-06-01"}), 422, "kind")
    assert Relationship.objects.count() == 1
    listed = send(api, "GET", path).json()
    assert [r["kind"] for r in listed["items"]] == ["sourced"]
    end = send(
        api,
        "POST",
        f"/partner/relationships/{created.json()['id']}/end",
        {"ended_on": "2025-01-01", "note": "Handed over"},
    )
    assert end.status_code == 200
    assert (end.json()["ended_on"], end.json()["end_note"]) == ("2025-01-01", "Handed over")


def test_managing_partners_and_connections(api, account, agent):
    path = f"/partner/accounts/{account.pk}/managing-partners"
    created = send(api, "POST", path, {"count": 3, "effective_from": "2024-01-01"})
    assert created.status_code == 201
    problem(send(api, "POST", path, {"count": 0, "effective_from": "2024-01-01"}), 422, "count")
    assert [m["count"] for m in send(api, "GET", path).json()["items"]] == [3]
    assert ManagingPartners.objects.count() == 1
    conn = f"/partner/accounts/{account.pk}/connections/{agent.pk}"
    flags = {"in_partner_account": True, "client_assigned": False, "in_client_account": True}
    confirmed = send(api, "PUT", conn, flags).json()
    assert confirmed["complete"] is False
    assert confirmed["failing"] == ["the client is not assigned to the user"]
    listed = send(api, "GET", f"/partner/accounts/{account.pk}/connections").json()
    assert [c["employee_id"] for c in listed["items"]] == [agent.pk]
    problem(send(api, "PUT", conn, {**flags, "client_assigned": 1}), 422, "client_assigned")


# ---------------------------------------------------------------- activities


def test_activities(api, api_client_for, manager, agent, admin, account, blog_post):
    body = {
        "account_id": account.pk,
        "employee_id": agent.pk,
        "activity_type_id": blog_post.pk,
        "occurred_on": "2025-03-10",
    }
    created = send(api, "POST", "/partner/activities", body)
    assert created.status_code == 201, created.content
    activity = created.json()
    assert (activity["employee_id"], activity["source"], activity["tool"]) == (
        agent.pk,
        "api",
        "marketing",
    )
    # The first activity started the managed relationship.
    assert Relationship.objects.get(account=account).kind == RelationshipKind.MANAGED
    events = Event.objects.count()
    problem(
        send(api, "POST", "/partner/activities", {**body, "occurred_on": "2025-03-15"}),
        422,
        "occurred_on",
    )
    problem(
        send(api, "POST", "/partner/activities", {**body, "occurred_on": "2019-12-31"}),
        422,
        "occurred_on",
    )
    problem(
        send(api, "POST", "/partner/activities", {**body, "activity_type_id": 999999}),
        422,
        "activity_type_id",
    )
    problem(
        send(api, "POST", "/partner/activities", {**body, "account_id": 999999}), 422, "account_id"
    )
    assert QualifyingActivity.objects.count() == 1
    assert Event.objects.count() == events
    # An agent reads and records only their own.
    act(manager, account, admin, dt.date(2025, 3, 1))
    as_agent = api_client_for(agent)
    mine = send(as_agent, "GET", "/partner/activities").json()
    assert [a["id"] for a in mine["items"]] == [activity["id"]]
    assert (
        send(as_agent, "POST", "/partner/activities", {**body, "employee_id": admin.pk}).status_code
        == 403
    )
    own = send(as_agent, "POST", "/partner/activities", {**body, "employee_id": None})
    assert own.status_code == 201 and own.json()["employee_id"] == agent.pk
    others = QualifyingActivity.objects.get(employee=admin)
    assert send(as_agent, "GET", f"/partner/activities/{others.pk}").status_code == 404
    # Filters and totals, for everyone the manager may see.
    listed = send(api, "GET", f"/partner/activities?employee_id={admin.pk}").json()
    assert [a["employee_id"] for a in listed["items"]] == [admin.pk]
    totals = send(api, "GET", "/partner/activity-totals?month=2025-03").json()
    assert totals["by_tool"] == [{"tool": "marketing", "label": "Marketing Hub", "count": 3}]
    assert {e["employee_id"]: e["count"] for e in totals["by_employee"]} == {
        agent.pk: 2,
        admin.pk: 1,
    }
    assert totals["by_month"] == [{"month": "2025-03", "count": 3}]
    assert send(api, "GET", f"/partner/activities/{activity['id']}").json()["id"] == activity["id"]
    assert send(api, "DELETE", f"/partner/activities/{activity['id']}").status_code == 204
    assert not QualifyingActivity.objects.filter(pk=activity["id"]).exists()


def test_certifications(api, api_client_for, agent, admin):
    body = {"employee_id": agent.pk, "name": "Inbound", "issued_on": "2025-01-05"}
    created = send(api, "POST", "/partner/certifications", body)
    assert created.status_code == 201, created.content
    path = f"/partner/certifications/{created.json()['id']}"
    patched = send(api, "PATCH", path, {"expires_on": "2026-01-05"}).json()
    assert (patched["expires_on"], patched["valid"]) == ("2026-01-05", True)
    problem(send(api, "PATCH", path, {"expires_on": "2024-01-01"}), 422, "expires_on")
    problem(
        send(api, "POST", "/partner/certifications", {**body, "issued_on": "2025-06-01"}),
        422,
        "issued_on",
    )
    services.certification_add(
        by=admin, employee=admin, name="Sales Software", issued_on=dt.date(2024, 5, 1)
    )
    as_agent = api_client_for(agent)
    assert [
        c["name"] for c in send(as_agent, "GET", "/partner/certifications").json()["items"]
    ] == ["Inbound"]
    assert send(as_agent, "GET", path).status_code == 200
    assert send(as_agent, "PATCH", path, {"name": "x"}).status_code == 403
    assert Certification.objects.count() == 2


# ---------------------------------------------------------------- the program's tables


def test_rates_and_currencies(admin_api, api_client_for, manager):
    rates = {
        "effective_from": "2025-04-01",
        "sourced": "6",
        "assisted": "3",
        "managed": "1.5",
        "growth_multiplier": "2",
    }
    assert send(admin_api, "POST", "/partner/rates", rates).status_code == 201
    problem(
        send(admin_api, "POST", "/partner/rates", {**rates, "effective_from": "2025-01-01"}),
        422,
        "effective_from",
    )
    problem(send(admin_api, "POST", "/partner/rates", {**rates, "managed": "-1"}), 422, "managed")
    assert send(api_client_for(manager), "POST", "/partner/rates", rates).status_code == 403
    assert [r["effective_from"] for r in send(admin_api, "GET", "/partner/rates").json()["items"]][
        :1
    ] == ["2025-04-01"]
    assert PointRate.objects.count() == 2
    currency = {"currency": "chf", "amount_per_100_usd": "91", "effective_from": "2025-04-01"}
    created = send(admin_api, "POST", "/partner/currencies", currency)
    assert created.status_code == 201 and created.json()["currency"] == "CHF"
    problem(
        send(admin_api, "POST", "/partner/currencies", {**currency, "currency": "SWISS"}),
        422,
        "currency",
    )
    problem(
        send(admin_api, "POST", "/partner/currencies", {**currency, "amount_per_100_usd": "0"}),
        422,
        "amount_per_100_usd",
    )
    in_force = send(admin_api, "GET", "/partner/currencies?in_force=true&limit=200").json()
    assert "CHF" not in [c["currency"] for c in in_force["items"]]  # from April
    assert CurrencyRate.objects.filter(currency="CHF").count() == 1


def test_tiers_reviews_catalogue_mappings_settings(admin_api):
    tier = send(
        admin_api, "POST", "/partner/tiers", {"name": "Bronze", "order": 0, "min_total_points": 10}
    )
    assert tier.status_code == 201
    problem(send(admin_api, "POST", "/partner/tiers", {"name": "bronze", "order": 1}), 409, "name")
    tier_path = f"/partner/tiers/{tier.json()['id']}"
    assert (
        send(admin_api, "PATCH", tier_path, {"min_total_points": 20}).json()["min_total_points"]
        == 20
    )
    names = [t["name"] for t in send(admin_api, "GET", "/partner/tiers").json()["items"]]
    assert names[0] == "Bronze"
    review = send(
        admin_api,
        "POST",
        "/partner/tier-reviews",
        {"reviewed_on": "2025-01-01", "tier_id": tier.json()["id"]},
    )
    assert review.status_code == 201 and review.json()["tier"] == "Bronze"
    problem(
        send(admin_api, "POST", "/partner/tier-reviews", {"reviewed_on": "2025-02-01"}),
        422,
        "reviewed_on",
    )
    assert (
        send(admin_api, "GET", "/partner/tier-reviews").json()["items"][0]["reviewed_on"]
        == "2025-01-01"
    )
    assert send(admin_api, "DELETE", tier_path).status_code == 409  # a review credited it
    assert TierReview.objects.count() == 1 and Tier.objects.filter(name="Bronze").exists()

    created = send(
        admin_api, "POST", "/partner/activity-types", {"tool": "sales", "name": "Built a quote"}
    )
    assert created.status_code == 201
    type_path = f"/partner/activity-types/{created.json()['id']}"
    assert send(admin_api, "PATCH", type_path, {"is_active": False}).json()["is_active"] is False
    offered = send(
        admin_api, "GET", "/partner/activity-types?tool=sales&offered=true&limit=200"
    ).json()
    assert "Built a quote" not in [t["name"] for t in offered["items"]]
    problem(
        send(admin_api, "POST", "/partner/activity-types", {"tool": "fax", "name": "x"}),
        422,
        "tool",
    )

    category = TaskCategory.objects.order_by("pk").first()
    workflow = ActivityType.objects.get(key="operations-workflow")
    body = {"activity_type_id": workflow.pk, "task_category_id": category.pk}
    before = ActivityMapping.objects.count()
    mapping = send(admin_api, "POST", "/partner/mappings", body)
    assert mapping.status_code == 201, mapping.content
    assert mapping.json()["task_category"] == category.name
    problem(
        send(admin_api, "POST", "/partner/mappings", {"activity_type_id": workflow.pk}),
        422,
        "task_category",
    )
    assert any(
        m["id"] == mapping.json()["id"]
        for m in send(admin_api, "GET", "/partner/mappings?limit=200").json()["items"]
    )
    assert send(admin_api, "DELETE", f"/partner/mappings/{mapping.json()['id']}").status_code == 204
    assert ActivityMapping.objects.count() == before

    settings = send(admin_api, "PATCH", "/partner/settings", {"lapse_alert_days": 30}).json()
    assert settings["lapse_alert_days"] == 30
    assert send(admin_api, "GET", "/partner/settings").json()["relationship_end_days"] == 60
    problem(
        send(admin_api, "PATCH", "/partner/settings", {"lapse_alert_days": 0}),
        422,
        "lapse_alert_days",
    )


def test_standing_and_points_series(api, managed_account):
    body = send(api, "GET", "/partner/standing").json()
    assert body["figures"]["managed"] == "10.00"
    assert body["tier"] is None and body["credited_tier"] is None
    assert body["forecast"]["review_on"] == "2025-06-01"
    assert body["missing"]["tier"]["name"] == "Gold"
    assert "more certified employee" in body["missing"]["sentence"]
    series = send(api, "GET", "/partner/points?months=3").json()["series"]
    assert [p["day"] for p in series] == ["2025-01-31", "2025-02-28", "2025-03-14"]
    assert series[-1]["managed"] == "10.00"
    assert send(api, "GET", "/partner/points?months=99").status_code == 422


def test_a_tier_order_beyond_a_small_integer_is_a_422_not_a_500(db):
    """PostgreSQL stores the order in a smallint: 108,049 must be refused with a problem."""
    from partnerdesk.accounts.models import Role
    from partnerdesk.core.errors import DomainError
    from partnerdesk.partner_program import services
    from tests.conftest import make_user

    admin = make_user("tier-admin@agency.test", Role.ADMIN)
    with pytest.raises(DomainError) as exc:
        services.tier_create(by=admin, name="Huge", order=108_049)
    assert exc.value.field == "order"
