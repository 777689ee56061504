"""A manager opens Reports → SLA compliance, chooses a custom range and a pipeline, reads the
figures and the chart, reloads the page (the URL keeps the filters) and exports the CSV.

The tickets are tests/reports/ticket_world.py's (hand-computed figures); "now" is its NOW, set
through the one clock (partnerdesk.core.clock.now) the live server in this process reads.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from partnerdesk.core import clock
from tests.reports import ticket_world

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone


def test_a_manager_filters_the_sla_compliance_report_and_exports_it(
    page: Page, monkeypatch, admin, manager, agent, company, other_company
):
    monkeypatch.setattr(clock, "now", lambda: ticket_world.NOW)
    world = ticket_world.build(
        admin=admin, agent=agent, company=company, other_company=other_company
    )
    website = world.tickets["W1"].pipeline
    sign_in(page, manager.email)

    open_nav(page).get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="SLA compliance").click()
    expect(page.locator("h1")).to_have_text("SLA compliance")

    page.get_by_label("Dates", exact=True).select_option(label="Custom")
    page.get_by_label("From", exact=True).fill("2026-02-01")
    page.get_by_label("To", exact=True).fill("2026-02-14")
    page.get_by_label("Pipeline", exact=True).select_option(label="Website Creation")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(rf"pipeline={website.pk}"))
    expect(page).to_have_url(re.compile(r"preset=custom"))
    expect(page).to_have_url(re.compile(r"start=2026-02-01"))
    expect(page).to_have_url(re.compile(r"end=2026-02-14"))
    table = page.locator("table.report-table").first
    row = table.locator("tbody tr").filter(has_text="Website Creation")
    expect(row).to_have_count(1)
    # Met 3 (W1 3 h with its wait on the customer left out, W2 24 h, W6 2 h), W4 open and
    # breached, W5 waiting on the customer: 75 % met; median 3 h, 90th percentile a day.
    expect(row).to_contain_text("Resolution")
    expect(row).to_contain_text("calendar time")
    expect(row).to_contain_text("75.0 %")
    expect(row).to_contain_text("3 h")
    expect(row).to_contain_text("1 d")
    expect(table).not_to_contain_text("Bug Investigation")
    expect(page.locator("figure[data-chart-drawn] canvas").first).to_be_visible()

    # The URL keeps the filters: a reload shows the same report.
    page.reload()
    expect(page.get_by_label("Pipeline", exact=True)).to_have_value(str(website.pk))
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-02-01")
    expect(page.get_by_label("To", exact=True)).to_have_value("2026-02-14")
    expect(page.locator("table.report-table").first.locator("tbody tr")).to_have_count(1)
    expect(page.locator("table.report-table").first).to_contain_text("75.0 %")

    with page.expect_download() as download:
        page.locator(".pagehead").first.get_by_role("link", name="Export CSV").click()
    assert re.match(r"sla-compliance-2026-02-01-2026-02-14\.csv", download.value.suggested_filename)
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines == [
        [
            "Pipeline",
            "Target",
            "Times in",
            "Met",
            "Missed",
            "Open, breached",
            "Compliance (%)",
            "Median time (h)",
            "90th percentile (h)",
        ],
        ["Website Creation", "Resolution", "calendar time", "3", "0", "1", "75.0", "3.0", "24.0"],
    ]
