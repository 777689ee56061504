"""Time in stage against hand-computed figures (tests/reports/ticket_world.py): the stays that
ended in the range per stage of Website Creation, the tickets there now (one waiting on the
customer), the pipeline chosen by default, the page, CSV and API, the agent's scope and bad
filters."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import QueryDict

from partnerdesk.core import clock
from partnerdesk.crm.models import Pipeline
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.filters import FilterForm, Scope
from partnerdesk.reports.format import csv_values
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login
from tests.reports import ticket_world
from tests.reports.ticket_world import NOW, RANGE, H

pytestmark = pytest.mark.django_db

REPORT = REPORTS["time-in-stage"]
DAY = 24 * H


@pytest.fixture
def world(monkeypatch, admin, agent, company, other_company):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return ticket_world.build(
        admin=admin, agent=agent, company=company, other_company=other_company
    )


@pytest.fixture
def website(db):
    return Pipeline.objects.get(object_type="ticket", name="Website Creation")


def run(user, **params):
    data = QueryDict(mutable=True)
    data.update({**RANGE, **{k: str(v) for k, v in params.items()}})
    form = FilterForm(data, offered=REPORT.filters, today=dt.date(2026, 2, 20))
    assert form.is_valid(), form.errors
    return REPORT.build(form.filters(), Scope.for_user(user))


def figures(result):
    return [
        (r["stage"], r["stays"], r["median"], r["p90"], r["open"], r["oldest"]) for r in result.rows
    ]


def test_per_stage(world, manager, website):
    result = run(manager, pipeline=website.pk)
    # Ended 1-14 Feb: New 1 h (W1), 24 h (W2), 2 h (W6); W5 left New on 23 Jan. W1 waited on
    # the customer 4 h, then worked 2 h. Now: W4 in New since 20 Jan 08:00 UTC, W5 waiting on
    # the customer since 23 Jan 08:00 UTC.
    assert figures(result)[:3] == [
        ("New", 3, 2 * H, 24 * H, 1, 31 * DAY + 4 * H),
        ("On Hold (Customer End) (waiting on the customer)", 1, 4 * H, 4 * H, 1, 28 * DAY + 4 * H),
        ("Working On The Website", 1, 2 * H, 2 * H, 0, None),
    ]
    assert figures(result)[-1] == ("Website Delivered (closed)", 0, None, None, None, None)
    assert len(result.rows) == website.stages.count()
    chart = result.chart.data
    assert chart["series"][0]["values"][:3] == [2.0, 4.0, 2.0]
    assert chart["series"][1]["values"][:3] == [24.0, 4.0, 2.0]
    assert "Website Creation" in str(result.notes[0])


def test_the_first_pipeline_by_default_or_the_request_types(world, manager, website):
    first = Pipeline.objects.filter(object_type="ticket", archived=False).order_by("order", "id")
    assert str(run(manager).notes[0]) == f"Pipeline: {first.first().name}."
    entry = website.stages.get(is_entry=True)
    assert figures(run(manager, request_type=entry.pk)) == figures(
        run(manager, pipeline=website.pk)
    )


def test_filters_and_scope(world, manager, website, company):
    # W6 (the other company's, C's) stayed 2 h in New.
    new = figures(run(manager, pipeline=website.pk, company=company.pk))[0]
    assert new[:4] == ("New", 2, 1 * H, 24 * H)
    assert figures(run(world.a, pipeline=website.pk))[0][:4] == ("New", 2, 1 * H, 24 * H)
    mine = figures(run(world.c, pipeline=website.pk))
    assert mine[0] == ("New", 1, 2 * H, 2 * H, 0, None)
    assert figures(run(manager, pipeline=website.pk, owner=world.b.pk))[:2] == [
        ("New", 0, None, None, 1, 31 * DAY + 4 * H),
        ("On Hold (Customer End) (waiting on the customer)", 0, None, None, 1, 28 * DAY + 4 * H),
    ]


def test_page_csv_and_api_show_the_same_figures(world, manager, website, api_client_for):
    query = f"preset=custom&start=2026-02-01&end=2026-02-14&pipeline={website.pk}"
    page = login(manager).get(f"/app/reports/time-in-stage/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("On Hold (Customer End)", "2 h", "1 d", "31 d 4 h"):
        assert text in html, text
    response = login(manager).get(f"/app/reports/time-in-stage/export.csv?{query}")
    lines = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff")))
    )
    result = run(manager, pipeline=website.pk)
    assert lines[1:] == [[str(v) for v in csv_values(result.columns, r)] for r in result.rows]
    assert lines[1] == ["New", "3", "2.0", "24.0", "1", "748.0"]
    api = api_client_for(manager).get(f"/api/reports/time-in-stage?{query}")
    assert api.status_code == 200, api.content
    assert api.json()["rows"][0] == {
        "stage": "New",
        "stays": 3,
        "median": 2 * H,
        "p90": 24 * H,
        "open": 1,
        "oldest": 31 * DAY + 4 * H,
    }


def test_bad_filters(world, manager, api_client_for):
    assert login(manager).get("/app/reports/time-in-stage/?pipeline=x").status_code == 400
    deal_pipeline = Pipeline.objects.filter(object_type="deal").first()
    page = login(manager).get(f"/app/reports/time-in-stage/?pipeline={deal_pipeline.pk}")
    assert page.status_code == 400
    api = api_client_for(manager).get("/api/reports/time-in-stage?grain=day")
    assert api.status_code == 422
