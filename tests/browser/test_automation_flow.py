"""An admin builds a workflow in the UI; an agent's won deal then runs it for real.

Events are dispatched (``PARTNERDESK_DISPATCH_EVENTS``) and tests/settings.py runs tasks with
the ImmediateBackend, so the workflow runs in the live server's process as soon as the move
commits. Slack is a real HTTP server on 127.0.0.1 that records what it receives.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from partnerdesk.automation.models import RunStatus, Workflow, WorkflowRun
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Deal, Pipeline, Product
from partnerdesk.tickets.models import Ticket

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone

WORKFLOW_NAME = "HubSpot onboarding sold → ticket and Slack"
SLACK_TEXT = "Onboarding sold: {{ deal.name }}"


class SlackStandIn:
    """An incoming-webhook endpoint on a free local port; ``posts`` is what it received."""

    def __init__(self):
        self.posts: list[dict] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stand_in._lock:
                    stand_in.posts.append(
                        {
                            "path": self.path,
                            "content_type": self.headers.get("Content-Type", ""),
                            "body": body,
                        }
                    )
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T0001/B0001/local-secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def received(self) -> list[dict]:
        with self._lock:
            return list(self.posts)


@pytest.fixture
def slack():
    stand_in = SlackStandIn()
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()
    stand_in.thread.join(timeout=5)


@pytest.fixture
def dispatch(settings):
    """Committed events go to the workers (run inline by the ImmediateBackend)."""
    settings.PARTNERDESK_DISPATCH_EVENTS = True


@pytest.fixture
def hubspot(db):
    return Pipeline.objects.get(object_type="deal", name="HubSpot Services")


@pytest.fixture
def onboarding(db):
    return Product.objects.get(sku="hubspot-onboarding")


def _deal(admin, company, pipeline, name, product, contact=None):
    return crm_services.deal_create(
        by=admin,
        name=name,
        pipeline=pipeline,
        company=company,
        contacts=[contact] if contact else [],
        line_items=[{"product": product, "quantity": 1}],
    )


def _open_action_form(page: Page):
    actions = page.locator("#actions")
    details = actions.locator("details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return actions.locator("form", has=page.locator("input[name=action][value=add_action]"))


def build_workflow(page: Page, hubspot, onboarding, slack_url: str) -> Workflow:
    """The admin's part, all in the UI: the workflow, then its two actions."""
    page.goto("/app/settings/automations/")
    form = page.locator("form", has=page.get_by_role("heading", name="New workflow"))
    form.get_by_label("Name", exact=True).fill(WORKFLOW_NAME)
    form.get_by_label("When", exact=True).select_option(label="Deal entered a stage")
    form.get_by_label("in pipeline").select_option(label="Deal · HubSpot Services")
    form.get_by_label("or any stage that is").select_option(label="won")
    form.get_by_label("only if the deal has the product").select_option(label="HubSpot Onboarding")
    form.get_by_role("button", name="Create workflow").click()
    expect(
        page.get_by_text("Workflow created. Now add its conditions and actions.")
    ).to_be_visible()
    workflow = Workflow.objects.get(name=WORKFLOW_NAME)
    expect(page).to_have_url(re.compile(rf"/app/settings/automations/{workflow.pk}/$"))
    expect(page.locator("#runs")).to_contain_text("It has not run yet.")
    assert workflow.enabled
    assert workflow.trigger == "deal_stage_entered"
    assert workflow.trigger_config == {
        "pipeline_id": hubspot.pk,
        "stage_kind": "won",
        "product_id": onboarding.pk,
    }

    # 1. Create a ticket in Website Creation, entry stage "New".
    action = _open_action_form(page)
    action.get_by_label("Action", exact=True).select_option(label="Create a ticket")
    action.get_by_label("Pipeline (create ticket)").select_option(label="Website Creation")
    action.get_by_label("Stage (create ticket, move)").select_option(
        label="Ticket · Website Creation — New"
    )
    action.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("Action added.")).to_be_visible()
    expect(page.locator("#actions")).to_contain_text("1. Create a ticket")

    # 2. Post to Slack, with the local server as the webhook.
    action = _open_action_form(page)
    action.get_by_label("Action", exact=True).select_option(label="Post to Slack")
    action.get_by_label("Slack text").fill(SLACK_TEXT)
    action.get_by_label("Slack webhook URL").fill(slack_url)
    action.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("Action added.")).to_be_visible()
    actions = page.locator("#actions")
    expect(actions).to_contain_text("2. Post to Slack")
    expect(actions).to_contain_text("secret set")
    # The webhook URL is a secret: stored encrypted, never shown back.
    assert slack_url not in page.content()

    steps = list(workflow.actions.order_by("order", "id"))
    assert [(a.type, a.order) for a in steps] == [("create_ticket", 0), ("slack", 1)]
    ticket_pipeline = Pipeline.objects.get(object_type="ticket", name="Website Creation")
    assert steps[0].config == {
        "pipeline_id": ticket_pipeline.pk,
        "stage_id": ticket_pipeline.stages.get(name="New").pk,
    }
    assert steps[1].config == {"text": SLACK_TEXT}
    assert set(steps[1].secrets) == {"webhook_url"}
    assert slack_url not in json.dumps(steps[1].secrets)
    return workflow


def win_deal(page: Page, deal: Deal) -> None:
    """The agent's part: open the deal and move it to Closed Won with the move form."""
    page.goto(f"/app/deals/{deal.pk}/")
    move = page.locator("#move-form")
    # Choosing a stage fetches the form for it (htmx); wait for it before pressing Move.
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "GET"):
        move.get_by_label("Stage").select_option(label="HubSpot Services — Closed Won")
    page.locator("#move-form").get_by_role("button", name="Move").click()
    expect(page.locator("#deal-stage")).to_have_text("Closed Won")
    expect(page.get_by_text("Moved to Closed Won.")).to_be_visible()


def test_won_onboarding_deal_runs_the_workflow_built_in_the_ui(
    new_page, dispatch, slack, admin, agent, company, hubspot, onboarding
):
    contact = crm_services.contact_create(
        by=admin,
        first_name="Amal",
        last_name="Buyer",
        email="amal@acme-dental.com",
        company=company,
    )
    with_onboarding = _deal(
        admin, company, hubspot, "Acme HubSpot onboarding", onboarding, contact=contact
    )
    solo = Product.objects.get(sku="hubspot-admin-solo")
    without_onboarding = _deal(admin, company, hubspot, "Acme HubSpot admin", solo)

    admin_page = new_page()
    sign_in(admin_page, admin.email)
    workflow = build_workflow(admin_page, hubspot, onboarding, slack.url)
    assert slack.received() == []

    # The agent, in another browser context, wins the deal with HubSpot Onboarding.
    agent_page = new_page()
    sign_in(agent_page, agent.email)
    win_deal(agent_page, with_onboarding)

    # A ticket: in the deal page's Tickets panel, and associated with the deal's records.
    ticket = Ticket.objects.get(deal=with_onboarding)
    panel = agent_page.locator("#deal-tickets")
    expect(panel.get_by_role("link", name=ticket.name)).to_be_visible()
    expect(panel).to_contain_text("Website Creation")
    expect(panel).to_contain_text("New")
    assert ticket.company_id == company.pk
    assert ticket.deal_id == with_onboarding.pk
    assert ticket.contact_id == contact.pk
    assert ticket.pipeline.name == "Website Creation"
    assert ticket.stage.name == "New"
    assert ticket.source == "automation"
    assert ticket.closed_at is None

    # Slack got exactly one message, with the deal's name.
    posts = slack.received()
    assert len(posts) == 1, posts
    assert posts[0]["path"] == "/services/T0001/B0001/local-secret"
    assert posts[0]["content_type"].startswith("application/json")
    assert json.loads(posts[0]["body"]) == {"text": "Onboarding sold: Acme HubSpot onboarding"}

    # One run, succeeded, both steps done; the admin sees it in the run history.
    run = WorkflowRun.objects.get(workflow=workflow)
    assert (run.status, run.step, run.attempts, run.error) == (RunStatus.SUCCEEDED, 2, 0, "")
    assert run.event.subject_id == with_onboarding.pk
    assert run.context["ticket_id"] == ticket.pk
    admin_page.goto(f"/app/settings/automations/{workflow.pk}/")
    history = admin_page.locator("#runs")
    expect(history.get_by_role("link", name=f"#{run.pk}", exact=True)).to_be_visible()
    expect(history).to_contain_text("Succeeded")
    expect(history).to_contain_text("Deal Acme HubSpot onboarding won")
    expect(history.get_by_role("link", name="Acme HubSpot onboarding")).to_have_attribute(
        "href", f"/app/deals/{with_onboarding.pk}/"
    )
    history.get_by_role("link", name=f"#{run.pk}", exact=True).click()
    expect(admin_page.locator("#run-status")).to_have_text("Succeeded")
    log = admin_page.locator("#run-log")
    expect(log).to_contain_text(f"Create a ticket — Created ticket #{ticket.pk} {ticket.name}")
    expect(log).to_contain_text(
        "Post to Slack — Posted to Slack: “Onboarding sold: Acme HubSpot onboarding”"
    )
    admin_page.goto("/app/settings/automations/runs/?status=succeeded")
    row = admin_page.locator(
        "tr", has=admin_page.get_by_role("link", name=f"#{run.pk}", exact=True)
    )
    expect(row).to_contain_text(WORKFLOW_NAME)
    expect(row).to_contain_text("Succeeded")

    # A HubSpot deal without the product, won the same way: processed, but no run of this
    # workflow, no ticket, nothing posted.
    win_deal(agent_page, without_onboarding)
    expect(agent_page.locator("#deal-tickets")).to_contain_text("No tickets yet.")
    won_event = Event.objects.get(kind="deal.stage_changed", subject_id=without_onboarding.pk)
    assert won_event.processed_at is not None, "the event was never processed"
    assert not Ticket.objects.filter(deal=without_onboarding).exists()
    assert Ticket.objects.count() == 1
    assert len(slack.received()) == 1
    assert list(WorkflowRun.objects.filter(workflow=workflow)) == [run]
    admin_page.goto(f"/app/settings/automations/{workflow.pk}/")
    # One run, which links to its record too.
    expect(admin_page.locator("#runs a[href*='/automations/runs/']")).to_have_count(1)


def test_action_form_fields_are_reachable_by_their_labels(page: Page, admin):
    """Every label of the workflow page names a field of its own form, so the action form's
    fields are reachable by their labels (screen readers, a click on the label, get_by_label).
    """
    sign_in(page, admin.email)
    workflow = Workflow.objects.create(name="Labels", trigger="deal_stage_entered")
    page.goto(f"/app/settings/automations/{workflow.pk}/")
    _open_action_form(page)
    misdirected = page.evaluate(
        """() => [...document.querySelectorAll('label[for]')]
            .filter((label) => {
                const field = document.getElementById(label.htmlFor);
                return !field || field.form !== label.closest('form');
            })
            .map((label) => `${label.textContent.trim()} -> #${label.htmlFor}`)"""
    )
    assert misdirected == [], f"labels naming another form's field: {misdirected}"
    action = page.locator("#actions form", has=page.locator("input[value=add_action]"))
    for label, name in [
        ("Pipeline (create ticket)", "pipeline_id"),
        ("Stage (create ticket, move)", "stage_id"),
        ("Property (set property)", "name"),
        ("Value (set property)", "value"),
    ]:
        expect(action.get_by_label(label, exact=True)).to_have_attribute("name", name)
