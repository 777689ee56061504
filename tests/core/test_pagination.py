"""Lists count at most COUNT_CAP rows: past it the page and the API say "more than"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partnerdesk.accounts.models import Role
from partnerdesk.accounts.services import api_token_create
from partnerdesk.core import pagination
from partnerdesk.core.pagination import CappedPaginator, capped_count
from partnerdesk.crm.models import Company
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_companies():
    Company.objects.bulk_create(
        [Company(name=f"Capped {i}", domain=f"capped{i}.example") for i in range(5)]
    )
    return Company.objects.filter(name__startswith="Capped").order_by("name")


def test_capped_count_stops_at_the_cap(five_companies):
    assert capped_count(five_companies, 10) == (5, True)
    assert capped_count(five_companies, 5) == (5, True)
    assert capped_count(five_companies, 4) == (4, False)
    with CaptureQueriesContext(connection) as ctx:
        capped_count(five_companies, 4)
    (query,) = ctx.captured_queries
    assert "LIMIT 5" in query["sql"]  # a bounded subquery, not a count of the whole table
    assert "ORDER BY" not in query["sql"]  # no sort of every matching row before the limit


def test_paginator_pages_on_past_the_cap(five_companies):
    paginator = CappedPaginator(five_companies, 2)
    paginator.cap = 3
    assert (paginator.count, paginator.count_is_exact, paginator.num_pages) == (3, False, 2)
    assert [c.name for c in paginator.page(2)] == ["Capped 2"]


def test_list_page_says_more_than_the_cap(five_companies, monkeypatch):
    admin = make_user("cap-admin@agency.test", Role.ADMIN)
    client = login(admin)
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    html = client.get("/app/companies/?q=Capped").content.decode()
    assert "More than 2 records" in html
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    html = client.get("/app/companies/?q=Capped").content.decode()
    assert "5 records" in html and "More than" not in html


def test_api_count_is_exact_flag(five_companies, monkeypatch):
    admin = make_user("cap-api@agency.test", Role.ADMIN)
    token = api_token_create(user=admin, name="cap")[1]
    headers = {"Authorization": f"Bearer {token}"}
    api = Client(headers=headers)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    body = api.get("/api/companies?q=Capped").json()
    assert (body["count"], body["count_is_exact"]) == (3, False)
    monkeypatch.setattr(pagination, "COUNT_CAP", 10_000)
    body = api.get("/api/companies?q=Capped").json()
    assert (body["count"], body["count_is_exact"]) == (5, True)
