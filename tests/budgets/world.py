"""The data the query budgets are measured with: rows in every table a list page reads.

``World()`` builds the focus records (the company, deal, ticket, workflow, client task and
consultation sessions whose own pages are measured); ``grow(n)`` adds ``n`` units, each with a
row more in every list (and in the focus records' related lists).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.accounts.services import api_token_create, invitation_create, team_save
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import RunStatus, Trigger, WorkflowRun
from partnerdesk.core.events import record_event
from partnerdesk.crm import importing, services
from partnerdesk.crm.models import Pipeline, Product, PropertyType, StageKind
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify, set_preferences
from partnerdesk.portal import booking
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import TaskCategory
from partnerdesk.sla import services as sla_services
from partnerdesk.tickets import services as ticket_services
from tests.conftest import make_user
from tests.core import budget_world as core_world
from tests.dashboard import world as dashboard_world
from tests.knowledge import world as knowledge_world
from tests.partner_program import accreditation_world
from tests.partner_program import world as partner_world
from tests.satisfaction import world as satisfaction_world
from tests.tickets import budget_world as tickets_email_world
from tests.tickets import budget_world_portal as tickets_portal_world
from tests.webhooks import world as webhooks_world

# The booking pages show one week: they are measured on next week (``?week=`` in their budget
# keys), where every unit books its session. Whatever today is, next week lies wholly inside
# the booking window and has all its slots (the agency's default hours, UTC), and the week
# holding its Wednesday holds its Monday to Friday whichever day weeks start on.
_TODAY = timezone.now().astimezone(dt.UTC).date()
BOOKING_WEEK_MONDAY = _TODAY + dt.timedelta(days=7 - _TODAY.weekday())
BOOKING_WEEK = BOOKING_WEEK_MONDAY + dt.timedelta(days=2)


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
        # The focus contact: the focus company's deals name it, so its page's deals grow.
        self.contact = services.contact_create(
            by=self.admin,
            first_name="Focus",
            last_name="Contact",
            email="focus@acme-dental.com",
            company=self.company,
        )
        self._portal_setup()
        webhooks_world.setup(self)
        partner_world.setup(self)
        accreditation_world.setup(self)
        dashboard_world.setup(self)
        knowledge_world.setup(self)
        satisfaction_world.setup(self)
        tickets_email_world.setup(self)
        tickets_portal_world.setup(self)
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
                contacts=[contact, self.contact] if target is self.company else [contact],
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
        # accounts: a team, and every other unit an API token of the admin (listed on their
        # profile; a user holds at most 20)
        team_save(by=admin, name=f"Team {i:03}", members=[owner], lead=owner)
        if i % 2 == 0:
            api_token_create(user=admin, name=f"Token {i:03}")
        # imports: an uploaded file with errors (no Record ID column; no file is kept)
        importing.import_create(
            by=owner,
            uploaded_file=SimpleUploadedFile(f"Import {i:03}.csv", b"Company name\nAcme\n"),
        )
        self._portal_unit(i, company)
        webhooks_world.unit(self, i)
        core_world.unit(self, i)
        partner_world.unit(self, i)
        accreditation_world.unit(self, i)
        dashboard_world.unit(self, i)
        knowledge_world.unit(self, i)
        satisfaction_world.unit(self, i)
        tickets_email_world.unit(self, i)
        tickets_portal_world.unit(self, i)

    # ------------------------------------------------------------ client tasks and sessions

    def _portal_setup(self) -> None:
        admin = self.admin
        # The admin hears of client tasks by email only: their in-app notifications would
        # otherwise push the "Notice" rows off the first page of /notifications/.
        set_preferences(user=admin, values={Kind.TASK: (False, False)})
        self.plan = portal_services.plan_save(by=admin, name="QC plan", concurrent_tasks=50)
        portal_services.subscription_set(by=admin, company=self.company, plan=self.plan)
        categories = TaskCategory.objects.filter(is_active=True).order_by("order", "id")
        self.category = categories.filter(is_consultation=False).first()
        self.consultation = categories.filter(is_consultation=True).first()
        # The task whose pages are measured: it gains a message (with a file) per unit.
        self.task = self._submit("Focus task")
        # A consultation task without a session (the booking page) and a booked one (the
        # rescheduling page). The admin is the only consultant (no consultants team member,
        # no manager), so every session booked takes a slot off both pages.
        self.booking_task = self._submit("Focus consultation", self.consultation)
        self.session = booking.session_book(
            by=self.client_user,
            task=self._submit("Focus booked consultation", self.consultation),
            starts_at=booking.free_slots()[-1].starts_at,
        )

    def _submit(self, title: str, category=None, by=None):
        return portal_services.task_submit(
            by=by or self.client_user, title=title, category=category or self.category
        )

    def _portal_unit(self, i: int, company) -> None:
        admin = self.admin
        # configuration: a plan and a category
        portal_services.plan_save(by=admin, name=f"Plan {i:03}", concurrent_tasks=1 + i % 5)
        portal_services.category_save(by=admin, name=f"Category {i:03}")
        # a task in each column of the focus company's task list, and a request of the new
        # company (the staff triage spans companies)
        self._submit(f"Triage {i:03}")
        self._submit(f"Triage {i:03} of {company.name}", by=company.users.get(role=Role.CLIENT))
        queued = self._submit(f"Queued {i:03}")
        portal_services.task_accept(by=admin, task=queued, estimate_minutes="2h")
        for title, deliver in ((f"Working {i:03}", False), (f"Pending {i:03}", True)):
            task = self._submit(title)
            task = portal_services.task_accept(by=admin, task=task, estimate_minutes="3h")
            task = portal_services.task_start(by=admin, task=task)
            if deliver:
                portal_services.task_deliver(by=admin, task=task)
        portal_services.task_decline(
            by=admin, task=self._submit(f"Closed {i:03}"), reason="Out of scope"
        )
        # a message with a file on the focus task, from either side
        portal_services.message_post(
            by=self.client_user if i % 2 else admin,
            task=self.task,
            body=f"Message {i:03}",
            files=[SimpleUploadedFile(f"file-{i:03}.txt", b"qc", "text/plain")],
        )
        # a consultation session booked in the earliest free slot of the measured week
        monday = dt.datetime.combine(BOOKING_WEEK_MONDAY, dt.time(), tzinfo=dt.UTC)
        booking.session_book(
            by=self.client_user,
            task=self._submit(f"Consult {i:03}", self.consultation),
            starts_at=next(s.starts_at for s in booking.free_slots() if s.starts_at >= monday),
        )
