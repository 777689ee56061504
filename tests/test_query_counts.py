"""Query budgets (ARCHITECTURE.md rule 7): list pages and API lists run a constant number of SQL
queries, whatever the number of rows.

Each route is measured at ``SMALL`` and at ``LARGE`` units of data (see ``World.grow``). The two
counts must be equal (no N+1) and at most the pinned budget in ``BUDGETS``. When a change
legitimately adds a query, raise the budget in the same commit and say why.

The data is built once for the module (inside a transaction rolled back at the end) and every
route is measured against it; each route still has its own test.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.accounts.services import api_token_create, invitation_create
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import RunStatus, Trigger, WorkflowRun
from partnerdesk.core.events import record_event
from partnerdesk.crm import services
from partnerdesk.crm.models import Pipeline, Product, PropertyType, StageKind
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify
from partnerdesk.sla import services as sla_services
from partnerdesk.tickets import services as ticket_services
from tests.conftest import login, make_user

SMALL = 5
LARGE = 20  # 4 x SMALL

# route -> the most SQL queries one request may run (pinned from measurements).
BUDGETS: dict[str, int] = {
    # staff pages (as admin)
    "/app/": 9,  # + open tickets needing attention, client tasks waiting on us
    "/app/companies/": 5,
    "/app/contacts/": 5,
    "/app/deals/": 8,
    "/app/deals/board/": 6,
    "/app/settings/products/": 3,
    "/app/settings/properties/": 5,
    "/app/settings/pipelines/": 4,
    "/app/settings/users/": 4,
    "/app/companies/export.csv": 5,
    "/app/contacts/export.csv": 5,
    "/app/deals/export.csv": 5,
    "/app/companies/{company}/": 9,  # + the company's current plan
    "/app/deals/{deal}/": 10,
    "/app/tickets/": 10,
    # one query per stage column by design (tickets/selectors.board_columns); 9 stages here
    "/app/tickets/board/{ticket_pipeline}/": 17,
    "/app/tickets/{ticket}/": 9,  # + the names of the properties the pipeline requires
    "/app/settings/sla/": 6,
    "/app/settings/sla/calendars/": 3,
    # client portal (as client_user, client admin of ``company``)
    "/portal/": 11,  # + the task counts, the plan and the tasks that need the client
    "/portal/contacts/export.csv": 3,
    # API lists (as admin, API token)
    "/api/companies": 3,
    "/api/contacts": 3,
    "/api/deals": 5,
    "/api/pipelines": 5,
    "/api/products": 3,
    "/api/properties": 3,
    "/api/tickets": 3,
    "/api/sla-policies": 3,
    "/api/calendars": 4,
    # automations (as admin); the forms' choices (pipelines, stages, products, …) are one
    # query each
    "/app/settings/automations/": 8,  # + failed-run count, workflows, their actions
    "/app/settings/automations/runs/?status=succeeded": 4,
    "/app/settings/automations/runs/?status=failed": 4,
    # trigger, condition and action forms (stages twice: trigger and action), actions, runs
    "/app/settings/automations/{workflow}/": 13,
    "/api/workflows": 4,
    "/api/workflow-runs": 3,
    # notifications (as admin)
    "/notifications/": 4,
    "/notifications/badge/": 3,
    "/api/notifications": 4,
}


class World:
    """Rows in every table the measured pages read; ``grow(n)`` adds ``n`` units."""

    def __init__(self):
        self.admin = make_user("qc-admin@agency.test", Role.ADMIN)
        self.agent = make_user("qc-agent@agency.test", Role.AGENT)
        self.company = services.company_create(
            by=self.admin, name="Acme Dental", domain="acme-dental.com", country="EG"
        )
        self.client_user = make_user(
            "client@acme-dental.com",
            Role.CLIENT,
            company=self.company,
            client_role=ClientRole.ADMIN,
        )
        # The pipeline /app/deals/board/ shows first: new deals go there so the board grows.
        self.pipeline = Pipeline.objects.filter(object_type="deal", archived=False).first()
        self.open_stages = list(
            self.pipeline.stages.filter(kind=StageKind.OPEN).order_by("order", "id")
        )
        self.product = Product.objects.get(sku="email-10gb")
        self.deal = services.deal_create(
            by=self.admin,
            name="Focus deal",
            pipeline=self.pipeline,
            company=self.company,
            line_items=[{"product": self.product, "quantity": 5}],
        )
        # Tickets go to Website Creation: its entry stage needs no property.
        self.ticket_pipeline = Pipeline.objects.get(object_type="ticket", name="Website Creation")
        self.ticket = ticket_services.ticket_create(
            by=self.admin,
            pipeline=self.ticket_pipeline,
            company=self.company,
            deal=self.deal,
            name="Focus ticket",
        )
        # The workflow whose page is measured: it gains an action and a run per unit.
        self.workflow = automation_services.workflow_save(
            by=self.admin,
            name="Focus workflow",
            trigger=Trigger.DEAL_STAGE_ENTERED,
            trigger_config={"pipeline_id": self.pipeline.pk, "stage_kind": "won"},
        )
        self.units = 0

    def grow(self, n: int) -> None:
        for _ in range(n):
            self._unit(self.units)
            self.units += 1

    def _unit(self, i: int) -> None:
        admin, owner = self.admin, (self.admin if i % 2 else self.agent)
        # configuration: a product, a property required by a stage of a new pipeline
        product = services.product_save(
            by=admin,
            name=f"Product {i:03}",
            sku=f"qc-product-{i}",
            category="service",
            unit_price=Decimal("10.00"),
            currency="USD",
            billing="monthly",
            mailbox_gb=None,
            active=True,
        )
        definition = services.property_create(
            by=admin,
            object_type="deal",
            label=f"Choice {i:03}",
            type=PropertyType.ENUM,
            options=["a", "b"],
        )
        pipeline = services.pipeline_create(
            by=admin,
            object_type="deal",
            name=f"Pipeline {i:03}",
            stages=[{"name": "Start"}, {"name": "Won", "kind": "won"}],
        )
        services.stage_set_required_properties(
            stage=pipeline.stages.get(name="Won"), by=admin, properties=[definition]
        )
        # people: an agent, a client company with a client user and a pending invitation
        make_user(f"agent{i:03}@agency.test", Role.AGENT)
        company = services.company_create(
            by=admin,
            name=f"Company {i:03}",
            domain=f"company{i}.test",
            owner=owner,
            properties={"industry": "Retail", "employees": 10 + i},
        )
        make_user(
            f"client{i:03}@company{i}.test",
            Role.CLIENT,
            company=company,
            client_role=ClientRole.MEMBER,
        )
        invitation_create(
            by=admin,
            email=f"invitee{i:03}@company{i}.test",
            role=Role.CLIENT,
            company=company,
            client_role=ClientRole.MEMBER,
        )
        # a contact and a deal (two line items, one contact) in the new and the focus company
        stage = self.open_stages[i % len(self.open_stages)]
        for target in (company, self.company):
            contact = services.contact_create(
                by=admin,
                first_name=f"First{i:03}",
                last_name=f"Last{i:03}",
                email=f"person{i:03}@{target.domain}",
                company=target,
                owner=owner,
            )
            services.deal_create(
                by=admin,
                name=f"Deal {i:03} of {target.name}",
                pipeline=self.pipeline,
                stage=stage,
                company=target,
                owner=owner,
                amount="100",
                contacts=[contact],
                properties={"domain_name": f"deal{i}.test", "registrar_password": "hunter2"},
                line_items=[
                    {"product": product, "quantity": 1},
                    {"product": self.product, "quantity": 2},
                ],
            )
        # the focus records: one more line item, contact, stage move and update per unit, so
        # their related lists and timelines grow
        services.line_item_add(deal=self.deal, by=admin, product=product, quantity=1)
        services.deal_update(
            deal=self.deal, by=admin, contacts=list(self.company.contacts.all()), amount=100 + i
        )
        services.deal_move(
            deal=self.deal, stage=self.open_stages[(i + 1) % len(self.open_stages)], by=admin
        )
        services.company_update(company=self.company, by=admin, hub_id=str(1000 + i))
        # tickets: one per company (the focus one from the focus deal), a note on the focus
        # ticket, and a ticket pipeline with its SLA policy on a new calendar
        for target, deal in ((company, None), (self.company, self.deal)):
            ticket_services.ticket_create(
                by=admin,
                pipeline=self.ticket_pipeline,
                company=target,
                deal=deal,
                owner=owner,
                name=f"Ticket {i:03} of {target.name}",
            )
        ticket_services.ticket_note_add(ticket=self.ticket, by=admin, body=f"Note {i:03}")
        calendar = sla_services.calendar_save(
            by=admin,
            name=f"Calendar {i:03}",
            timezone="UTC",
            week={"0": [["09:00", "17:00"]]},
        )
        sla_services.holiday_add(
            by=admin, calendar=calendar, date=dt.date(2031, 1, 1) + dt.timedelta(days=i)
        )
        ticket_pipeline = services.pipeline_create(
            by=admin,
            object_type="ticket",
            name=f"Tickets {i:03}",
            stages=[{"name": "New"}, {"name": "Done", "kind": "closed"}],
        )
        entry = ticket_pipeline.stages.get(name="New")
        services.stage_update(stage=entry, by=admin, is_entry=True, request_name=f"Request {i}")
        sla_services.policy_save(
            by=admin,
            pipeline=ticket_pipeline,
            name=f"Policy {i:03}",
            entry_stage=entry,
            calendar=calendar,
            resolution=(60, "calendar"),
        )
        # automations: a workflow with its actions, a succeeded and a failed run of it (each
        # for an event about the new company's deal), and an action and a run more for the
        # focus workflow
        workflow = automation_services.workflow_save(
            by=admin,
            name=f"Workflow {i:03}",
            trigger=Trigger.DEAL_STAGE_ENTERED,
            trigger_config={
                "pipeline_id": pipeline.pk,
                "stage_kind": "won",
                "product_id": product.pk,
            },
            conditions_tree={"all": [{"field": "deal.amount", "op": "gt", "value": "10"}]},
        )
        automation_services.action_add(
            by=admin,
            workflow=workflow,
            type="create_ticket",
            config={"pipeline_id": self.ticket_pipeline.pk},
        )
        automation_services.action_add(
            by=admin,
            workflow=workflow,
            type="slack",
            config={"text": "Won: {{ deal.name }}"},
            secrets={"webhook_url": f"https://hooks.slack.test/{i}"},
        )
        automation_services.action_add(
            by=admin,
            workflow=self.workflow,
            type="notify",
            config={"include_owner": True, "title": f"Notify {i:03}"},
        )
        unit_deal = company.deals.get()
        events = [
            record_event(
                kind="deal.stage_changed",
                subject=unit_deal,
                company_id=company.pk,
                data={
                    "from_stage": stage.name,
                    "to_stage": "Won",
                    "pipeline_id": pipeline.pk,
                    "kind": "won",
                },
            )
            for _ in range(2)
        ]
        now = timezone.now()
        log = [
            {"step": 1, "action": "create_ticket", "at": now.isoformat(), "result": f"Run {i:03}"}
        ]
        WorkflowRun.objects.create(
            workflow=workflow,
            event=events[0],
            status=RunStatus.SUCCEEDED,
            step=2,
            log=log,
            finished_at=now,
        )
        WorkflowRun.objects.create(
            workflow=workflow,
            event=events[1],
            status=RunStatus.FAILED,
            step=1,
            attempts=5,
            log=log,
            error=f"Error {i:03}: Slack answered 500",
            finished_at=now,
        )
        WorkflowRun.objects.create(
            workflow=self.workflow,
            event=events[0],
            status=RunStatus.SUCCEEDED,
            step=1,
            log=log,
            finished_at=now,
        )
        # notifications: one more for the admin (whose pages are measured), unread
        notify(
            users=[admin, owner],
            kind=Kind.WORKFLOW,
            title=f"Notice {i:03}",
            body="Something happened.",
            url=f"/app/deals/{unit_deal.pk}/",
            dedupe_key=f"qc:{i}",
        )


@dataclass(frozen=True)
class Count:
    """For a page that shows a number instead of rows (the unread badge): the number."""

    pattern: str

    def __call__(self, body: str) -> int:
        match = re.search(self.pattern, body)
        return int(match.group(1)) if match else 0


Marker = str | Count | tuple[str, ...]


def rows(marker: Marker, body: str) -> tuple[int, ...]:
    """How many rows the body shows, for each marker (a tuple: every kind of row must grow)."""
    markers = marker if isinstance(marker, tuple) else (marker,)
    return tuple(m(body) if isinstance(m, Count) else body.count(m) for m in markers)


# Text found once per row of each page: more data must mean more rows on the page, or the
# measurement would prove nothing.
ROW_MARKERS: dict[str, Marker] = {
    "/app/": "Deal 0",  # the signed-in user's open deals (at most 10)
    "/app/companies/": "Company 0",
    "/app/contacts/": "Last0",
    "/app/deals/": "Deal 0",
    "/app/deals/board/": "Deal 0",
    "/app/settings/products/": "Product 0",
    "/app/settings/properties/": "Choice 0",
    "/app/settings/pipelines/": "Pipeline 0",
    "/app/settings/users/": "@company",  # client users and pending invitations
    "/app/companies/export.csv": "Company 0",
    "/app/contacts/export.csv": "person0",
    "/app/deals/export.csv": "Deal 0",
    "/app/companies/{company}/": "person0",
    "/app/deals/{deal}/": "Product 0",
    "/app/tickets/": "Ticket 0",
    "/app/tickets/board/{ticket_pipeline}/": "Ticket 0",
    "/app/tickets/{ticket}/": "Note 0",
    "/app/settings/sla/": "Policy 0",
    "/app/settings/sla/calendars/": "Calendar 0",
    "/portal/": "Deal 0",
    "/portal/contacts/export.csv": "person0",
    "/api/companies": "Company 0",
    "/api/contacts": "person0",
    "/api/deals": "Deal 0",
    "/api/pipelines": "Pipeline 0",
    "/api/products": "Product 0",
    "/api/properties": "Choice 0",
    "/api/tickets": "Ticket 0",
    "/api/sla-policies": "Policy 0",
    "/api/calendars": "Calendar 0",
    "/app/settings/automations/": "Workflow 0",
    "/app/settings/automations/runs/?status=succeeded": "Workflow 0",  # a run's workflow
    "/app/settings/automations/runs/?status=failed": "Error 0",
    "/app/settings/automations/{workflow}/": ("Notify 0", "deal.stage_changed"),  # actions, runs
    "/api/workflows": "Workflow 0",
    "/api/workflow-runs": "Run 0",
    "/notifications/": "Notice 0",
    "/notifications/badge/": Count(r'id="unread-count"[^>]*>(\d+)<'),  # a number, not rows
    "/api/notifications": "Notice 0",
}

# API lists are asked for every row, so a query per row would show.
API_PARAMS = {"limit": 200}


@dataclass
class Measure:
    small: int = -1  # queries
    large: int = -1
    small_rows: tuple[int, ...] = ()  # occurrences of each row marker
    large_rows: tuple[int, ...] = ()


def _get(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _warm_up(client, url, params) -> None:
    response = _get(client, url, params)
    if response.streaming:
        b"".join(response.streaming_content)


def _count(client, url, params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = _get(client, url, params)
        if response.streaming:  # CSV exports run their queries while streaming
            body = b"".join(response.streaming_content).decode()
        else:
            body = response.content.decode()
    return len(ctx.captured_queries), body


@pytest.fixture(scope="module")
def measures(django_db_setup, django_db_blocker) -> dict[str, Measure]:
    results = {route: Measure() for route in BUDGETS}
    with django_db_blocker.unblock(), transaction.atomic():
        world = World()
        staff, client = login(world.admin), login(world.client_user)
        token = Client(
            headers={"Authorization": f"Bearer {api_token_create(user=world.admin, name='qc')[1]}"}
        )

        def requests():
            for route in BUDGETS:
                url = route.format(
                    company=world.company.pk,
                    deal=world.deal.pk,
                    ticket=world.ticket.pk,
                    ticket_pipeline=world.ticket_pipeline.pk,
                    workflow=world.workflow.pk,
                )
                if route.startswith("/api/"):
                    yield route, token, url, API_PARAMS
                elif route.startswith("/portal/"):
                    yield route, client, url, {}
                else:
                    yield route, staff, url, {}

        world.grow(SMALL)
        for route, who, url, params in requests():
            _warm_up(who, url, params)  # warm up: per-process caches, the token's last-used stamp
            m = results[route]
            m.small, body = _count(who, url, params)
            m.small_rows = rows(ROW_MARKERS[route], body)
        world.grow(LARGE - SMALL)
        for route, who, url, params in requests():
            m = results[route]
            m.large, body = _count(who, url, params)
            m.large_rows = rows(ROW_MARKERS[route], body)
        transaction.set_rollback(True)
    return results


def test_every_route_has_a_budget_and_a_row_marker():
    assert set(BUDGETS) == set(ROW_MARKERS)


@pytest.mark.django_db  # also makes pytest-django create the test database for ``measures``
@pytest.mark.parametrize("route", list(BUDGETS))
def test_query_budget(route, measures):
    m = measures[route]
    assert m.small_rows and all(
        0 < small < large for small, large in zip(m.small_rows, m.large_rows, strict=True)
    ), (
        f"{route}: {m.small_rows} then {m.large_rows} rows ({ROW_MARKERS[route]!r}): "
        "the added data is not on the page, so the count proves nothing"
    )
    assert m.small == m.large, (
        f"{route}: {m.small} queries with {SMALL} units of data but {m.large} with {LARGE}: "
        "the page runs a query per row (N+1)"
    )
    assert m.large <= BUDGETS[route], f"{route}: {m.large} queries, budget {BUDGETS[route]}"
