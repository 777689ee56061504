"""What the generator reads once before writing: the default pipelines, stages, SLA policies and
their calendars, plans, task categories, products, activity types, content types; and the
proportions of the agency it builds (``Sizes``)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from partnerdesk.accounts.models import Team
from partnerdesk.crm.models import Company, Contact, Deal, Pipeline, Product, Stage, StageKind
from partnerdesk.knowledge.models import Article
from partnerdesk.partner_program.models import ActivityType
from partnerdesk.portal.models import Plan, Task, TaskCategory
from partnerdesk.sla.calendar import WorkingCalendar
from partnerdesk.sla.clock import agency_calendar
from partnerdesk.sla.models import SlaPolicy, Unit
from partnerdesk.tickets.models import Ticket

# Tickets per block: a block is one transaction and one step of the progress bar, and has its
# own random generator, so an agency grows block by block (100,000 tickets, then 1,000,000).
BLOCK = 10_000
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Sizes:
    """The agency's proportions per ticket: the rest of a block follows its ticket count."""

    tickets_per_company: int = 50
    contacts_per_company: float = 3.0
    deals_per_company: float = 2.0
    open_share: float = 0.35  # open tickets (the rest are closed)
    portal_share: float = 0.2  # companies on a portal plan
    tasks_per_ticket: float = 0.1
    deflections_per_ticket: float = 0.01
    partner_share: float = 0.25  # companies with a HubSpot account in the partner program
    activities_per_ticket: float = 0.25
    first_agents: int = 5  # agents of the first block; one more per further full block
    history_days: int = 365

    def companies(self, tickets: int) -> int:
        return max(1, math.ceil(tickets / self.tickets_per_company))


def span(amount: int | None, unit: str) -> dt.timedelta:
    """A target as an approximate calendar duration (only to draw realistic durations; the
    stored due times are computed exactly by sla.clock)."""
    if amount is None:
        return 3 * DAY
    if unit == Unit.WORKING_DAYS:
        return amount * 1.4 * DAY
    if unit == Unit.WORKING_TIME:
        return amount * 3 * MINUTE
    return amount * MINUTE


@dataclass
class TicketRoute:
    """One way into a ticket pipeline: an entry stage, the open stages a ticket passes on its
    way, the closed stages it may end in, and the SLA policy and calendar that apply."""

    pipeline: Pipeline
    entry: Stage
    middle: list[Stage]
    ends: list[Stage]
    policy: SlaPolicy | None
    calendar: WorkingCalendar
    weight: float
    target: dt.timedelta  # the resolution target, roughly, in calendar time
    first_target: dt.timedelta


@dataclass
class DealRoute:
    pipeline: Pipeline
    open: list[Stage]
    won: Stage
    lost: Stage | None


@dataclass
class Reference:
    now: dt.datetime
    seed: int
    tag: str  # in every unique value the generator writes (emails, hub ids, slugs)
    sizes: Sizes
    routes: list[TicketRoute]
    route_weights: list[float]
    deal_routes: list[DealRoute]
    products: list[Product]
    plans: dict[str, Plan]
    categories: list[TaskCategory]
    activity_types: list[int]
    teams: dict[str, Team]
    calendar: WorkingCalendar
    content_types: dict[str, int] = field(default_factory=dict)


# How often tickets arrive per pipeline (the rest of an agency's support is email and domains).
PIPELINE_WEIGHTS = {
    "Email Creation": 0.14,
    "Email Related Requests": 0.30,
    "Domain Related Requests": 0.20,
    "Bug Investigation": 0.24,
    "Website Creation": 0.12,
}


def ticket_routes() -> list[TicketRoute]:
    routes = []
    for pipeline in Pipeline.objects.filter(object_type="ticket", archived=False).order_by(
        "order", "id"
    ):
        stages = list(pipeline.stages.order_by("order", "id"))
        entries = [s for s in stages if s.is_entry]
        policies = {
            p.entry_stage_id: p
            for p in SlaPolicy.objects.filter(pipeline=pipeline).select_related("calendar")
        }
        share = PIPELINE_WEIGHTS.get(pipeline.name, 0.1)
        for entry in entries:
            # The open stages up to the first closed one (other entry stages are other
            # requests: skipped), and that closed stage with the closed ones right after it
            # (Bug Investigation ends Resolved By Dev or By Support; Connect External Domain
            # ends Domain Connected, not in Domain Deletion's Done).
            after = stages[stages.index(entry) + 1 :]
            first_end = next((i for i, s in enumerate(after) if s.kind != StageKind.OPEN), None)
            cut = len(after) if first_end is None else first_end
            middle = [s for s in after[:cut] if not s.is_entry]
            ends = []
            for stage in after[cut:]:
                if stage.kind == StageKind.OPEN:
                    break
                ends.append(stage)
            policy = policies.get(entry.pk) or policies.get(None)
            routes.append(
                TicketRoute(
                    pipeline=pipeline,
                    entry=entry,
                    middle=middle,
                    ends=ends,
                    policy=policy,
                    calendar=agency_calendar(policy),
                    weight=share / len(entries),
                    target=span(
                        policy.resolution_amount if policy else None,
                        policy.resolution_unit if policy else Unit.CALENDAR,
                    ),
                    first_target=(
                        span(policy.first_response_amount, policy.first_response_unit)
                        if policy and policy.first_response_amount
                        else 4 * HOUR
                    ),
                )
            )
    return routes


def deal_routes() -> list[DealRoute]:
    routes = []
    for pipeline in Pipeline.objects.filter(object_type="deal", archived=False).order_by(
        "order", "id"
    ):
        stages = list(pipeline.stages.order_by("order", "id"))
        won = next((s for s in stages if s.kind == StageKind.WON), None)
        if won is None:
            continue
        routes.append(
            DealRoute(
                pipeline=pipeline,
                open=[s for s in stages if s.kind == StageKind.OPEN],
                won=won,
                lost=next((s for s in stages if s.kind == StageKind.LOST), None),
            )
        )
    return routes


def load(*, now: dt.datetime, seed: int, sizes: Sizes) -> Reference:
    routes = ticket_routes()
    if not routes:
        raise RuntimeError("No ticket pipeline: run `manage.py migrate` first.")
    content_types = {
        name: ContentType.objects.get_for_model(model).pk
        for name, model in {
            "ticket": Ticket,
            "deal": Deal,
            "company": Company,
            "contact": Contact,
            "task": Task,
            "article": Article,
        }.items()
    }
    return Reference(
        now=now,
        seed=seed,
        tag=f"s{seed}-{now:%Y%m%d%H}",
        sizes=sizes,
        routes=routes,
        route_weights=[r.weight for r in routes],
        deal_routes=deal_routes(),
        products=list(Product.objects.filter(active=True).order_by("pk")),
        plans={p.name: p for p in Plan.objects.order_by("pk")},
        categories=list(
            TaskCategory.objects.filter(is_active=True, is_consultation=False).order_by("pk")
        ),
        activity_types=list(
            ActivityType.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
        ),
        teams={t.name: t for t in Team.objects.order_by("pk")},
        calendar=agency_calendar(),
        content_types=content_types,
    )
