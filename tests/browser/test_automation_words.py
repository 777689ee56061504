"""Automations in plain words, on a desktop and on a phone: the workflows read as sentences
naming their pipelines, stages and teams; a condition on a stage is added with a stage picker
grouped by pipeline (the value input follows the field picked); the run history names the
deal each run was about and links to it."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from partnerdesk.automation.models import RunStatus, Workflow, WorkflowRun
from partnerdesk.core.events import record_event
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline, Stage

from .conftest import DESKTOP, MOBILE, assert_fits, sign_in

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(MOBILE, id="phone")]
NEW_CLIENT = "Email subscription won (new client) → Email Creation ticket"


def open_page(new_page, viewport) -> Page:
    if viewport == MOBILE:
        return new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    return new_page(viewport=viewport)


def fits(page: Page, viewport) -> None:
    """No sideways scrolling of the page (a wide table scrolls inside its own box)."""
    assert_fits(page, viewport["width"])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_workflows_read_as_sentences_with_names(new_page, admin, viewport):
    page = open_page(new_page, viewport)
    sign_in(page, admin.email)
    page.goto("/app/settings/automations/")
    row = page.locator("#workflows .task-row", has=page.get_by_role("link", name=NEW_CLIENT))
    expect(row).to_contain_text("When a deal is won in Email Subscription")
    expect(row).to_contain_text("if: Deals the company won before is 0")
    expect(row.locator("ol li")).to_have_text(
        ["Create a ticket in Email Creation at stage New", "Assign to the lead of Support Team"]
    )
    # Names and values in bold.
    expect(row.locator(".when strong")).to_have_text(["Email Subscription", "0"])
    fits(page, viewport)

    row.get_by_role("link", name=NEW_CLIENT).click()
    summary = page.locator("#summary")
    expect(summary.locator("#summary-trigger")).to_have_text(
        "When a deal is won in Email Subscription"
    )
    expect(summary.locator("#summary-actions li")).to_have_text(
        ["Create a ticket in Email Creation at stage New", "Assign to the lead of Support Team"]
    )
    expect(page.locator("#conditions")).to_contain_text("Deals the company won before is 0")
    fits(page, viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_stage_condition_is_added_with_a_stage_picker(new_page, admin, viewport):
    workflow = Workflow.objects.create(name="Words", trigger="deal_stage_entered")
    closed_won = Stage.objects.get(
        pipeline__object_type="deal", pipeline__name="Email Subscription", name="Closed Won"
    )
    page = open_page(new_page, viewport)
    sign_in(page, admin.email)
    page.goto(f"/app/settings/automations/{workflow.pk}/")
    form = page.locator("#condition-form")
    expect(form.get_by_label("Value", exact=True)).to_be_visible()  # a text field's input

    # Picking the field brings its input: a stage picker grouped by pipeline.
    with page.expect_response(lambda r: "field=deal.stage_id" in r.url):
        form.get_by_role("combobox", name="Field").select_option(label="Deal stage")
    form = page.locator("#condition-form")
    stage = form.get_by_role("combobox", name="Stage", exact=True)
    expect(stage).to_be_visible()
    expect(stage.locator("optgroup[label='Email Subscription'] option")).to_contain_text(
        ["Closed Won"]
    )
    expect(stage.locator("optgroup[label='Email Creation']")).to_have_count(0)  # deal stages
    expect(form.get_by_role("combobox", name="Comparison").locator("option")).to_have_text(
        ["is", "is not"]
    )

    # Nothing picked: told what to pick, beside the field.
    form.get_by_role("button", name="Add condition").click()
    expect(page.locator("#condition-form")).to_contain_text("Choose a stage.")

    form = page.locator("#condition-form")
    form.get_by_role("combobox", name="Stage", exact=True).select_option(str(closed_won.pk))
    form.get_by_role("button", name="Add condition").click()
    expect(page.get_by_text("Condition added.")).to_be_visible()
    expect(page.locator("#conditions")).to_contain_text(
        "Deal stage is Closed Won in Email Subscription"
    )
    expect(page.locator("#summary")).to_contain_text(
        "Deal stage is Closed Won in Email Subscription"
    )
    workflow.refresh_from_db()
    assert workflow.conditions == {
        "all": [{"field": "deal.stage_id", "op": "equals", "value": closed_won.pk}]
    }
    fits(page, viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_run_history_links_to_the_deal(new_page, admin, company, viewport):
    pipeline = Pipeline.objects.get(object_type="deal", name="Email Subscription")
    deal = crm_services.deal_create(
        by=admin, name="Nile Dental — Email", pipeline=pipeline, company=company
    )
    workflow = Workflow.objects.get(name=NEW_CLIENT)
    with transaction.atomic():
        event = record_event(
            kind="deal.stage_changed",
            subject=deal,
            company_id=company.pk,
            data={"kind": "won", "to_stage": "Closed Won", "pipeline_id": pipeline.pk},
        )
    run = WorkflowRun.objects.create(
        workflow=workflow,
        event=event,
        status=RunStatus.SUCCEEDED,
        step=1,
        log=[
            {
                "step": 1,
                "action": "notify",
                "at": "2025-05-31T09:00:00+00:00",
                "result": "notified 2",
            }
        ],
    )
    page = open_page(new_page, viewport)
    sign_in(page, admin.email)

    page.goto("/app/settings/automations/runs/?status=succeeded")
    row = page.locator("#runs tr", has=page.get_by_role("link", name=f"#{run.pk}", exact=True))
    expect(row).to_contain_text("Deal Nile Dental — Email won")
    fits(page, viewport)

    page.goto(f"/app/settings/automations/runs/{run.pk}/")
    expect(page.locator("#run-event")).to_have_text("Deal Nile Dental — Email won")
    expect(page.locator("#run-log")).to_contain_text("Notified 2 people")
    fits(page, viewport)

    page.goto(f"/app/settings/automations/{workflow.pk}/")
    history = page.locator("#runs")
    expect(history).to_contain_text("Deal Nile Dental — Email won")
    history.get_by_role("link", name="Nile Dental — Email").click()
    expect(page).to_have_url(re.compile(rf"/app/deals/{deal.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nile Dental — Email")
