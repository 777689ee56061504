"""Realistic ticket rows in bulk, for the PostgreSQL scale test and the tickets benchmark.

``Builder`` spreads precomputed tickets across the default ticket pipelines, their stages and
SLA situations (open, closed, paused, first response given or not, met or missed), and writes
them with bulk_create: no service call per row. Every row it makes has its due-soon and breach
notices already sent, so the SLA sweep finds nothing to report in them; ``add_fresh`` adds
FRESH open tickets whose resolution is breached, for the sweep to report.

Used by tests/tickets/test_scale_postgres.py and benchmarks/bench_tickets.py. It needs the
default pipelines and SLA policies (installed by ``migrate``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models.base import ModelState

from partnerdesk.crm.models import Pipeline
from partnerdesk.sla.models import SlaPolicy, Unit
from partnerdesk.tickets.models import Ticket

BATCH = 5_000
FRESH = 6  # tickets that the sweep has to report, added by each add_fresh

MIN = dt.timedelta(minutes=1)


class Builder:
    """Precomputed ticket rows spread across the default pipelines, stages and SLA situations."""

    def __init__(self, now: dt.datetime, owners, companies):
        self.now = now
        self.owners = owners
        self.companies = companies
        self.rows = []
        for pipeline in Pipeline.objects.filter(object_type="ticket").order_by("order", "id"):
            stages = list(pipeline.stages.order_by("order", "id"))
            entries = [s for s in stages if s.is_entry]
            policies = {p.entry_stage_id: p for p in SlaPolicy.objects.filter(pipeline=pipeline)}
            for stage in stages:
                entry = stage if stage.is_entry else entries[0]
                policy = policies.get(entry.pk) or policies.get(None)
                self.rows.append((pipeline, stage, entry, policy))
        self.count = 0
        self.blank = {k: v for k, v in Ticket().__dict__.items() if k != "_state"}

    @staticmethod
    def _minutes(amount, unit) -> dt.timedelta:
        # Working targets approximated as elapsed time: the rows only need varied due times.
        return dt.timedelta(days=amount) if unit == Unit.WORKING_DAYS else amount * MIN

    def ticket(self, i: int, *, age: dt.timedelta | None = None, fresh: bool = False) -> Ticket:
        pipeline, stage, entry, policy = self.rows[i % len(self.rows)]
        age = age if age is not None else (i * 37 % (90 * 24 * 60)) * MIN
        created = self.now - age
        owner = self.owners[i % len(self.owners)] if i % 3 else None
        v = {
            "name": f"Scale ticket {i}",
            "pipeline_id": pipeline.pk,
            "stage_id": stage.pk,
            "entry_stage_id": entry.pk,
            "owner_id": owner.pk if owner else None,
            "company_id": self.companies[i % len(self.companies)].pk,
            "priority": ("low", "medium", "high", "urgent")[i % 4],
            "properties": {"domain_name": f"d{i}.example"},
            "created_at": created,
            "updated_at": created,
            "stage_entered_at": created,
            "sla_policy_id": policy.pk if policy else None,
            "has_delay_cause": i % 7 == 0,
        }
        if stage.is_closed:
            v["closed_at"] = created + 3 * dt.timedelta(hours=1 + i % 90)
        if stage.waiting_on_customer:
            v["sla_paused_at"] = created + dt.timedelta(hours=1 + i % 400)
        if policy is not None:
            if policy.first_response_amount:
                span = self._minutes(policy.first_response_amount, policy.first_response_unit)
                v["first_response_due_at"] = created + span
                v["first_response_warn_at"] = created + span * 3 / 4
                if stage.pk != entry.pk:
                    v["first_response_at"] = created + span / (1 + i % 3)
                    v["first_response_met"] = v["first_response_at"] <= v["first_response_due_at"]
            start = created if policy.resolution_from == "created" else v.get("first_response_at")
            if policy.resolution_amount and start is not None:
                span = self._minutes(policy.resolution_amount, policy.resolution_unit)
                v["resolution_started_at"] = start
                v["resolution_due_at"] = start + span
                v["resolution_warn_at"] = start + span * 3 / 4
                if "closed_at" in v:
                    v["resolution_met"] = v["closed_at"] <= v["resolution_due_at"]
        if not fresh:
            # Everything already reported, so the sweep has exactly FRESH tickets to report;
            # as in real data, a target whose warning time is still ahead keeps its due-soon
            # flag unset (the sweep's due-soon pass must not read those: a range scan of its
            # index in warning order, never a scan of the table).
            for target in ("first_response", "resolution"):
                if f"{target}_due_at" in v:
                    v[f"{target}_breach_sent"] = True
                    v[f"{target}_due_soon_sent"] = v[f"{target}_warn_at"] <= self.now
        # A model instance without Model.__init__ (ten times faster for 200,000 rows).
        ticket = Ticket.__new__(Ticket)
        ticket.__dict__.update(self.blank)
        ticket.__dict__.update(v)
        ticket._state = ModelState()
        return ticket

    def grow_to(self, total: int) -> None:
        while self.count < total:
            n = min(BATCH, total - self.count)
            Ticket.objects.bulk_create(
                [self.ticket(self.count + k) for k in range(n)], batch_size=BATCH
            )
            self.count += n

    def add_fresh(self, tag: int) -> None:
        """FRESH open Email Creation tickets due for the sweep (breached resolution)."""
        email_rows = [k for k, r in enumerate(self.rows) if r[0].name == "Email Creation"]
        tickets = [
            self.ticket(email_rows[0], age=dt.timedelta(days=3, minutes=k), fresh=True)
            for k in range(FRESH)
        ]
        for k, t in enumerate(tickets):
            t.name = f"Fresh {tag}-{k}"
        Ticket.objects.bulk_create(tickets)
