"""The reports' shared parts: the filters (presets, custom ranges, bad input), the portable
percentiles, and one report served alike by the page, the CSV and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict

from partnerdesk.accounts.models import Role
from partnerdesk.crm.models import Company
from partnerdesk.reports.filters import FilterForm, Preset, Scope, preset_range
from partnerdesk.reports.stats import percentiles
from tests.conftest import login

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)


def _form(**params):
    data = QueryDict(mutable=True)
    data.update(params)
    return FilterForm(data, offered=("company",), today=TODAY)


@pytest.mark.parametrize(
    ("preset", "start"),
    [
        (Preset.LAST_7, dt.date(2026, 11, 28)),
        (Preset.LAST_30, dt.date(2026, 11, 5)),
        (Preset.LAST_90, dt.date(2026, 9, 6)),
        (Preset.THIS_QUARTER, dt.date(2026, 10, 1)),
    ],
)
def test_presets_end_today_and_include_both_days(preset, start):
    assert preset_range(preset, TODAY) == (start, TODAY)


def test_no_parameters_mean_the_last_30_days():
    form = _form()
    assert form.is_valid(), form.errors
    filters = form.filters()
    assert (filters.start, filters.end, filters.grain) == (dt.date(2026, 11, 5), TODAY, "week")


def test_a_custom_range_keeps_its_days_in_the_url():
    form = _form(preset="custom", start="2026-01-01", end="2026-03-31", grain="month")
    assert form.is_valid(), form.errors
    params = form.filters().as_params()
    assert params == {
        "preset": "custom",
        "grain": "month",
        "start": "2026-01-01",
        "end": "2026-03-31",
    }


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"preset": "custom"}, "start", "first day"),
        ({"preset": "custom", "start": "2026-02-01", "end": "2026-01-01"}, "end", "before"),
        ({"preset": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "end", "at most"),
        ({"preset": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "start", "valid date"),
        ({"preset": "forever"}, "preset", "valid choice"),
        ({"company": "999999"}, "company", "valid choice"),
    ],
)
def test_bad_filters_say_what_is_wrong(params, field, words):
    form = _form(**params)
    assert not form.is_valid()
    assert words in " ".join(form.errors[field])


def test_nearest_rank_percentiles_grouped_and_not(admin):
    # Ten companies named by their domain length: 1..10 characters, two groups by country.
    for n in range(1, 11):
        Company.objects.create(name=f"C{n}", domain="x" * n, country="IT" if n % 2 else "FR")
    from django.db.models.functions import Length

    qs = Company.objects.annotate(size=Length("domain"))
    assert percentiles(qs, "size") == {(): [5.0, 9.0]}
    grouped = percentiles(qs, "size", group_by=["country"], fractions=[0.5, 0.9, 1.0])
    assert grouped == {("FR",): [6.0, 10.0, 10.0], ("IT",): [5.0, 9.0, 9.0]}
    assert percentiles(qs.filter(pk=0), "size") == {(): [None, None]}


def test_scope_per_role(admin, agent, client_user, django_user_model):
    assert Scope.for_user(admin) == Scope()
    assert Scope.for_user(client_user).company_id == client_user.company_id
    assert Scope.for_user(agent).owner_ids == frozenset({agent.pk})
    assert agent.role == Role.AGENT


def test_the_page_the_csv_and_the_api_agree(admin, api_client_for):
    client = login(admin)
    page = client.get("/app/reports/team-workload/?preset=7d")
    assert page.status_code == 200
    assert b"Team workload" in page.content
    csv = client.get("/app/reports/team-workload/export.csv?preset=7d")
    assert csv.status_code == 200
    assert b"".join(csv.streaming_content).decode().lstrip("\ufeff").startswith("Owner,")
    api = api_client_for(admin).get("/api/reports/team-workload?preset=7d")
    assert api.status_code == 200, api.content
    assert api.json()["columns"][0]["key"] == "owner"
    bad = api_client_for(admin).get("/api/reports/team-workload?preset=custom&start=2026-02-01")
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_filters"
    assert client.get("/app/reports/team-workload/?preset=custom").status_code == 400


def test_the_company_filter_is_one_select_with_every_company_escaped(admin):
    Company.objects.create(name="<b>Acme</b> & Co", domain="acme.test")
    chosen = Company.objects.create(name="Zeta", domain="zeta.test")
    form = _form(company=str(chosen.pk))
    assert form.is_valid(), form.errors
    html = str(form["company"])
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in html
    assert f'<option value="{chosen.pk}" selected>Zeta</option>' in html
    assert html.startswith('<select name="company"') or 'name="company"' in html
    assert '<option value="">Every company</option>' in html
