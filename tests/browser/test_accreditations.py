"""Complaints and marks on record in a real browser: a manager records a complaint about the
agency, walks it Complaint → Mediation → Partner Ops Escalation → Review Board (a step skipped
on the way is refused with the rule's sentence), records the board's finding of fault, and sees
the mark counted on the accreditation's page.

Time is controlled: the live server runs in this process, so patching the one clock
(partnerdesk.core.clock.now) fixes "today" for every page and service.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from partnerdesk.core import clock
from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import Complaint, ComplaintStatus, MarkOnRecord

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone

TODAY = dt.date(2025, 3, 14)


@pytest.fixture
def today(monkeypatch):
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: noon)
    return TODAY


@pytest.fixture
def accreditation(today, admin, manager):
    """An accreditation the agency holds (a catalogue entry without prerequisites)."""
    kind = services.accreditation_type_create(by=admin, name="Onboarding (browser)")
    application = services.accreditation_apply(
        by=manager, accreditation_type=kind, applied_on=dt.date(2025, 1, 10)
    )
    return services.accreditation_issue(
        by=manager, accreditation=application, issued_on=dt.date(2025, 2, 1)
    )


def escalate(page: Page, **fields: str) -> None:
    form = page.locator("#form-advance")
    form.locator("summary").click()
    for label, value in fields.items():
        form.get_by_label(label).select_option(label=value)
    form.get_by_role("button", name="Escalate").click()


def test_a_finding_of_fault_is_counted_on_the_accreditation(
    page: Page, manager, agent, company, accreditation
):
    sign_in(page, manager.email)

    # The accreditation holds no mark yet.
    open_nav(page).get_by_role("link", name="Partner program").click()
    page.get_by_role("link", name="Accreditations", exact=True).click()
    page.get_by_role("link", name="Onboarding (browser)").click()
    expect(page.locator("#marks-count")).to_have_text("0")
    expect(page.locator("#next-evaluation")).to_contain_text("1 Aug 2025")

    # Record a complaint about the agency.
    page.get_by_role("link", name="Complaints", exact=True).click()
    page.get_by_role("link", name="Record a complaint").click()
    page.get_by_label("Summary").fill("The website launch missed the agreed date twice")
    page.get_by_label("Source").select_option(label="HubSpot CS")
    page.get_by_label("Client company").select_option(label=company.name)
    page.get_by_label("Owner of the first step").select_option(label=agent.display_name)
    page.get_by_role("button", name="Record complaint").click()
    expect(page.get_by_text("Complaint recorded.")).to_be_visible()
    expect(page.locator("#current-step")).to_contain_text("Complaint")
    expect(page.locator("#waiting")).to_contain_text("The agency")

    # Skipping straight to the review board is refused: it is not a serious infringement.
    escalate(page, **{"Escalate to": "Review Board"})
    expect(page.locator("#form-advance .errorlist")).to_contain_text("its next step is Mediation")
    expect(page.locator("#current-step")).to_contain_text("Complaint")

    # One step at a time to the review board.
    page.get_by_role("link", name="All complaints").click()
    page.get_by_role("link", name=re.compile("The website launch missed")).click()
    escalate(page)
    expect(page.get_by_text("Complaint escalated.")).to_be_visible()
    expect(page.locator("#current-step")).to_contain_text("Mediation")
    escalate(page, **{"Owner of the new step": manager.display_name})
    expect(page.locator("#current-step")).to_contain_text("Partner Ops Escalation")
    escalate(page)
    expect(page.locator("#current-step")).to_contain_text("Review Board")
    steps = page.locator("#steps li")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_contain_text("Escalated")
    expect(page.locator("#form-advance")).to_have_count(0)  # the last step

    # The board finds the agency at fault, with its decision date and the director's approval.
    finding = page.locator("#form-finding")
    finding.locator("summary").click()
    finding.get_by_label(re.compile("at fault \\(a mark on record\\)")).check()
    finding.get_by_label("Decision date").fill("2025-03-14")
    finding.get_by_label("Director-level approval").check()
    page.once("dialog", lambda dialog: dialog.accept())
    finding.get_by_role("button", name="Record the finding").click()
    expect(page.get_by_text("The review board's finding is recorded")).to_be_visible()
    expect(page.locator("#complaint-status")).to_have_text("Closed")
    expect(steps.nth(3)).to_contain_text("Partner found at fault")
    expect(steps.nth(3)).to_contain_text("Mark on record")

    # The mark is counted on the accreditation's page (and on the list).
    page.get_by_role("link", name="Accreditations", exact=True).click()
    expect(page.locator("#marks-count")).to_have_text("1")
    page.get_by_role("link", name="Onboarding (browser)").click()
    expect(page.locator("#marks-count")).to_have_text("1")
    expect(page.locator("[data-standard=marks]")).to_contain_text("1 mark on record")

    complaint = Complaint.objects.get()
    assert complaint.status == ComplaintStatus.CLOSED
    mark = MarkOnRecord.objects.get()
    assert (mark.decided_on, mark.director_approved) == (TODAY, True)
