"""Workflows in plain words: triggers, conditions, steps, events and run logs read as sentences
that name pipelines, stages, teams, people and records, read in bulk (one query per model)."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import strip_tags

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import describe, services
from partnerdesk.automation.models import Action, ActionType, Trigger, Workflow
from partnerdesk.automation.steplog import StepMessage, log_messages, step_message
from partnerdesk.core.events import describe as describe_event
from partnerdesk.core.events import record_event
from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.portal.models import Status as TaskStatus
from tests.automation import deal_pipeline, email_deal, product, workflow
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def plain(html) -> str:
    return unescape(strip_tags(str(html)))


def ticket_stage(pipeline: str, stage: str) -> Stage:
    return Stage.objects.get(pipeline__object_type="ticket", pipeline__name=pipeline, name=stage)


def ticket_pipeline(name: str) -> Pipeline:
    return Pipeline.objects.get(object_type="ticket", name=name)


def sentence(kind, *args):
    """One sentence of ``kind`` ("trigger", "condition", "action", …) with its names read."""
    return describe.described(lambda names: getattr(describe, kind)(*args, names))


def trigger_text(trigger, **config) -> str:
    return plain(sentence("trigger", Workflow(name="w", trigger=trigger, trigger_config=config)))


# ---------------------------------------------------------------- triggers


def test_triggers_read_as_sentences_with_names():
    email = deal_pipeline("Email Subscription")
    creation = ticket_pipeline("Email Creation")
    waiting = ticket_stage("Email Creation", "Waiting For Upgrade")
    deal = Trigger.DEAL_STAGE_ENTERED
    assert trigger_text(deal, pipeline_id=email.pk, stage_kind="won") == (
        "When a deal is won in Email Subscription"
    )
    assert trigger_text(deal, stage_kind="lost") == "When a deal is lost"
    assert trigger_text(deal) == "When a deal changes stage"
    won = email.stages.get(name="Closed Won")
    assert trigger_text(deal, pipeline_id=email.pk, stage_id=won.pk) == (
        "When a deal enters Closed Won in Email Subscription"
    )
    assert trigger_text(deal, stage_kind="won", product_id=product("domain-deletion").pk) == (
        "When a deal is won, if it has the product Domain Deletion"
    )
    assert trigger_text(Trigger.TICKET_CREATED, pipeline_id=creation.pk) == (
        "When a ticket is created in Email Creation"
    )
    new = ticket_stage("Email Creation", "New")
    assert trigger_text(Trigger.TICKET_CREATED, pipeline_id=creation.pk, stage_id=new.pk) == (
        "When a ticket is created in Email Creation at stage New"
    )
    # The stage names its pipeline when the config does not.
    assert trigger_text(Trigger.TICKET_STAGE_ENTERED, stage_id=waiting.pk) == (
        "When a ticket enters Waiting For Upgrade in Email Creation"
    )
    assert trigger_text(Trigger.SLA_BREACHED, target="first_response") == (
        "When the first response target of a ticket is breached"
    )
    assert trigger_text(Trigger.SLA_DUE_SOON, pipeline_id=creation.pk) == (
        "When an SLA target of a ticket in Email Creation is due soon"
    )
    assert trigger_text(Trigger.TASK_STATE_CHANGED, to_status=TaskStatus.PENDING_APPROVAL) == (
        "When a task request moves to Pending Approval"
    )
    assert trigger_text(Trigger.TRACKER_ISSUE_CLOSED) == (
        "When the GitHub issue of a ticket is closed"
    )


def test_names_are_bold_and_escaped_and_a_deleted_stage_says_so():
    pipeline = Pipeline.objects.create(object_type="ticket", name="<b>Ops</b> & co")
    stage = Stage.objects.create(pipeline=pipeline, name="New")
    html = str(
        sentence(
            "trigger",
            Workflow(
                trigger=Trigger.TICKET_STAGE_ENTERED,
                trigger_config={"pipeline_id": pipeline.pk, "stage_id": stage.pk},
            ),
        )
    )
    assert html == (
        "When a ticket enters <strong>New</strong> in <strong>&lt;b&gt;Ops&lt;/b&gt; &amp; co"
        "</strong>"
    )
    gone = Workflow(trigger=Trigger.TICKET_STAGE_ENTERED, trigger_config={"stage_id": 999_999})
    assert plain(sentence("trigger", gone)) == (
        "When a ticket enters a deleted stage in a deleted pipeline"
    )


# ---------------------------------------------------------------- conditions


def condition_text(**leaf) -> str:
    return plain(sentence("condition", leaf))


def test_conditions_name_their_field_and_value(agent):
    won = deal_pipeline("HubSpot Services").stages.get(name="Closed Won")
    assert condition_text(field="deal.stage_id", op="equals", value=won.pk) == (
        "Deal stage is Closed Won in HubSpot Services"
    )
    assert condition_text(field="deal.owner_id", op="not_equals", value=agent.pk) == (
        "Deal owner is not Agent"
    )
    assert condition_text(field="deal.amount", op="gte", value="1500") == (
        "Deal amount is at least 1500"
    )
    assert condition_text(field="deal.close_date", op="lt", value="2025-03-31") == (
        "Deal close date is before 31 Mar 2025"
    )
    assert condition_text(field="ticket.priority", op="equals", value="urgent") == (
        "Ticket priority is Urgent"
    )
    assert condition_text(field="deal.product_ids", op="contains", value=product("email-10gb").pk)
    assert condition_text(field="ticket.owner", op="is_not_set") == "Ticket owner is not set"
    assert condition_text(field="company.country", op="in", value="EG, SA") == (
        "Company country code is one of “EG” and “SA”"
    )
    # A custom property by its label; a field nobody describes by its path.
    assert condition_text(field="deal.properties.domain_name", op="is_set") == (
        "Deal: Domain name is set"
    )
    assert condition_text(field="event.kind", op="equals", value="won") == "event.kind is “won”"
    # An older condition that compares the stage's name reads as written.
    assert condition_text(field="deal.stage", op="equals", value="Closed Won") == (
        "Deal stage is “Closed Won”"
    )
    nested = {"any": [{"field": "deal.amount", "op": "gt", "value": 5}, {"all": []}]}
    assert plain(sentence("condition", nested)) == "any of: Deal amount is more than 5; all of: "


def test_dates_follow_the_readers_language():
    leaf = {"field": "deal.close_date", "op": "gte", "value": "2025-05-31"}
    with translation.override("it"):
        italian = condition_text(**leaf)
    assert "31 Mag 2025" in italian
    assert condition_text(**leaf).endswith("31 May 2025")


# ---------------------------------------------------------------- actions


def action_text(type_, **config) -> str:
    return plain(sentence("action", Action(type=type_, config=config)))


def test_steps_read_as_sentences_with_names(agent):
    creation = ticket_pipeline("Email Creation")
    new = ticket_stage("Email Creation", "New")
    support = Team.objects.get(name="Support Team")
    assert action_text(ActionType.CREATE_TICKET, pipeline_id=creation.pk, stage_id=new.pk) == (
        "Create a ticket in Email Creation at stage New"
    )
    assert action_text(
        ActionType.CREATE_TICKET, pipeline_id=creation.pk, owner_id=agent.pk, priority="high"
    ) == ("Create a ticket in Email Creation, owned by Agent, priority High")
    assert action_text(ActionType.ASSIGN_OWNER, team_id=support.pk, mode="lead") == (
        "Assign to the lead of Support Team"
    )
    assert action_text(ActionType.ASSIGN_OWNER, team_id=support.pk) == (
        "Assign to the next member of Support Team (round-robin)"
    )
    assert action_text(ActionType.ASSIGN_OWNER, user_id=agent.pk) == "Assign to Agent"
    assert action_text(ActionType.MOVE_STAGE, stage_id=new.pk) == ("Move to New in Email Creation")
    assert action_text(
        ActionType.NOTIFY,
        team_id=support.pk,
        user_ids=[agent.pk],
        include_owner=True,
        title="Won: {{ deal.name }}",
    ) == ("Notify everyone in Support Team, Agent and the record's owner: “Won: {{ deal.name }}”")
    assert action_text(ActionType.SLACK, text="Sold!") == "Post to Slack: “Sold!”"
    assert action_text(ActionType.GITHUB_ISSUE) == "Create a GitHub issue: “{{ ticket.name }}”"
    assert action_text(ActionType.SET_PROPERTY, name="domain_name", value="x.com") == (
        "Set Domain name to “x.com”"
    )


def test_the_default_workflows_read_as_sentences():
    text = describe.workflows_described(
        list(Workflow.objects.prefetch_related("actions").filter(key="email-won-new-client"))
    )[0][1]
    assert plain(text.trigger) == "When a deal is won in Email Subscription"
    assert [plain(c) for c in text.conditions] == ["Deals the company won before is 0"]
    assert [plain(s) for _a, s in text.actions] == [
        "Create a ticket in Email Creation at stage New",
        "Assign to the lead of Support Team",
    ]
    renewal = describe.workflows_described([workflow("website-delivered-renewal-deal")])
    assert plain(renewal[0][1].actions[0][1]) == (
        "Link the ticket to its company's latest open deal in Website Annual Renewal, then set "
        "Website domain to “{{ ticket.properties.website_domain }}” on the ticket's deals"
    )


def _workflows(admin, n: int, start: int = 0) -> list[Workflow]:
    """n workflows naming a pipeline, stage, product, team, user and property each."""
    creation = ticket_pipeline("Email Creation")
    new = ticket_stage("Email Creation", "New")
    team = Team.objects.get(name="Support Team")
    made = []
    for i in range(start, start + n):
        user = make_user(f"person{i}@agency.test", Role.AGENT)
        wf = services.workflow_create(
            by=admin,
            name=f"W{i}",
            trigger=Trigger.DEAL_STAGE_ENTERED,
            trigger_config={"stage_kind": "won", "product_id": product("email-10gb").pk},
            conditions_tree={
                "all": [
                    {"field": "deal.owner_id", "op": "equals", "value": user.pk},
                    {"field": "deal.properties.domain_name", "op": "is_set"},
                ]
            },
            actions=[
                services.ActionSpec(
                    "create_ticket", {"pipeline_id": creation.pk, "stage_id": new.pk}
                ),
                services.ActionSpec("notify", {"team_id": team.pk, "user_ids": [user.pk]}),
            ],
        )
        made.append(wf)
    return list(Workflow.objects.prefetch_related("actions").filter(pk__in=[w.pk for w in made]))


def test_names_are_read_once_per_model_whatever_the_number_of_workflows(admin):
    few = _workflows(admin, 2)
    with CaptureQueriesContext(connection) as small:
        describe.workflows_described(few)
    many = few + _workflows(admin, 8, start=2)
    with CaptureQueriesContext(connection) as large:
        texts = describe.workflows_described(many)
    # Pipelines, stages, products, teams, users, property labels: one query each.
    assert len(small) == len(large) == 6
    assert "Deal owner is Person9" in [plain(c) for c in texts[-1][1].conditions]


def test_records_the_page_read_anyway_are_not_read_again(admin):
    few = _workflows(admin, 2)
    known = [*Pipeline.objects.all(), *Stage.objects.select_related("pipeline")]
    with CaptureQueriesContext(connection) as queries:
        describe.workflows_described(few, known=known)
    assert not any("crm_pipeline" in q["sql"].split("FROM")[1][:20] for q in queries)
    assert len(queries) == 4


# ---------------------------------------------------------------- events and run logs


def test_events_name_their_record_with_a_link(admin, company):
    deal = email_deal(admin, company, name="Nile Dental — Email")
    won = record_event(
        kind="deal.stage_changed", subject=deal, data={"kind": "won", "to_stage": "Closed Won"}
    )
    html = str(sentence("event", won))
    assert html == (
        f'Deal <a href="/app/deals/{deal.pk}/"><strong>Nile Dental — Email</strong></a> won'
    )
    moved = record_event(kind="deal.stage_changed", subject=deal, data={"to_stage": "Proposal"})
    assert plain(sentence("event", moved)) == "Deal Nile Dental — Email entered Proposal"
    gone_id = deal.pk
    moved.subject_id = 999_999
    assert plain(sentence("event", moved)) == "Deal #999999 (deleted) entered Proposal"
    assert gone_id != 999_999


def test_log_messages_are_translated_when_read_and_old_rows_stay_readable(admin, company):
    deal = email_deal(admin, company, name="Acme renewal")
    new = {
        "step": 1,
        "action": "set_property",
        "at": "2025-03-31T10:00:00+00:00",
        "result": f"linked deal #{deal.pk}; website_domain set on 2 deal(s)",
        "messages": [
            step_message(StepMessage.DEAL_LINKED, deal_id=deal.pk),
            step_message(StepMessage.PROPERTY_SET_ON_DEALS, name="website_domain", count=2),
        ],
    }
    old = {key: value for key, value in new.items() if key != "messages"}
    assert log_messages(old) == new["messages"]
    for entry in (new, old):
        line = describe.described(lambda names, e=entry: describe.log_entry(e, names))
        assert line.action == "Set a property"
        assert plain(line.text) == "Linked deal Acme renewal; Set Website domain on 2 deals"
        assert f'href="/app/deals/{deal.pk}/"' in line.text
        assert line.at.isoformat() == "2025-03-31T10:00:00+00:00"
    # Every English summary the steps wrote maps to a message.
    for summary in (
        "ticket #12 Email Creation For acme.com",
        "owner lead@agency.test",
        "moved to Waiting For Dev Reply",
        "domain_name set",
        "no open deal to link; website_domain set on 0 deal(s)",
        "notified 3",
        "posted: Won: a; b",
        "issue #42",
    ):
        assert log_messages({"result": summary}), summary
    unknown = {"step": 1, "action": "slack", "result": "<something else>"}
    assert log_messages(unknown) is None
    line = describe.described(lambda names: describe.log_entry(unknown, names))
    assert str(line.text) == "&lt;something else&gt;"


def test_run_errors_name_the_step_in_the_readers_language():
    assert describe.run_error("Step 2 (Post to Slack): Slack answered 500: oops") == (
        "Step 2 (Post to Slack): Slack answered 500: oops"
    )
    assert describe.run_error("Step 1 (Unknown): x") == "Step 1 (Unknown): x"
    assert describe.run_error("") == ""
    assert describe.run_error("The record this event is about no longer exists.") == (
        "The record this event is about no longer exists."
    )


def test_a_records_timeline_reads_the_runs_steps_in_words_without_reading_records(admin, company):
    deal = email_deal(admin, company)
    with transaction.atomic():
        ran = record_event(
            kind="workflow.ran",
            subject=deal,
            data={
                "workflow": "Delivered",
                "steps": [
                    "ticket #12 Website For acme.com",
                    "owner lead@agency.test",
                    f"linked deal #{deal.pk}; website_domain set on 2 deal(s)",
                    "something we never wrote",
                ],
            },
        )
        failed = record_event(
            kind="workflow.failed",
            subject=deal,
            data={"workflow": "Delivered", "error": "Step 2 (Post to Slack): Slack answered 500"},
        )
    with CaptureQueriesContext(connection) as queries:
        text = describe_event(ran)
    assert len(queries) == 0
    assert text == (
        "Workflow “Delivered” ran: Created ticket #12 Website For acme.com; Assigned to "
        f"lead@agency.test; Linked deal #{deal.pk}; Set website_domain on 2 deals; "
        "something we never wrote"
    )
    assert describe_event(failed) == (
        "Workflow “Delivered” failed: Step 2 (Post to Slack): Slack answered 500"
    )


def test_the_owner_notified_is_the_deals_or_the_tickets(admin):
    creation = ticket_pipeline("Email Creation")
    owner = {"include_owner": True}

    def steps(trigger, *specs) -> list[str]:
        wf = services.workflow_create(
            by=admin,
            name=f"Owner {trigger} {len(specs)}",
            trigger=trigger,
            actions=[services.ActionSpec(t, c) for t, c in specs],
        )
        text = describe.workflows_described(
            [Workflow.objects.prefetch_related("actions").get(pk=wf.pk)]
        )
        return [plain(s) for _a, s in text[0][1].actions]

    assert steps(Trigger.TICKET_CREATED, ("notify", owner)) == ["Notify the ticket's owner"]
    assert steps(Trigger.DEAL_STAGE_ENTERED, ("notify", owner)) == ["Notify the deal's owner"]
    # After a step that creates a ticket, the steps work on that ticket.
    assert steps(
        Trigger.DEAL_STAGE_ENTERED,
        ("notify", owner),
        ("create_ticket", {"pipeline_id": creation.pk}),
        ("notify", owner),
    ) == [
        "Notify the deal's owner",
        "Create a ticket in Email Creation",
        "Notify the ticket's owner",
    ]
