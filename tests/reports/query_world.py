"""Data for the reports' query budgets (tests/reports/test_queries.py): every table a report
reads, in the default range (the last 30 days), made through the services where they take a
time (tickets: creation, moves, replies, closing) so the stage history and SLA times are real.

``grow(n)`` adds ``n`` units; each one adds, for a new client company on a plan, with a new
agent in a new team:
- tickets: a Website Creation ticket that waited on the customer and was delivered, an Email
  Creation ticket moved through its stages (the time-in-stage report's default pipeline), a Bug
  Investigation ticket answered late with a cause of delay and resolved, a Domain Deletion
  ticket still open past its 2-hour target, and an Add Email Licence ticket just opened;
- client tasks: one submitted, one accepted, one started and delivered, one approved;
- knowledge base: a published article for the unit's request types, and a deflection;
- satisfaction: an answered survey about the closed ticket and one about the approved task.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.accounts.services import team_save
from partnerdesk.crm import services as crm_services
from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import TaskCategory
from partnerdesk.satisfaction.models import AnsweredVia, Survey
from partnerdesk.tickets import services
from tests.conftest import make_user
from tests.tickets import ENTRY_VALUES, ticket_pipeline, ticket_stage

D = dt.timedelta(days=1)
H = dt.timedelta(hours=1)


class QueryWorld:
    def __init__(self, admin):
        self.admin = admin
        self.units = 0
        self.plan = portal_services.plan_save(by=admin, name="Reports plan", concurrent_tasks=50)
        self.categories = list(
            TaskCategory.objects.filter(is_active=True, is_consultation=False).order_by("pk")
        )
        self.kb = Category.objects.create(name="Reports query budgets")

    def grow(self, n: int) -> None:
        for _ in range(n):
            self._unit(self.units)
            self.units += 1

    def _ticket(self, owner, pipeline, stage=None, *, at, company, **properties):
        pipeline_obj = ticket_pipeline(pipeline)
        stage_obj = (
            pipeline_obj.stages.get(name=stage)
            if stage
            else pipeline_obj.stages.filter(is_entry=True).order_by("order", "id").first()
        )
        values, description = ENTRY_VALUES[(pipeline, stage_obj.name)]
        return services.ticket_create(
            by=owner,
            pipeline=pipeline_obj,
            stage=stage_obj,
            owner=owner,
            company=company,
            properties={**values, **properties},
            description=description,
            now=at,
        )

    def _move(self, ticket, stage, *, by, at, **properties):
        return services.ticket_move(
            ticket=ticket,
            stage=ticket.pipeline.stages.get(name=stage),
            by=by,
            now=at,
            properties=properties or None,
        )

    def _unit(self, i: int) -> None:
        admin, now = self.admin, timezone.now()
        agent = make_user(f"reports-agent{i}@agency.test", Role.AGENT)
        team_save(by=admin, name=f"Reports team {i}", members=[agent], lead=agent)
        company = crm_services.company_create(
            by=admin, name=f"Reports Co {i}", domain=f"reports{i}.test"
        )
        client = make_user(
            f"client{i}@reports{i}.test", Role.CLIENT, company=company, client_role=ClientRole.ADMIN
        )
        portal_services.subscription_set(by=admin, company=company, plan=self.plan)
        owner = agent if i % 2 else admin
        # tickets
        web = self._ticket(owner, "Website Creation", at=now - 10 * D, company=company)
        web = self._move(web, "On Hold (Customer End)", by=owner, at=now - 9 * D)
        web = self._move(web, "Working On The Website", by=owner, at=now - 8 * D)
        web = self._move(
            web, "Website Delivered", by=owner, at=now - 7 * D, website_domain="x.test"
        )
        mail = self._ticket(owner, "Email Creation", at=now - 6 * D, company=company)
        mail = self._move(mail, "Email Creation In Progress", by=owner, at=now - 5 * D)
        self._move(mail, "Waiting For Upgrade", by=owner, at=now - 4 * D)
        bug = self._ticket(agent, "Bug Investigation", at=now - 12 * D, company=company)
        services.ticket_note_add(
            ticket=bug, by=agent, body=f"Answer {i}", is_public=True, now=now - 6 * D
        )
        services.ticket_note_add(
            ticket=bug, by=agent, body=f"Delay cause {i}", is_delay_cause=True, now=now - 6 * D
        )
        bug = self._move(bug, "Resolved By Support", by=agent, at=now - 2 * D)
        self._ticket(
            owner,
            "Domain Related Requests",
            "Domain Deletion",
            at=now - 3 * D,
            company=company,
            domain_purchase_date=(now - 4 * D).date().isoformat(),
        )
        self._ticket(
            agent, "Email Related Requests", "Add Email Licence", at=now - H, company=company
        )
        # client tasks, through their life
        category = self.categories[i % len(self.categories)]

        def submit(title):
            return portal_services.task_submit(
                by=client, title=f"{title} {i}", category=category, company=company
            )

        submit("Submitted")
        portal_services.task_accept(by=admin, task=submit("Accepted"), estimate_minutes="2h")
        started = portal_services.task_accept(
            by=admin, task=submit("Delivered"), estimate_minutes="3h", assignee=agent
        )
        started = portal_services.task_start(by=admin, task=started)
        portal_services.task_deliver(by=admin, task=started)
        approved = portal_services.task_accept(
            by=admin, task=submit("Approved"), estimate_minutes="1h", assignee=owner
        )
        approved = portal_services.task_start(by=admin, task=approved)
        approved = portal_services.task_deliver(by=admin, task=approved)
        approved = portal_services.task_approve(by=client, task=approved)
        # knowledge base
        article = Article.objects.create(
            title=f"Reports article {i}",
            slug=f"reports-article-{i}",
            category=self.kb,
            status=ArticleStatus.PUBLISHED,
            published_at=now - 20 * D,
        )
        article.task_categories.set([category])
        article.request_types.set([ticket_stage("Bug Investigation", "New")])
        Deflection.objects.create(
            article=article, task_category=category, company=company, created_at=now - D
        )
        # satisfaction
        for subject in ({"ticket": bug}, {"task": approved}):
            Survey.objects.create(
                **subject,
                company=company,
                recipient=client,
                recipient_email=client.email,
                agent=agent,
                sent_at=now - 2 * D,
                expires_at=now + 12 * D,
                score=1 + i % 5,
                comment=f"Survey {i}",
                answered_at=now - D,
                answered_via=AnsweredVia.EMAIL,
            )
