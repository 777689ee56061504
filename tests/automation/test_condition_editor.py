"""The condition editor: a labelled field, the comparisons that fit it, and a value input of the
field's kind (a stage picker grouped by pipeline, a user picker, a date, a number, a list of
options), checked on the server with messages that say what to fix; what it stores holds
against the records as the engine sees them."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.automation import conditions, services
from partnerdesk.automation.models import Trigger, Workflow
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from tests.automation import deal_stage, email_deal
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def workflow(admin):
    return services.workflow_create(by=admin, name="Won", trigger=Trigger.DEAL_STAGE_ENTERED)


def page(workflow) -> str:
    return f"/app/settings/automations/{workflow.pk}/"


def add(admin, workflow, **posted):
    return login(admin).post(page(workflow), {"action": "add_condition", **posted})


def stored(workflow) -> list[dict]:
    return Workflow.objects.get(pk=workflow.pk).conditions.get("all", [])


def test_picking_a_field_brings_its_comparisons_and_input(admin, workflow):
    client = login(admin)
    form = client.get(
        page(workflow), {"field": "deal.stage_id"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert form.startswith('<form method="post"') and 'id="condition-form"' in form
    assert "<label>Stage<select" in form  # the value input is labelled by what it picks
    assert '<optgroup label="Email Subscription">' in form  # stages grouped by pipeline
    assert '<optgroup label="Email Creation">' not in form  # deal stages only
    assert '<option value="equals">is</option>' in form
    assert "is more than" not in form
    assert 'name="shown" value="stage"' in form

    dates = client.get(
        page(workflow), {"field": "deal.close_date"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'type="date"' in dates and '<option value="lt">is before</option>' in dates
    numbers = client.get(
        page(workflow), {"field": "deal.amount"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'type="number"' in numbers and '<option value="gte">is at least</option>' in numbers
    users = client.get(
        page(workflow), {"field": "deal.owner_id"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<label>User<select" in users and ">Admin</option>" in users
    options = client.get(
        page(workflow), {"field": "ticket.priority"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert '<option value="urgent">Urgent</option>' in options


def test_each_input_stores_what_the_engine_compares(admin, agent, workflow):
    won = deal_stage("Email Subscription", "Closed Won")
    for posted in (
        {"field": "deal.stage_id", "op": "equals", "value": won.pk, "shown": "stage"},
        {"field": "deal.owner_id", "op": "not_equals", "value": agent.pk, "shown": "user"},
        {"field": "deal.close_date", "op": "lt", "value": "2025-06-30", "shown": "date"},
        {"field": "deal.amount", "op": "gte", "value": "99.50", "shown": "number"},
        {"field": "ticket.priority", "op": "equals", "value": "urgent", "shown": "choice"},
        {"field": "deal.properties.domain_name", "op": "is_set", "value": "", "shown": "text"},
        # "is not set" needs no value: what the number input held is not read.
        {"field": "deal.amount", "op": "is_not_set", "value": "lots", "shown": "number"},
    ):
        assert add(admin, workflow, **posted).status_code == 302, posted
    assert stored(workflow) == [
        {"field": "deal.stage_id", "op": "equals", "value": won.pk},
        {"field": "deal.owner_id", "op": "not_equals", "value": agent.pk},
        {"field": "deal.close_date", "op": "lt", "value": "2025-06-30"},
        {"field": "deal.amount", "op": "gte", "value": "99.50"},
        {"field": "ticket.priority", "op": "equals", "value": "urgent"},
        {"field": "deal.properties.domain_name", "op": "is_set"},
        {"field": "deal.amount", "op": "is_not_set"},
    ]
    body = login(admin).get(page(workflow)).content.decode()
    for sentence in (
        "Deal stage is <strong>Closed Won</strong> in <strong>Email Subscription</strong>",
        "Deal owner is not <strong>Agent</strong>",
        "Deal close date is before <strong>30 Jun 2025</strong>",
        "Deal amount is at least <strong>99.50</strong>",
        "Ticket priority is <strong>Urgent</strong>",
        "Deal: Domain name is set",
        "Deal amount is not set",
    ):
        assert sentence in body, sentence


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"field": "deal.stage_id", "op": "equals", "value": ""}, "Choose a stage."),
        ({"field": "deal.stage_id", "op": "equals", "value": "999999"}, "Choose a stage."),
        ({"field": "deal.owner_id", "op": "equals", "value": ""}, "Choose a user."),
        ({"field": "deal.amount", "op": "gt", "value": "lots"}, "Enter a number, such as 100"),
        ({"field": "deal.amount", "op": "gt", "value": ""}, "Enter a number."),
        ({"field": "deal.close_date", "op": "lt", "value": "31/12/2025"}, "Enter a date as"),
        ({"field": "ticket.priority", "op": "equals", "value": "sky-high"}, "Choose one of the"),
        ({"field": "deal.name", "op": "equals", "value": ""}, "Enter a value to compare with."),
        ({"field": "deal.stage_id", "op": "gt", "value": "1"}, "Choose one of the comparisons"),
        ({"field": "deal.secret_sauce", "op": "equals", "value": "x"}, "Choose a field from"),
        # The field changed without the page following it: asked again, not misread.
        (
            {"field": "deal.stage_id", "op": "equals", "value": "1", "shown": "number"},
            "The field changed: pick its value again.",
        ),
    ],
)
def test_bad_input_is_refused_beside_its_field(admin, workflow, posted, message):
    response = add(admin, workflow, **posted)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored(workflow) == []


def test_stage_date_and_owner_conditions_hold_against_the_deal(admin, agent, company):
    deal = email_deal(admin, company)
    crm.deal_update(deal=deal, by=admin, owner=agent, close_date=dt.date(2025, 5, 31))
    deal.refresh_from_db()
    event = Event(kind="deal.stage_changed", data={})
    context = conditions.build_context(event=event, subject=deal)

    def holds(**leaf) -> bool:
        return conditions.holds({"all": [leaf]}, context)

    assert holds(field="deal.stage_id", op="equals", value=deal.stage_id)
    assert not holds(field="deal.stage_id", op="equals", value=deal.stage_id + 1000)
    assert holds(field="deal.pipeline_id", op="equals", value=str(deal.pipeline_id))
    assert holds(field="deal.owner_id", op="equals", value=agent.pk)
    assert holds(field="deal.close_date", op="lt", value="2025-06-01")
    assert not holds(field="deal.close_date", op="gt", value="2025-06-01")
    assert holds(field="deal.close_date", op="gte", value="2025-05-31")
    assert holds(field="deal.close_date", op="equals", value="2025-05-31")
    assert holds(field="deal.product_ids", op="contains", value=deal.line_items.get().product_id)
