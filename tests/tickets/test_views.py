"""Staff ticket pages: list filters and saved views, board, create (by hand and from a deal),
move with required properties, notes, and who may open them.

The pages classify tickets at the real current time, so the tickets here are opened relative to
``timezone.now()`` with wide margins (hours against 48-hour targets).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.models import Role, Team
from partnerdesk.core import crypto
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.sla.models import SlaPolicy
from partnerdesk.tickets import selectors, services
from partnerdesk.tickets.models import SavedView, Ticket, TicketNote
from tests.conftest import login, make_user
from tests.tickets import (
    ENTRY_VALUES,
    SECRET,
    move,
    open_ticket,
    reload,
    ticket_pipeline,
    ticket_stage,
)

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def shown(response, ticket: Ticket) -> bool:
    return f">{ticket.name}</a>" in response.content.decode()


def listed(response, world) -> set[str]:
    assert response.status_code == 200, response.status_code
    return {label for label, t in world.items() if shown(response, t)}


@pytest.fixture
def world(agent, company, other_company):
    now = timezone.now()
    SlaPolicy.objects.filter(pipeline=ticket_pipeline("Email Related Requests")).delete()
    t = {}
    t["on track"] = open_ticket(
        agent, "Email Creation", now=now - H, name="Alpha mailboxes", owner=agent, company=company
    )
    t["breached"] = open_ticket(agent, "Email Creation", now=now - 120 * H, name="Bravo mailboxes")
    t["breached with cause"] = open_ticket(
        agent, "Email Creation", now=now - 120 * H, name="Charlie mailboxes"
    )
    services.ticket_note_add(
        ticket=t["breached with cause"], by=agent, body="Registrar down", is_delay_cause=True
    )
    t["paused"] = open_ticket(
        agent, "Website Creation", now=now - 2 * H, name="Delta website", company=other_company
    )
    move(t["paused"], "On Hold (Customer End)", by=agent, now=now - H)
    t["met"] = open_ticket(agent, "Email Creation", now=now - 3 * H, name="Echo mailboxes")
    move(t["met"], "Emails Delivered", by=agent, now=now - 2 * H)
    t["due soon"] = open_ticket(agent, "Email Creation", now=now - 40 * H, name="Foxtrot mailboxes")
    t["no sla"] = open_ticket(
        agent, "Email Related Requests", "Cancel Emails", now=now - H, name="Golf cancellation"
    )
    return {label: reload(ticket) for label, ticket in t.items()}


# ---------------------------------------------------------------- list and filters


def test_list_shows_every_ticket(agent, world):
    assert listed(login(agent).get("/app/tickets/"), world) == set(world)


def test_list_filters(agent, world):
    client = login(agent)
    email = ticket_pipeline("Email Creation")
    website_team = Team.objects.get(name="Website Team")
    hold = ticket_stage("Website Creation", "On Hold (Customer End)")
    cases = {
        f"pipeline={email.pk}": {
            "on track",
            "breached",
            "breached with cause",
            "met",
            "due soon",
        },
        f"stage={hold.pk}": {"paused"},
        f"owner={agent.pk}": {"on track"},
        f"team={website_team.pk}": {"paused"},
        "sla=breached": {"breached", "breached with cause"},
        "sla=on_track": {"on track"},
        "sla=due_soon": {"due soon"},
        "sla=paused": {"paused"},
        "sla=met": {"met"},
        "sla=none": {"no sla"},
        "breached_without_cause=1": {"breached"},
        "status=closed": {"met"},
        "status=open": set(world) - {"met"},
        "q=bravo": {"breached"},
        "q=Other+Co": {"paused"},
        f"pipeline={email.pk}&sla=breached&breached_without_cause=1": {"breached"},
    }
    for query, expected in cases.items():
        assert listed(client.get(f"/app/tickets/?{query}"), world) == expected, query


def test_list_owner_none(agent, world):
    expected = set(world) - {"on track"}
    assert listed(login(agent).get("/app/tickets/?owner=none"), world) == expected


@pytest.mark.parametrize(
    "query",
    [
        "pipeline=abc",
        "pipeline=-1",
        "pipeline=99999999999999999999999",
        "stage=1e9",
        "owner=xyz",
        "team=%00",
        "sla=bogus",
        "status=weird",
        "priority=asap",
        "sort=bogus",
        "page=abc",
        "page=9999",
        "breached_without_cause=maybe",
        "q=" + "x" * 500,
    ],
)
def test_bad_filter_values_do_not_fail(agent, world, query):
    response = login(agent).get(f"/app/tickets/?{query}")
    assert response.status_code in (200, 400)


def test_missed_filter_offered_by_the_page_works(agent, world):
    """The SLA select lists every SlaState, including "Missed"; choosing it must not fail."""
    client = login(agent)
    page = client.get("/app/tickets/").content.decode()
    assert 'value="missed"' in page
    response = client.get("/app/tickets/?sla=missed")
    assert response.status_code == 200


def test_list_sorted_by_resolution_due(agent, world):
    html = login(agent).get("/app/tickets/?sort=resolution_due&status=open").content.decode()
    positions = [html.index(world[k].name) for k in ("breached", "due soon", "on track")]
    assert positions == sorted(positions)


def test_htmx_request_renders_only_the_results(agent, world):
    response = login(agent).get(
        "/app/tickets/?sla=breached", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results">')
    assert world["breached"].name in html and world["on track"].name not in html


# ---------------------------------------------------------------- saved views


def test_saved_views_create_show_share_and_delete(agent, world):
    mine = login(agent)
    response = mine.post(
        "/app/tickets/views/", {"name": "Late", "query": "sla=breached", "shared": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/app/tickets/?sla=breached"
    mine.post("/app/tickets/views/", {"name": "Private", "query": "status=open"})
    late = SavedView.objects.get(name="Late")
    private = SavedView.objects.get(name="Private")
    assert (late.user_id, late.shared, late.query) == (agent.pk, True, "sla=breached")
    assert not private.shared

    html = mine.get("/app/tickets/").content.decode()
    assert 'href="?sla=breached">Late' in html and 'href="?status=open">Private' in html
    assert f"/app/tickets/views/{late.pk}/delete/" in html

    theirs = login(make_user("agent2@agency.test", Role.AGENT))
    html = theirs.get("/app/tickets/").content.decode()
    assert 'href="?sla=breached">Late' in html  # shared
    assert "Private" not in html
    assert f"/app/tickets/views/{late.pk}/delete/" not in html  # not theirs to delete
    assert theirs.post(f"/app/tickets/views/{late.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=late.pk).exists()

    assert mine.post(f"/app/tickets/views/{late.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=late.pk).exists()


def test_saved_view_without_a_name_is_refused(agent):
    response = login(agent).post("/app/tickets/views/", {"name": "", "query": "sla=met"})
    assert response.status_code == 302
    assert not SavedView.objects.exists()


# ---------------------------------------------------------------- board


def test_board_shows_columns_and_tiles(agent, world):
    email = ticket_pipeline("Email Creation")
    response = login(agent).get(f"/app/tickets/board/{email.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    for stage in email.stages.all():
        assert f'data-stage="{stage.pk}" aria-label="{stage.name}"' in html
    for label in ("on track", "breached", "breached with cause", "met", "due soon"):
        assert f'id="ticket-{world[label].pk}"' in html
    assert f'id="ticket-{world["paused"].pk}"' not in html
    columns = {c["stage"].name: c for c in response.context["columns"]}
    assert columns["New"]["count"] == 4 and columns["Emails Delivered"]["count"] == 1
    assert {t.sla for t in columns["New"]["tickets"]} == {"on_track", "breached", "due_soon"}


def test_board_filters_and_default_pipeline(agent, world):
    client = login(agent)
    email = ticket_pipeline("Email Creation")
    html = client.get(f"/app/tickets/board/{email.pk}/?breached_without_cause=1").content.decode()
    assert f'id="ticket-{world["breached"].pk}"' in html
    assert f'id="ticket-{world["breached with cause"].pk}"' not in html
    assert client.get("/app/tickets/board/").status_code == 200
    website = ticket_pipeline("Website Creation")
    html = client.get(f"/app/tickets/board/{website.pk}/").content.decode()
    assert f'id="ticket-{world["paused"].pk}"' in html
    assert client.get(f"/app/tickets/board/{website.pk}/?pipeline=abc&sla=zz").status_code == 200


def test_board_of_a_deal_pipeline_is_404(agent):
    deal_pipeline = Pipeline.objects.get(object_type="deal", name="Website Creation")
    assert login(agent).get(f"/app/tickets/board/{deal_pipeline.pk}/").status_code == 404


def test_board_move_asks_for_the_missing_property_then_moves(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H)
    pipeline = ticket.pipeline
    waiting = pipeline.stages.get(name="Waiting For Dev Reply")
    board = f"/app/tickets/board/{pipeline.pk}/"
    client = login(agent)
    response = client.post(f"/app/tickets/{ticket.pk}/move/", {"stage": waiting.pk, "next": board})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'name="prop__issue_tracker_number"' in html
    assert "Issue-tracker number is required to enter “Waiting For Dev Reply”." in html
    assert reload(ticket).stage.name == "New"

    response = client.post(
        f"/app/tickets/{ticket.pk}/move/",
        {"stage": waiting.pk, "next": board, "prop__issue_tracker_number": "BUG-7"},
    )
    assert response.status_code == 302 and response["Location"] == board
    ticket = reload(ticket)
    assert ticket.stage_id == waiting.pk
    assert ticket.properties["issue_tracker_number"] == "BUG-7"
    assert ticket.first_response_at is not None


def test_move_form_redirects_to_the_detail_page_without_next(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H)
    investigating = ticket.pipeline.stages.get(name="Investigating")
    response = login(agent).post(
        f"/app/tickets/{ticket.pk}/move/", {"stage": investigating.pk, "next": "https://evil.test/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/app/tickets/{ticket.pk}/"


def test_move_to_a_stage_of_another_pipeline_is_refused(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H)
    other = ticket_stage("Website Creation", "Website Delivered")
    response = login(agent).post(f"/app/tickets/{ticket.pk}/move/", {"stage": other.pk})
    assert response.status_code == 422
    assert reload(ticket).stage.name == "New"


# ---------------------------------------------------------------- create


def test_new_lists_every_entry_stage(agent):
    response = login(agent).get("/app/tickets/new/")
    html = response.content.decode()
    assert response.status_code == 200
    for pipeline_name, stage_name in ENTRY_VALUES:
        assert f'href="/app/tickets/new/{ticket_stage(pipeline_name, stage_name).pk}/"' in html
    assert f"/app/tickets/new/{ticket_stage('Bug Investigation', 'Investigating').pk}/" not in html


def test_create_form_marks_required_properties(agent):
    stage = ticket_stage("Email Creation", "New")
    response = login(agent).get(f"/app/tickets/new/{stage.pk}/")
    assert response.status_code == 200
    form = response.context["form"]
    for name in ("purchased_mailbox_names", "domain_name", "number_of_licences", "line_items"):
        assert form.fields[f"prop__{name}"].label.endswith(" *")
    assert not form.fields["prop__registrar_name"].label.endswith("*")


def test_create_forms_owner_select_offers_the_whole_team_at_the_same_cost(agent, admin):
    """The owner select lists every active staff member, the chosen one selected, read in one
    query and drawn without a template per option: a team of 30 costs what a team of 3 does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/app/tickets/new/{ticket_stage('Email Creation', 'New').pk}/"
    client = login(agent)

    def draw() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    small, _html = draw()
    for i in range(30):
        make_user(f"agent{i}@agency.test", Role.AGENT)
    make_user("gone@agency.test", Role.AGENT, is_active=False)
    large, html = draw()

    assert large == small
    owner = html[html.index('name="owner"') :]
    owner = owner[: owner.index("</select>")]
    assert owner.count("<option") == 1 + 30 + 2  # "—", the new ones, the agent and the admin
    assert "Agent7" in owner and "Gone" not in owner
    assert f'<option value="{agent.pk}" selected>' not in owner  # no owner chosen yet
    response = client.post(url, {"priority": "medium", "owner": agent.pk})  # invalid: kept
    assert f'<option value="{agent.pk}" selected>' in response.content.decode()


def test_create_form_for_a_non_entry_stage_is_404(agent):
    stage = ticket_stage("Email Creation", "Emails Delivered")
    assert login(agent).get(f"/app/tickets/new/{stage.pk}/").status_code == 404
    deal_stage = Pipeline.objects.get(object_type="deal", name="Website Creation").stages.first()
    assert login(agent).get(f"/app/tickets/new/{deal_stage.pk}/").status_code == 404


def test_create_with_missing_values_shows_each_error_beside_its_field(agent):
    stage = ticket_stage("Email Creation", "New")
    response = login(agent).post(
        f"/app/tickets/new/{stage.pk}/", {"priority": "medium", "prop__domain_name": "acme.com"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    for name, label in (
        ("purchased_mailbox_names", "Purchased mailbox names"),
        ("number_of_licences", "Number of licences"),
        ("line_items", "Line item(s)"),
    ):
        assert f'id="err-prop__{name}"' in html
        assert f"{label} is required to enter “New”." in html
    assert 'id="err-prop__domain_name"' not in html
    assert not Ticket.objects.exists()


def test_create_bug_without_description_errs_beside_the_description(agent):
    stage = ticket_stage("Bug Investigation", "New")
    response = login(agent).post(
        f"/app/tickets/new/{stage.pk}/",
        {"priority": "high", "prop__backoffice_link": "https://bo.example.com/1"},
    )
    assert response.status_code == 400
    assert 'id="err-description"' in response.content.decode()


def test_create_rule_error_is_shown_beside_its_field(agent):
    stage = ticket_stage("Domain Related Requests", "Domain Deletion")
    response = login(agent).post(
        f"/app/tickets/new/{stage.pk}/",
        {
            "priority": "medium",
            "prop__domain_name": "old.com",
            "prop__domain_purchase_date": "2020-01-01",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err-prop__domain_purchase_date"' in html
    assert "2020-01-01" in html and "2020-01-05" in html


def test_create_valid_redirects_to_the_ticket(agent, company):
    stage = ticket_stage("Domain Related Requests", "Connect External Domain")
    response = login(agent).post(
        f"/app/tickets/new/{stage.pk}/",
        {
            "priority": "high",
            "company": company.pk,
            "owner": agent.pk,
            "prop__domain_name": "acme.org",
            "prop__registrar_name": "Namecheap",
            "prop__registrar_username": "acme",
            "prop__registrar_password": SECRET,
            "prop__domain_bought_here": "no",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/app/tickets/{ticket.pk}/"
    assert ticket.name == "Connect External Domain For acme.org"
    assert (ticket.priority, ticket.owner_id, ticket.company_id) == ("high", agent.pk, company.pk)
    assert crypto.decrypt(ticket.secrets["registrar_password"]) == SECRET
    assert ticket.resolution_due_at == ticket.created_at + 48 * H
    assert login(agent).get(response["Location"]).status_code == 200


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


def test_create_from_a_deal_copies_initial_values(agent, admin, provisioned_deal, company):
    deal = provisioned_deal
    client = login(agent)
    stage = ticket_stage("Email Creation", "New")
    html = client.get(f"/app/tickets/new/?deal={deal.pk}").content.decode()
    assert f'href="/app/tickets/new/{stage.pk}/?deal={deal.pk}"' in html
    response = client.get(f"/app/tickets/new/{stage.pk}/?deal={deal.pk}")
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["company"] == company.pk and initial["owner"] == admin.pk
    assert initial["contact"].email == "mona@acme-dental.com"
    assert initial["prop__domain_name"] == "acme-dental.com"
    assert initial["prop__purchased_mailbox_names"] == "info, sales"
    assert initial["prop__number_of_licences"] == 2
    assert initial["prop__line_items"] == "5 × Business Email 10 GB"
    assert initial["prop__product"] == "Business Email 10 GB"
    assert "prop__registrar_password" not in initial  # secrets are never sent to the page
    assert SECRET not in response.content.decode()

    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in initial.items() if v not in (None, "")}
    response = client.post(
        f"/app/tickets/new/{stage.pk}/", {**data, "deal": deal.pk, "priority": "medium"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert (ticket.deal_id, ticket.company_id, ticket.source) == (deal.pk, company.pk, "deal")
    assert ticket.contact.email == "mona@acme-dental.com"
    assert ticket.name == "Email Creation For acme-dental.com"
    assert ticket.properties["line_items"] == "5 × Business Email 10 GB"
    assert crypto.decrypt(ticket.secrets["registrar_password"]) == SECRET


def test_create_for_an_unknown_deal_is_404(agent, deal):
    stage = ticket_stage("Email Creation", "New")
    assert login(agent).get(f"/app/tickets/new/{stage.pk}/?deal=999999").status_code == 404


# ---------------------------------------------------------------- detail, edit and notes


def test_detail_shows_sla_and_the_cause_flag(agent, world):
    client = login(agent)
    html = client.get(f"/app/tickets/{world['breached'].pk}/").content.decode()
    assert 'id="cause-flag"' in html
    html = client.get(f"/app/tickets/{world['breached with cause'].pk}/").content.decode()
    assert 'id="cause-flag"' not in html and "Registrar down" in html
    html = client.get(f"/app/tickets/{world['paused'].pk}/").content.decode()
    assert "paused while waiting on the customer" in html
    html = client.get(f"/app/tickets/{world['no sla'].pk}/").content.decode()
    assert "No SLA applies to this ticket." in html


def test_edit_page(agent, world):
    ticket = world["on track"]
    client = login(agent)
    assert client.get(f"/app/tickets/{ticket.pk}/edit/").status_code == 200
    response = client.post(
        f"/app/tickets/{ticket.pk}/edit/",
        {
            "name": "Alpha renamed",
            "priority": "urgent",
            "prop__domain_name": "acme-dental.com",
            "prop__purchased_mailbox_names": "info, sales",
            "prop__number_of_licences": "2",
            "prop__line_items": "2 × Business Email 10 GB",
        },
    )
    assert response.status_code == 302
    ticket = reload(ticket)
    assert (ticket.name, ticket.priority) == ("Alpha renamed", "urgent")


def test_note_form(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=timezone.now() - H)
    client = login(agent)
    response = client.post(
        f"/app/tickets/{ticket.pk}/notes/", {"body": "We are on it", "is_public": "on"}
    )
    assert response.status_code == 302 and response["Location"] == f"/app/tickets/{ticket.pk}/"
    note = TicketNote.objects.get()
    assert note.is_public and not note.is_delay_cause and note.author_id == agent.pk
    assert reload(ticket).first_response_at is not None

    response = client.post(
        f"/app/tickets/{ticket.pk}/notes/", {"body": "Vendor outage", "is_delay_cause": "on"}
    )
    assert response.status_code == 302
    assert reload(ticket).has_delay_cause

    response = client.post(f"/app/tickets/{ticket.pk}/notes/", {"body": "  "})
    assert response.status_code == 422
    assert TicketNote.objects.count() == 2


# ---------------------------------------------------------------- access


def test_client_users_get_404_on_every_ticket_page(client_user, agent, company):
    ticket = open_ticket(agent, "Website Creation", now=timezone.now(), company=company)
    view = SavedView.objects.create(user=agent, name="v", query="", shared=True)
    stage = ticket_stage("Website Creation", "New")
    client = login(client_user)
    gets = [
        "/app/tickets/",
        "/app/tickets/board/",
        f"/app/tickets/board/{ticket.pipeline_id}/",
        "/app/tickets/new/",
        f"/app/tickets/new/{stage.pk}/",
        f"/app/tickets/{ticket.pk}/",
        f"/app/tickets/{ticket.pk}/edit/",
    ]
    posts = [
        "/app/tickets/views/",
        f"/app/tickets/views/{view.pk}/delete/",
        f"/app/tickets/new/{stage.pk}/",
        f"/app/tickets/{ticket.pk}/edit/",
        f"/app/tickets/{ticket.pk}/move/",
        f"/app/tickets/{ticket.pk}/notes/",
    ]
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        assert client.post(path, {"name": "x", "body": "x", "stage": stage.pk}).status_code == (
            404
        ), path
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert not ticket.notes.exists()


def test_anonymous_users_are_sent_to_log_in(db):
    response = Client().get("/app/tickets/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_home_page_points_at_tickets_that_need_attention(agent, admin, company):
    now = timezone.now()
    # Email Creation: resolution due within days; opened 30 days ago, it is breached.
    late = open_ticket(agent, "Email Creation", now=now - dt.timedelta(days=30), company=company)
    services.ticket_update(ticket=late, by=agent, owner=agent)
    open_ticket(agent, "Email Creation", now=now - H, company=company)  # on track, no owner
    closed_late = open_ticket(agent, "Email Creation", now=now - dt.timedelta(days=30))
    Ticket.objects.filter(pk=closed_late.pk).update(closed_at=now - dt.timedelta(days=1))

    counts = {k: v["count"] for k, v in selectors.attention_counts(agent, now=now).items()}
    assert counts["breached"] == 1  # the closed one is history, not attention
    assert counts["breached_without_cause"] == 1
    assert counts["mine"] == 1
    assert counts["unassigned"] == 1
    html = login(agent).get("/app/").content.decode()
    assert "Open tickets breached" in html and "1 without a cause of delay" in html
    assert "/app/tickets/?status=open&amp;sla=breached" in html
