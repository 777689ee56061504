"""The partner program's pages: who may open them, what they show, and their forms through the
services (a service's error beside its field, nothing written)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.urls import reverse

from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import (
    ActivityType,
    CurrencyRate,
    EndReason,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    Subscription,
)
from tests.conftest import login

from .conftest import TODAY, act, connect, subscribe

pytestmark = pytest.mark.django_db

PAGES = [
    ("partner_program:standing", None),
    ("partner_program:points_history", None),
    ("partner_program:account_list", None),
    ("partner_program:account_create", None),
    ("partner_program:account_detail", "pk"),
    ("partner_program:account_edit", "pk"),
    ("partner_program:end_services", "pk"),
    ("partner_program:activity_list", None),
    ("partner_program:certification_list", None),
    ("partner_program:import_upload", None),
    ("partner_program:rates", None),
    ("partner_program:currencies", None),
    ("partner_program:catalogue", None),
    ("partner_program:mappings", None),
    ("partner_program:tier_table", None),
    ("partner_program:program_settings", None),
]


def _url(name, kwarg, account):
    return reverse(name, kwargs={kwarg: account.pk} if kwarg else {})


def _text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


@pytest.mark.parametrize("role", ["manager", "admin"])
@pytest.mark.parametrize(("name", "kwarg"), PAGES)
def test_pages_render_for_managers_and_admins(role, name, kwarg, request, managed_account):
    client = login(request.getfixturevalue(role))
    response = client.get(_url(name, kwarg, managed_account))
    assert response.status_code == 200, name
    assert b"Partner program" in response.content  # the staff navigation links it


@pytest.mark.parametrize(("name", "kwarg"), PAGES)
def test_client_users_get_not_found(name, kwarg, client_user, managed_account):
    response = login(client_user).get(_url(name, kwarg, managed_account))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "kwarg"), PAGES)
def test_agents_see_only_their_activities_and_certifications(name, kwarg, agent, managed_account):
    response = login(agent).get(_url(name, kwarg, managed_account))
    own = name in ("partner_program:activity_list", "partner_program:certification_list")
    assert response.status_code == (200 if own else 403), name


def test_agent_activity_list_holds_only_their_own(agent, manager, admin, managed_account):
    other_type = ActivityType.objects.get(key="sales-sequence")
    act(manager, managed_account, admin, TODAY - dt.timedelta(days=2), other_type)
    response = login(agent).get(
        reverse("partner_program:activity_list"),
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    text = _text(response)  # the list and its totals, not the form
    assert "Published a blog post" in text  # the agent's (managed_account)
    assert "Created a sequence" not in text  # the admin's
    # The record form offers only the agent as employee.
    body = login(agent).get(reverse("partner_program:activity_list")).content.decode()
    employee_select = re.search(r'<select name="employee".*?</select>', body, flags=re.S)
    options = re.findall(r'<option value="(\d+)"', employee_select.group(0))
    assert options == [str(agent.pk)]


def test_agent_cannot_record_for_someone_else(agent, admin, account, blog_post):
    response = login(agent).post(
        reverse("partner_program:activity_list"),
        {
            "account": account.hub_id,
            "employee": admin.pk,
            "activity_type": blog_post.pk,
            "occurred_on": "2025-03-10",
        },
    )
    assert response.status_code == 400
    assert not QualifyingActivity.objects.exists()


def test_manager_records_an_activity_and_sees_it_counted(manager, agent, account, blog_post):
    subscribe(manager, account)
    connect(manager, account, agent)
    client = login(manager)
    response = client.post(
        reverse("partner_program:activity_list"),
        {
            "account": account.hub_id,
            "employee": agent.pk,
            "activity_type": blog_post.pk,
            "occurred_on": "2025-03-10",
            "note": "Spring launch post",
        },
    )
    assert response.status_code == 302
    activity = QualifyingActivity.objects.get()
    assert (activity.employee, activity.source) == (agent, "manual")
    # The first qualifying activity started the managed relationship: 10 managed points.
    text = _text(client.get(reverse("partner_program:account_detail", args=[account.pk])))
    assert "Managed: 10 × 1 = 10.00 points" in text
    totals = _text(client.get(reverse("partner_program:activity_list") + "?tool=marketing"))
    assert "Per tool Marketing Hub 1" in totals
    assert "Per month 2025-03 1" in totals


def test_activity_in_the_future_is_refused_beside_its_field(manager, agent, account, blog_post):
    response = login(manager).post(
        reverse("partner_program:activity_list"),
        {
            "account": account.hub_id,
            "employee": agent.pk,
            "activity_type": blog_post.pk,
            "occurred_on": "2025-03-20",
        },
    )
    assert response.status_code == 400
    assert re.search(r'id="err-occurred_on".*in the future', response.content.decode(), re.S)
    assert not QualifyingActivity.objects.exists()


def test_account_page_says_which_condition_fails(manager, agent, account):
    subscribe(manager, account)
    services.relationship_add(
        by=manager, account=account, kind=RelationshipKind.MANAGED, started_on=TODAY
    )
    connect(manager, account, agent, complete=False)  # not in the client's account
    text = _text(login(manager).get(reverse("partner_program:account_detail", args=[account.pk])))
    assert "Fails: No active employee is correctly connected" in text
    assert "Fails: No qualifying activity has been recorded." in text
    assert "Met: A managed relationship is in force." in text
    assert "not a user in the client's account" in text
    assert "No managed credit" in text


def test_account_page_shows_how_points_are_computed_in_another_currency(manager, account):
    subscribe(manager, account, mrr="880", currency="EUR")
    services.relationship_add(
        by=manager,
        account=account,
        kind=RelationshipKind.SOURCED,
        started_on=dt.date(2024, 1, 1),
    )
    text = _text(login(manager).get(reverse("partner_program:account_detail", args=[account.pk])))
    assert "880.00 EUR ÷ 88 EUR per 100 USD = 10 × 100 USD" in text
    assert "Sourced: 10 × 5 = 50.00 points" in text


def test_subscription_with_negative_mrr_or_unknown_currency_writes_nothing(manager, account):
    client = login(manager)
    url = reverse("partner_program:account_detail", args=[account.pk])
    data = {
        "action": "add_subscription",
        "sub-product": "Sales Hub Professional",
        "sub-mrr": "-5",
        "sub-currency": "USD",
        "sub-start_date": "2024-01-01",
        "sub-seats": "2",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert re.search(r'id="err-sub-mrr".*cannot be negative', response.content.decode(), re.S)
    response = client.post(url, {**data, "sub-mrr": "100", "sub-currency": "XYZ"})
    assert response.status_code == 400  # not a currency of the table: not even offered
    assert not Subscription.objects.exists()
    response = client.post(url, {**data, "sub-mrr": "100"})
    assert response.status_code == 302
    assert Subscription.objects.get().mrr == 100


def test_mrr_change_and_overlapping_relationship(manager, account):
    subscription = subscribe(manager, account)
    client = login(manager)
    url = reverse("partner_program:account_detail", args=[account.pk])
    response = client.post(
        url,
        {
            "action": "change_mrr",
            "mrr-subscription": subscription.pk,
            "mrr-mrr": "1500",
            "mrr-currency": "",
            "mrr-effective_on": "2025-03-01",
        },
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.mrr == 1500
    assert subscription.changes.count() == 2
    services.relationship_add(
        by=manager, account=account, kind=RelationshipKind.SOURCED, started_on=dt.date(2024, 1, 1)
    )
    response = client.post(
        url, {"action": "add_relationship", "rel-kind": "sourced", "rel-started_on": "2024-06-01"}
    )
    assert response.status_code == 400
    assert "cannot overlap" in response.content.decode()
    assert Relationship.objects.filter(kind=RelationshipKind.SOURCED).count() == 1


def test_end_services_asks_for_a_reason_and_confirmation(manager, managed_account):
    client = login(manager)
    url = reverse("partner_program:end_services", args=[managed_account.pk])
    response = client.post(url, {"reason": "Contract not renewed"})  # not confirmed
    assert response.status_code == 400
    managed = Relationship.objects.get(account=managed_account, kind=RelationshipKind.MANAGED)
    assert managed.ended_on is None
    response = client.post(url, {"reason": "Contract not renewed", "confirm": "on"})
    assert response.status_code == 302
    managed.refresh_from_db()
    assert (managed.ended_on, managed.end_reason) == (TODAY, EndReason.SERVICES_ENDED)
    text = _text(client.get(reverse("partner_program:account_detail", args=[managed_account.pk])))
    assert "Services ended: Contract not renewed" in text
    assert "Services ended on" in text  # the managed-credit condition that now fails


def test_settings_are_read_by_managers_and_changed_by_admins(manager, admin, set_today):
    data = {"currency": "CHF", "amount_per_100_usd": "91", "effective_from": "2025-04-01"}
    url = reverse("partner_program:currencies")
    assert login(manager).post(url, data).status_code == 403
    assert not CurrencyRate.objects.filter(currency="CHF").exists()
    response = login(admin).post(url, data)
    assert response.status_code == 302
    assert CurrencyRate.objects.get(currency="CHF").amount_per_100_usd == 91
    # A version in the past needs "correct the past".
    response = login(admin).post(url, {**data, "effective_from": "2025-01-01"})
    assert response.status_code == 400
    assert "confirm that you are correcting the past" in response.content.decode()


def test_standing_shows_the_forecast_and_the_chart_is_inline_svg(manager, managed_account):
    client = login(manager)
    text = _text(client.get(reverse("partner_program:standing")))
    assert "Credited tier" in text and "Forecast for the review of" in text
    assert "For Gold today:" in text
    chart = client.get(reverse("partner_program:points_history"), headers={"HX-Request": "true"})
    body = chart.content.decode()
    assert "<html" not in body  # the fragment the standing page loads
    island = re.search(
        r'<script id="points-over-time" type="application/json">(.*?)</script>', body
    )
    data = json.loads(island.group(1))
    assert [s["label"] for s in data["series"]] == ["Combined", "Sourced", "Managed"]
    assert data["series"][2]["values"][-1] == 10.0  # managed points today
    assert len(data["labels"]) == 12
    assert "cdn" not in body.lower()
    # The chart's library is ours, served with the page: on the standing page and the chart's own.
    page = client.get(reverse("partner_program:points_history")).content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_certifications(manager, agent, admin):
    client = login(manager)
    response = client.post(
        reverse("partner_program:certification_list"),
        {"employee": agent.pk, "name": "Inbound", "issued_on": "2025-01-05"},
    )
    assert response.status_code == 302
    services.certification_add(
        by=manager, employee=admin, name="Sales Software", issued_on=dt.date(2024, 5, 1)
    )
    text = _text(login(agent).get(reverse("partner_program:certification_list")))
    assert "Inbound" in text and "Sales Software" not in text


def test_the_record_form_finds_the_account_by_hub_id_or_name(manager, agent, account, blog_post):
    client = login(manager)
    data = {"employee": agent.pk, "activity_type": blog_post.pk, "occurred_on": "2025-03-10"}
    response = client.post(reverse("partner_program:activity_list"), {**data, "account": "123"})
    assert response.status_code == 400
    assert re.search(r'id="err-account".*No HubSpot account', response.content.decode(), re.S)
    response = client.post(
        reverse("partner_program:activity_list"), {**data, "account": "acme dental"}
    )
    assert response.status_code == 302
    assert QualifyingActivity.objects.get().account == account
    partial = {"HX-Request": "true", "HX-Target": "results"}
    found = login(manager).get(
        reverse("partner_program:activity_list"), {"account_q": "4417286"}, headers=partial
    )
    assert "Published a blog post" in _text(found)
    none = login(manager).get(
        reverse("partner_program:activity_list"),
        {"account_q": "nobody"},
        headers=partial,
    )
    assert "No qualifying activities match." in _text(none)
