"""JSON API for tickets, SLA policies and calendars: filters, create (incl. from a deal), moves with
required properties, notes, CRUD, the due-time calculator; client users see none of it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from partnerdesk.core import crypto
from partnerdesk.crm import services as crm_services
from partnerdesk.sla.models import Calendar, Holiday, SlaPolicy, Unit
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket
from tests.tickets import (
    ENTRY_VALUES,
    SECRET,
    cairo,
    default_calendar,
    move,
    open_ticket,
    reload,
    ticket_pipeline,
    ticket_stage,
)

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def put(client, path, body):
    return client.put(path, json.dumps(body), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, json.dumps(body), content_type="application/json")


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture
def world(agent, company):
    now = timezone.now()
    t = {
        "on track": open_ticket(agent, "Email Creation", now=now - H, company=company),
        "breached": open_ticket(agent, "Email Creation", now=now - 100 * H),
        "breached with cause": open_ticket(agent, "Email Creation", now=now - 100 * H),
        "website": open_ticket(agent, "Website Creation", now=now - 100 * H),
    }
    services.ticket_note_add(
        ticket=t["breached with cause"], by=agent, body="late", is_delay_cause=True
    )
    return t


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# ---------------------------------------------------------------- tickets: list


def test_list_with_filters(agent, world, api_client_for):
    api = api_client_for(agent)
    pk = {k: t.pk for k, t in world.items()}
    assert ids(api.get("/api/tickets")) == set(pk.values())
    assert ids(api.get("/api/tickets?sla=breached")) == {pk["breached"], pk["breached with cause"]}
    website = ticket_pipeline("Website Creation")
    assert ids(api.get(f"/api/tickets?pipeline={website.pk}")) == {pk["website"]}
    assert ids(api.get("/api/tickets?sla=on_track")) == {pk["on track"], pk["website"]}
    assert ids(api.get("/api/tickets?status=closed")) == set()
    body = api.get("/api/tickets?limit=2&offset=1").json()
    assert (body["count"], body["limit"], body["offset"], len(body["items"])) == (4, 2, 1, 2)


@pytest.mark.parametrize("value", ["true", "1"])
def test_list_breached_without_cause(agent, world, api_client_for, value):
    api = api_client_for(agent)
    response = api.get(f"/api/tickets?breached_without_cause={value}")
    assert ids(response) == {world["breached"].pk}
    assert ids(api.get("/api/tickets?breached_without_cause=false")) == {
        t.pk for t in world.values()
    }


@pytest.mark.parametrize(
    "query", ["sla=missed", "sla=late", "pipeline=abc", "pipeline=0", "limit=0", "status=x"]
)
def test_list_bad_filters_are_422(agent, api_client_for, query):
    response = api_client_for(agent).get(f"/api/tickets?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


# ---------------------------------------------------------------- tickets: create and get


def test_create_by_hand_and_get(agent, company, api_client_for):
    api = api_client_for(agent)
    stage = ticket_stage("Bug Investigation", "New")
    values, description = ENTRY_VALUES[("Bug Investigation", "New")]
    response = post(
        api,
        "/api/tickets",
        {
            "pipeline_id": stage.pipeline_id,
            "stage_id": stage.pk,
            "description": description,
            "priority": "high",
            "company_id": company.pk,
            "owner_id": agent.pk,
            "properties": values,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Bug Investigation For acme-dental.com"
    assert body["stage"]["name"] == "New" and body["pipeline"]["name"] == "Bug Investigation"
    assert body["source"] == "api" and body["priority"] == "high"
    assert body["owner"]["id"] == agent.pk and body["company"]["id"] == company.pk
    assert body["sla_state"] == "on_track"
    assert body["first_response"]["state"] == "on_track"
    assert body["first_response"]["met"] is None
    assert body["resolution"] == {"due_at": None, "state": "none", "met": None}
    ticket = Ticket.objects.get(pk=body["id"])
    assert instant(body["first_response"]["due_at"]) == ticket.first_response_due_at

    got = api.get(f"/api/tickets/{ticket.pk}").json()
    assert got["id"] == ticket.pk and got["sla_policy_id"] == ticket.sla_policy_id
    assert got["sla_paused"] is False and got["has_delay_cause"] is False
    # The creation answers with the ticket it made (not read back): exactly what reading it
    # answers, properties of every type included.
    assert body == got


def test_the_creations_answer_is_what_reading_the_ticket_answers(admin, agent, api_client_for):
    # The creation answers with the ticket it made, not a copy read back: every type of
    # property must come out as the database gives it back.
    types = {
        "text": ("text", "a line", []),
        "number": ("number", "2.50", []),
        "date": ("date", "2026-03-01", []),
        "enum": ("enum", "pro", ["basic", "pro"]),
        "multi_enum": ("multi_enum", ["a", "c"], ["a", "b", "c"]),
        "user": ("user", agent.pk, []),
        "url": ("url", "https://example.com/x", []),
        "email": ("email", "ops@example.com", []),
        "secret": ("secret", SECRET, []),
    }
    for name, (type_, _value, options) in types.items():
        crm_services.property_create(
            by=admin, object_type="ticket", label=f"All {name}", type=type_, options=options
        )
    stage = ticket_stage("Website Creation", "New")
    api = api_client_for(admin)
    body = {
        "pipeline_id": stage.pipeline_id,
        "stage_id": stage.pk,
        "properties": {f"all_{name}": value for name, (_t, value, _o) in types.items()},
    }
    response = post(api, "/api/tickets", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret_properties"] == {"all_secret": SECRET}
    assert api.get(f"/api/tickets/{created['id']}").json() == created


def test_create_with_a_stage_of_another_pipeline_or_an_unknown_pipeline_is_422(
    agent, api_client_for
):
    api = api_client_for(agent)
    stage = ticket_stage("Bug Investigation", "New")
    other = ticket_pipeline("Website Creation")
    response = post(api, "/api/tickets", {"pipeline_id": other.pk, "stage_id": stage.pk})
    assert response.status_code == 422 and response.json()["code"] == "invalid_stage"
    response = post(api, "/api/tickets", {"pipeline_id": 999999, "stage_id": stage.pk})
    assert response.status_code == 422 and response.json()["code"] == "not_found"
    assert response.json()["errors"][0]["field"] == "pipeline_id"
    assert not Ticket.objects.exists()


# What opening a ticket through the API reads and writes once the process has read the
# configuration: the token; the stage with its pipeline; the company; the configuration's
# stamp, once for all it reads (the SLA policies, the property definitions, the stage's
# required properties, the calendar); the ticket, its stage visit and its event.
CREATE_STATEMENTS = 7


def test_create_reads_the_configuration_once_per_process(agent, company, api_client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_client_for(agent)
    stage = ticket_stage("Website Creation", "New")
    body = {"pipeline_id": stage.pipeline_id, "stage_id": stage.pk, "company_id": company.pk}
    assert post(api, "/api/tickets", body).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = post(api, "/api/tickets", body)
    assert response.status_code == 201, response.content
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) <= CREATE_STATEMENTS, "\n".join(statements)
    assert response.json()["deal_ids"] == []


def test_create_missing_properties_and_not_an_entry_stage(agent, api_client_for):
    api = api_client_for(agent)
    pipeline = ticket_pipeline("Email Creation")
    response = post(api, "/api/tickets", {"pipeline_id": pipeline.pk})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "missing_required_properties"
    assert {e["field"] for e in body["errors"]} == {
        "purchased_mailbox_names",
        "domain_name",
        "number_of_licences",
        "line_items",
    }
    stage = pipeline.stages.get(name="Emails Delivered")
    response = post(api, "/api/tickets", {"pipeline_id": pipeline.pk, "stage_id": stage.pk})
    assert response.status_code == 422 and response.json()["code"] == "not_an_entry_stage"
    response = post(api, "/api/tickets", {"pipeline_id": pipeline.pk, "unknown": 1})
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert not Ticket.objects.exists()


def test_create_domain_deletion_after_the_window_is_refused(agent, api_client_for):
    stage = ticket_stage("Domain Related Requests", "Domain Deletion")
    response = post(
        api_client_for(agent),
        "/api/tickets",
        {
            "pipeline_id": stage.pipeline_id,
            "stage_id": stage.pk,
            "properties": {"domain_name": "old.com", "domain_purchase_date": "2020-01-01"},
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "deletion_window_passed" and "2020-01-05" in body["message"]


@pytest.fixture
def provisioned_deal(admin, deal, company):
    contact = crm_services.contact_create(
        by=admin, first_name="Mona", email="mona@acme-dental.com", company=company
    )
    return crm_services.deal_update(
        deal=deal,
        by=admin,
        owner=admin,
        contacts=[contact],
        properties={
            "domain_name": "acme-dental.com",
            "purchased_mailbox_names": "info, sales",
            "number_of_licences": 2,
            "registrar_password": SECRET,
        },
    )


def test_create_from_a_deal_copies_it(admin, agent, provisioned_deal, company, api_client_for):
    deal = provisioned_deal
    pipeline = ticket_pipeline("Email Creation")
    response = post(
        api_client_for(agent), "/api/tickets", {"pipeline_id": pipeline.pk, "deal_id": deal.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["deal_id"] == deal.pk and body["company"]["id"] == company.pk
    assert body["contact_id"] == deal.contacts.get().pk
    assert body["owner"]["id"] == admin.pk
    assert body["properties"]["line_items"] == "5 × Business Email 10 GB"
    assert body["properties"]["domain_name"] == "acme-dental.com"
    assert body["secret_properties_set"] == ["registrar_password"]
    assert body["secret_properties"] == {}  # an agent does not see secrets
    assert body["name"] == "Email Creation For acme-dental.com"
    ticket = Ticket.objects.get(pk=body["id"])
    assert crypto.decrypt(ticket.secrets["registrar_password"]) == SECRET
    # a manager or admin sees the secret
    seen = api_client_for(admin).get(f"/api/tickets/{ticket.pk}").json()
    assert seen["secret_properties"] == {"registrar_password": SECRET}
    assert api_client_for(agent).get(f"/api/tickets/{ticket.pk}").json() == body


def test_create_with_a_deal_without_copying(agent, provisioned_deal, api_client_for):
    pipeline = ticket_pipeline("Email Creation")
    response = post(
        api_client_for(agent),
        "/api/tickets",
        {"pipeline_id": pipeline.pk, "deal_id": provisioned_deal.pk, "copy_from_deal": False},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "missing_required_properties"


def test_get_unknown_ticket_is_404(agent, api_client_for):
    response = api_client_for(agent).get("/api/tickets/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_get_shows_paused_and_met_states(agent, api_client_for):
    now = timezone.now()
    paused = open_ticket(agent, "Website Creation", now=now - 2 * H)
    move(paused, "On Hold (Customer End)", by=agent, now=now - H)
    closed = open_ticket(agent, "Email Creation", now=now - 2 * H)
    move(closed, "Emails Delivered", by=agent, now=now - H)
    api = api_client_for(agent)
    body = api.get(f"/api/tickets/{paused.pk}").json()
    assert (body["sla_state"], body["sla_paused"], body["resolution"]["state"]) == (
        "paused",
        True,
        "paused",
    )
    body = api.get(f"/api/tickets/{closed.pk}").json()
    assert body["sla_state"] == "met"
    assert body["resolution"]["state"] == "met" and body["resolution"]["met"] is True
    assert body["closed_at"] is not None


# ---------------------------------------------------------------- tickets: patch, move, notes


def test_patch(agent, manager, api_client_for):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now())
    api = api_client_for(agent)
    response = patch(
        api,
        f"/api/tickets/{ticket.pk}",
        {
            "name": "Landing page",
            "priority": "urgent",
            "owner_id": manager.pk,
            "properties": {"website_domain": "acme.com"},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["priority"], body["owner"]["id"]) == (
        "Landing page",
        "urgent",
        manager.pk,
    )
    assert body["properties"]["website_domain"] == "acme.com"
    assert patch(api, f"/api/tickets/{ticket.pk}", {"name": ""}).status_code == 422
    assert patch(api, f"/api/tickets/{ticket.pk}", {"stage_id": 1}).status_code == 422


def test_move_with_missing_properties_then_with_them(agent, api_client_for):
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H)
    waiting = ticket.pipeline.stages.get(name="Waiting For Dev Reply")
    api = api_client_for(agent)
    response = post(api, f"/api/tickets/{ticket.pk}/move", {"stage_id": waiting.pk})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "missing_required_properties"
    assert [e["field"] for e in body["errors"]] == ["issue_tracker_number"]
    assert reload(ticket).stage.name == "New"

    response = post(
        api,
        f"/api/tickets/{ticket.pk}/move",
        {"stage_id": waiting.pk, "properties": {"issue_tracker_number": "BUG-9"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"]["name"] == "Waiting For Dev Reply"
    assert body["properties"]["issue_tracker_number"] == "BUG-9"
    assert body["first_response_at"] is not None
    assert body["first_response"]["met"] is True
    assert body["resolution"]["due_at"] is not None


def test_move_with_a_bad_property_value_changes_nothing(agent, api_client_for):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now() - H)
    delivered = ticket.pipeline.stages.get(name="Website Delivered")
    response = post(
        api_client_for(agent),
        f"/api/tickets/{ticket.pk}/move",
        {"stage_id": delivered.pk, "properties": {"website_domain": 12}},
    )
    assert response.status_code == 422
    assert reload(ticket).stage.name == "New" and reload(ticket).properties == {}


def test_move_to_another_pipelines_stage_is_422(agent, api_client_for):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now() - H)
    other = ticket_stage("Bug Investigation", "Investigating")
    response = post(api_client_for(agent), f"/api/tickets/{ticket.pk}/move", {"stage_id": other.pk})
    assert response.status_code == 422 and response.json()["code"] == "invalid_stage"


def test_notes_add_and_list(agent, api_client_for):
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H)
    api = api_client_for(agent)
    response = post(
        api, f"/api/tickets/{ticket.pk}/notes", {"body": "Looking into it", "is_public": True}
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["is_public"] is True and note["author"]["id"] == agent.pk
    post(api, f"/api/tickets/{ticket.pk}/notes", {"body": "Vendor outage", "is_delay_cause": True})
    notes = api.get(f"/api/tickets/{ticket.pk}/notes").json()
    assert [n["body"] for n in notes] == ["Vendor outage", "Looking into it"]
    body = api.get(f"/api/tickets/{ticket.pk}").json()
    assert body["has_delay_cause"] is True and body["first_response_at"] is not None
    assert post(api, f"/api/tickets/{ticket.pk}/notes", {"body": ""}).status_code == 422


# ---------------------------------------------------------------- SLA policies


def policy_body(pipeline, **changes):
    body = {
        "name": "Cancellations",
        "pipeline_id": pipeline.pk,
        "entry_stage_id": pipeline.stages.get(name="Cancel Emails").pk,
        "first_response": {"amount": 120, "unit": "working_time"},
        "resolution": {"amount": 2, "unit": "working_days"},
        "resolution_from": "first_response",
        "first_response_by": "reply",
        "due_soon_percent": 30,
    }
    body.update(changes)
    return body


def test_policies_crud_by_admin(admin, api_client_for, django_capture_on_commit_callbacks):
    api = api_client_for(admin)
    listed = api.get("/api/sla-policies").json()
    assert listed["count"] == 6
    pipeline = ticket_pipeline("Email Related Requests")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "/api/sla-policies", policy_body(pipeline))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_response_amount"], body["first_response_unit"]) == (120, "working_time")
    assert (body["resolution_amount"], body["resolution_unit"]) == (2, "working_days")
    assert (body["resolution_from"], body["first_response_by"], body["due_soon_percent"]) == (
        "first_response",
        "reply",
        30,
    )
    pk = body["id"]
    assert api.get(f"/api/sla-policies/{pk}").json()["name"] == "Cancellations"

    with django_capture_on_commit_callbacks(execute=True):
        response = put(
            api,
            f"/api/sla-policies/{pk}",
            policy_body(
                pipeline, first_response=None, resolution={"amount": 90, "unit": "calendar"}
            ),
        )
    assert response.status_code == 200
    policy = SlaPolicy.objects.get(pk=pk)
    assert policy.first_response_amount is None
    assert (policy.resolution_amount, policy.resolution_unit) == (90, Unit.CALENDAR)

    response = post(api, "/api/sla-policies", policy_body(pipeline))
    assert response.status_code == 409 and response.json()["code"] == "duplicate_policy"
    other = ticket_pipeline("Email Creation")
    response = put(api, f"/api/sla-policies/{pk}", policy_body(pipeline, pipeline_id=other.pk))
    assert response.status_code == 422 and response.json()["code"] == "invalid_pipeline"
    response = post(
        api, "/api/sla-policies", policy_body(pipeline, first_response=None, resolution=None)
    )
    assert response.status_code == 422 and response.json()["code"] == "target_required"

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/sla-policies/{pk}").status_code == 204
    assert not SlaPolicy.objects.filter(pk=pk).exists()
    assert api.get(f"/api/sla-policies/{pk}").status_code == 404


def test_policies_writes_are_403_for_agents(agent, api_client_for):
    api = api_client_for(agent)
    assert api.get("/api/sla-policies").status_code == 200
    pipeline = ticket_pipeline("Email Related Requests")
    response = post(api, "/api/sla-policies", policy_body(pipeline))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    policy = SlaPolicy.objects.get(pipeline=pipeline)
    assert put(api, f"/api/sla-policies/{policy.pk}", policy_body(pipeline)).status_code == 403
    assert api.delete(f"/api/sla-policies/{policy.pk}").status_code == 403
    assert SlaPolicy.objects.count() == 6


# ---------------------------------------------------------------- calendars


CAL_BODY = {
    "name": "Rome office",
    "timezone": "Europe/Rome",
    "week": {"0": [["09:00", "13:00"], ["14:00", "18:00"]], "4": [["09:00", "13:00"]]},
    "holiday_country": "IT",
}


def test_calendars_crud_and_holidays(admin, api_client_for, django_capture_on_commit_callbacks):
    api = api_client_for(admin)
    assert api.get("/api/calendars").json()["count"] == 1
    response = post(api, "/api/calendars", CAL_BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["week"] == CAL_BODY["week"] and body["is_default"] is False
    assert body["holidays"] == []
    pk = body["id"]
    assert post(api, "/api/calendars", CAL_BODY).status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        response = put(
            api, f"/api/calendars/{pk}", {**CAL_BODY, "week": {"1": [["08:00", "12:00"]]}}
        )
    assert response.status_code == 200 and response.json()["week"] == {"1": [["08:00", "12:00"]]}

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api, f"/api/calendars/{pk}/holidays", {"date": "2026-03-03", "name": "Offsite"}
        )
    assert response.status_code == 201
    holiday = response.json()
    assert holiday["date"] == "2026-03-03"
    assert api.get(f"/api/calendars/{pk}").json()["holidays"] == [holiday]
    response = post(api, f"/api/calendars/{pk}/holidays", {"date": "2026-03-03"})
    assert response.status_code == 409 and response.json()["code"] == "duplicate_holiday"
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/calendars/{pk}/holidays/{holiday['id']}").status_code == 204
    assert not Holiday.objects.exists()
    default = default_calendar()
    assert api.delete(f"/api/calendars/{default.pk}/holidays/{holiday['id']}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid_calendar"),
        ({"week": {"0": [["17:00", "09:00"]]}}, "invalid_calendar"),
        ({"week": {"0": [["09:00"]]}}, "invalid_hours"),
        ({"week": {"7": [["09:00", "17:00"]]}}, "invalid_input"),
        ({"holiday_country": "XX"}, "invalid_country"),
        ({"holiday_subdivision": "ZZ"}, "invalid_subdivision"),
    ],
)
def test_calendar_validation(admin, api_client_for, changes, code):
    response = post(api_client_for(admin), "/api/calendars", {**CAL_BODY, **changes})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert Calendar.objects.count() == 1


def test_calendar_writes_are_403_for_agents(agent, api_client_for):
    api = api_client_for(agent)
    cal = default_calendar()
    assert api.get("/api/calendars").status_code == 200
    assert post(api, "/api/calendars", CAL_BODY).status_code == 403
    body = {"name": cal.name, "timezone": cal.timezone, "week": cal.week, "is_default": True}
    assert put(api, f"/api/calendars/{cal.pk}", body).status_code == 403
    assert post(api, f"/api/calendars/{cal.pk}/holidays", {"date": "2026-03-03"}).status_code == 403
    assert not Holiday.objects.exists()


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        ("2026-02-01T10:00:00+02:00", 1, "working_days", cairo(2026, 2, 2, 17, 0)),
        ("2026-02-01T08:00:00+02:00", 1, "working_days", cairo(2026, 2, 1, 17, 0)),
        ("2026-02-06T09:00:00Z", 1, "working_days", cairo(2026, 2, 8, 17, 0)),
        ("2026-02-05T16:00:00+02:00", 3, "working_days", cairo(2026, 2, 10, 17, 0)),
        ("2026-02-01T10:00:00+02:00", 480, "working_time", cairo(2026, 2, 2, 10, 0)),
        ("2026-02-01T10:00:00+02:00", 2880, "calendar", cairo(2026, 2, 3, 10, 0)),
        ("2026-01-06T10:00:00+02:00", 1, "working_days", cairo(2026, 1, 8, 17, 0)),  # holiday
        ("2026-02-01T10:00:00+02:00", 0, "working_days", cairo(2026, 2, 1, 10, 0)),
    ],
)
def test_due_calculator_exact(agent, api_client_for, start, amount, unit, due):
    cal = default_calendar()
    response = post(
        api_client_for(agent),
        f"/api/calendars/{cal.pk}/due",
        {"start": start, "amount": amount, "unit": unit},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert instant(body["due"]) == due
    assert instant(body["start"]) == instant(start.replace("Z", "+00:00"))


def test_due_calculator_refuses_a_naive_start(agent, api_client_for):
    cal = default_calendar()
    response = post(
        api_client_for(agent),
        f"/api/calendars/{cal.pk}/due",
        {"start": "2026-02-01T10:00:00", "amount": 1, "unit": "working_days"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "naive_datetime" and body["field"] == "start"


def test_due_calculator_on_a_calendar_without_working_time(admin, agent, api_client_for):
    empty = Calendar.objects.create(name="Empty", timezone="UTC", week={})
    response = post(
        api_client_for(agent),
        f"/api/calendars/{empty.pk}/due",
        {"start": "2026-02-01T10:00:00Z", "amount": 1, "unit": "working_days"},
    )
    assert response.status_code == 422 and response.json()["code"] == "cannot_compute"


# ---------------------------------------------------------------- client users


def test_client_users_get_404_everywhere(client_user, agent, company, api_client_for):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now(), company=company)
    policy = SlaPolicy.objects.get(pipeline=ticket_pipeline("Email Related Requests"))
    cal = default_calendar()
    api = api_client_for(client_user)
    pipeline = ticket_pipeline("Website Creation")
    gets = [
        "/api/tickets",
        f"/api/tickets/{ticket.pk}",
        f"/api/tickets/{ticket.pk}/notes",
        "/api/sla-policies",
        f"/api/sla-policies/{policy.pk}",
        "/api/calendars",
        f"/api/calendars/{cal.pk}",
    ]
    for path in gets:
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    writes = [
        ("post", "/api/tickets", {"pipeline_id": pipeline.pk}),
        ("patch", f"/api/tickets/{ticket.pk}", {"name": "x"}),
        ("post", f"/api/tickets/{ticket.pk}/move", {"stage_id": ticket.stage_id}),
        ("post", f"/api/tickets/{ticket.pk}/notes", {"body": "hi"}),
        ("post", "/api/sla-policies", policy_body(ticket_pipeline("Email Related Requests"))),
        ("put", f"/api/sla-policies/{policy.pk}", policy_body(policy.pipeline)),
        ("delete", f"/api/sla-policies/{policy.pk}", None),
        ("post", "/api/calendars", CAL_BODY),
        ("put", f"/api/calendars/{cal.pk}", CAL_BODY),
        ("post", f"/api/calendars/{cal.pk}/holidays", {"date": "2026-03-03"}),
        (
            "post",
            f"/api/calendars/{cal.pk}/due",
            {"start": "2026-02-01T10:00:00Z", "amount": 1, "unit": "calendar"},
        ),
    ]
    for method, path, body in writes:
        if body is None:
            response = getattr(api, method)(path)
        else:
            response = getattr(api, method)(path, json.dumps(body), content_type="application/json")
        assert response.status_code == 404, (method, path, response.status_code)
    assert reload(ticket).name == ticket.name
    assert not ticket.notes.exists() and SlaPolicy.objects.count() == 6
    assert not Holiday.objects.exists() and Calendar.objects.count() == 1


def test_the_deal_filter_finds_tickets_associated_with_the_deal(
    admin, agent, provisioned_deal, company, email_pipeline, api_client_for
):
    """?deal= lists the tickets opened from the deal and those associated with it since,
    like the deal page does."""
    pipeline = ticket_pipeline("Email Creation")
    client = api_client_for(agent)
    body = post(
        client, "/api/tickets", {"pipeline_id": pipeline.pk, "deal_id": provisioned_deal.pk}
    )
    ticket = Ticket.objects.get(pk=body.json()["id"])
    other_deal = crm_services.deal_create(
        by=admin, name="Renewal", pipeline=email_pipeline, company=company
    )
    assert services.ticket_deal_link(ticket=ticket, deal=other_deal, by=agent)
    for deal in (provisioned_deal, other_deal):
        ids = [t["id"] for t in client.get(f"/api/tickets?deal={deal.pk}").json()["items"]]
        assert ids == [ticket.pk], deal
