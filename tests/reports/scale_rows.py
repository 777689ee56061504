"""Rows in bulk for the reports at scale: the PostgreSQL scale test of the reports
(tests/reports/test_scale_postgres.py) and benchmarks/bench_reports.py.

``ReportRows`` extends the tickets' scale ``Builder`` (tests/tickets/scale_rows.py): the same
tickets across the default pipelines, stages and SLA situations, spread over ``SPAN_DAYS``
(two years: a 30-day range holds about 4 % of them, as in a help desk that has run for a
while, where the tickets' builder packs them into 90 days); those older than ``OPEN_FOR`` are
closed (the tickets' builder leaves a ticket in an open stage open for ever, which would make
most of two years of tickets open now); each with
- its stage history: one visit per stage from its entry stage to its stage, in pipeline order,
  the entry times spread between its creation and its last move;
- the SLA times the reports read (first response and resolution, in seconds, in the unit of
  the policy);
and, per ``TASKS_PER`` tickets, a client task (across the categories and statuses, half of them
complete), per ``SURVEYS_PER`` tickets an answered satisfaction survey of a closed ticket, and
per ``DEFLECTIONS_PER`` tickets a deflection, so every report has rows to count. Written with
bulk_create (no service call per row).

The tickets' creation times are scattered over the two years, so that the first few thousand
already cover them. ``in_time_order=(first, end)`` writes tickets ``first`` to ``end - 1``
oldest first instead, as a help desk's table fills: their rows lie on disk in the order of
their creation time, as a real ticket table's do, which is what the planner weighs when a range
of days is a tenth of the table (scattered, a 90-day range is on nearly every page of it).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db.models.base import ModelState

from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.portal.models import Status, Task, TaskCategory
from partnerdesk.satisfaction.models import AnsweredVia, Survey
from partnerdesk.tickets.models import Ticket, TicketStageVisit
from tests.tickets.scale_rows import BATCH, Builder

SPAN_DAYS = 730
OPEN_FOR = dt.timedelta(days=45)  # older tickets are closed
TASKS_PER = 10
SURVEYS_PER = 20
DEFLECTIONS_PER = 50
MINUTES = SPAN_DAYS * 24 * 60
H = dt.timedelta(hours=1)


@contextmanager
def explicit_created_at(model):
    """bulk_create keeps the ``created_at`` given (auto_now_add would stamp "now")."""
    field = model._meta.get_field("created_at")
    before = field.auto_now_add
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = before


class ReportRows(Builder):
    def __init__(self, now, owners, companies, *, in_time_order: tuple[int, int] | None = None):
        super().__init__(now, owners, companies)
        self.in_time_order = in_time_order
        self.closed_stage = {}
        for pipeline, stage, _entry, _policy in self.rows:
            if stage.is_closed:
                self.closed_stage.setdefault(pipeline.pk, stage)
        self.paths: dict[tuple[int, int], list] = {}
        self.categories = list(TaskCategory.objects.order_by("pk"))
        kb = Category.objects.create(name="Scale")
        self.articles = []
        for k, category in enumerate(self.categories[::2]):
            article = Article.objects.create(
                title=f"Scale {k}", slug=f"scale-{k}", category=kb, status=ArticleStatus.PUBLISHED
            )
            article.task_categories.set([category])
            self.articles.append(article)
        self.visits = 0
        self.tasks = 0

    def path(self, entry_id: int, stage_id: int) -> list:
        """The stages a ticket went through: its entry stage, the open stages between (in
        pipeline order), its stage."""
        key = (entry_id, stage_id)
        if key not in self.paths:
            stages = {s.pk: s for _p, s, _e, _q in self.rows}
            entry, stage = stages[entry_id], stages[stage_id]
            between = [
                s
                for s in stages.values()
                if s.pipeline_id == stage.pipeline_id
                and not s.is_entry
                and not s.is_closed
                and s.order < stage.order
            ]
            self.paths[key] = [entry] if stage.is_entry else [entry, *between, stage]
        return self.paths[key]

    def ticket(self, i: int, *, age=None, fresh: bool = False) -> Ticket:
        if age is None:
            age = dt.timedelta(minutes=self._age_minutes(i))
        ticket = super().ticket(i, age=age, fresh=fresh)
        v = ticket.__dict__
        policy = self.rows[i % len(self.rows)][3]
        if age > OPEN_FOR and v.get("closed_at") is None:
            self._close(v, i, policy)
        path = self.path(v["entry_stage_id"], v["stage_id"])
        step = (1 + i % 47) * H
        last = v.get("closed_at") or min(v["created_at"] + step * (len(path) - 1), self.now)
        v["stage_entered_at"] = last
        v["_path"] = path
        if v.get("first_response_met") is not None:
            v["first_response_elapsed"] = max(
                0, int((v["first_response_at"] - v["created_at"]).total_seconds())
            )
            v["first_response_elapsed_unit"] = policy.first_response_unit
        if v.get("resolution_met") is not None:
            v["resolution_elapsed"] = max(
                0, int((v["closed_at"] - v["resolution_started_at"]).total_seconds())
            )
            v["resolution_elapsed_unit"] = policy.resolution_unit
        return ticket

    def _age_minutes(self, i: int) -> int:
        if self.in_time_order is not None:
            first, end = self.in_time_order
            if first <= i < end:
                return (end - 1 - i) * (MINUTES - 1) // max(1, end - 1 - first)
        return (i * 7919) % MINUTES

    def _close(self, v: dict, i: int, policy) -> None:
        """An old ticket is closed: in its pipeline's first closed stage, its clocks stopped."""
        created = v["created_at"]
        closed = created + 3 * (1 + i % 90) * H
        v.update(stage_id=self.closed_stage[v["pipeline_id"]].pk, closed_at=closed)
        v["sla_paused_at"] = None
        if policy is None:
            return
        if v.get("first_response_at") is None:
            v["first_response_at"] = closed  # closing answers the customer
        if v.get("first_response_due_at") is not None:
            v["first_response_met"] = v["first_response_at"] <= v["first_response_due_at"]
        if policy.resolution_amount:
            start = created if policy.resolution_from == "created" else v["first_response_at"]
            span = self._minutes(policy.resolution_amount, policy.resolution_unit)
            v.update(
                resolution_started_at=start,
                resolution_due_at=start + span,
                resolution_warn_at=start + span * 3 / 4,
                resolution_met=closed <= start + span,
            )

    def _visits(self, ticket: Ticket) -> list[TicketStageVisit]:
        path = ticket.__dict__.pop("_path")
        start, last = ticket.created_at, ticket.stage_entered_at
        steps = max(1, len(path) - 1)
        times = [start + (last - start) * k / steps for k in range(len(path))]
        if len(path) == 1:
            times = [last]
        visits = []
        for k, stage in enumerate(path):
            left = times[k + 1] if k + 1 < len(path) else None
            visit = TicketStageVisit.__new__(TicketStageVisit)
            visit.__dict__.update(
                id=None,
                ticket_id=ticket.pk,
                pipeline_id=ticket.pipeline_id,
                stage_id=stage.pk,
                entered_at=times[k],
                left_at=left,
                seconds=None if left is None else int((left - times[k]).total_seconds()),
                _state=ModelState(),
            )
            visits.append(visit)
        return visits

    def grow_to(self, total: int) -> None:
        while self.count < total:
            n = min(BATCH, total - self.count)
            tickets = [self.ticket(self.count + k) for k in range(n)]
            Ticket.objects.bulk_create(tickets, batch_size=BATCH)
            visits = [v for t in tickets for v in self._visits(t)]
            TicketStageVisit.objects.bulk_create(visits, batch_size=BATCH)
            self.visits += len(visits)
            self._extras(tickets)
            self.count += n

    def add_fresh(self, tag: int) -> None:
        raise NotImplementedError("the reports' rows have no sweep to feed")

    def _extras(self, tickets: list[Ticket]) -> None:
        tasks, surveys, deflections = [], [], []
        for ticket in tickets:
            i = int(ticket.name.rsplit(" ", 1)[1])
            if i % TASKS_PER == 0:
                tasks.append(self._task(i, ticket.created_at))
            if i % SURVEYS_PER == 0 and ticket.closed_at is not None:
                surveys.append(
                    Survey(
                        ticket_id=ticket.pk,
                        company_id=ticket.company_id,
                        recipient_email="client@scale.test",
                        agent_id=ticket.owner_id,
                        sent_at=ticket.closed_at,
                        expires_at=ticket.closed_at + 14 * 24 * H,
                        score=1 + i % 5,
                        answered_at=ticket.closed_at + H,
                        answered_via=AnsweredVia.EMAIL,
                    )
                )
            if i % DEFLECTIONS_PER == 0:
                deflections.append(
                    Deflection(
                        article=self.articles[i % len(self.articles)],
                        task_category=self.categories[i % len(self.categories)],
                        company_id=ticket.company_id,
                        created_at=ticket.created_at,
                    )
                )
        with explicit_created_at(Task):
            Task.objects.bulk_create(tasks, batch_size=BATCH)
        self.tasks += len(tasks)
        Survey.objects.bulk_create(surveys, batch_size=BATCH)
        Deflection.objects.bulk_create(deflections, batch_size=BATCH)

    def _task(self, i: int, created: dt.datetime) -> Task:
        status = (Status.COMPLETE, Status.TRIAGE, Status.ACCEPTED, Status.WORKING)[i % 4]
        company = self.companies[i % len(self.companies)]
        values = {
            "company_id": company.pk,
            "title": f"Scale task {i}",
            "category": self.categories[i % len(self.categories)],
            "status": status,
            "created_at": created,
            "updated_at": created,
            "assignee_id": self.owners[i % len(self.owners)].pk if i % 3 else None,
            "waiting_on": "" if status == Status.COMPLETE else "agency",
        }
        if status != Status.TRIAGE:
            values |= {"estimate_minutes": 60 * (1 + i % 8), "accepted_at": created + H}
        if status in (Status.COMPLETE, Status.WORKING):
            values["started_at"] = created + 2 * H
        if status == Status.COMPLETE:
            values |= {"delivered_at": created + 6 * H, "closed_at": created + 8 * H}
        return Task(**values)
