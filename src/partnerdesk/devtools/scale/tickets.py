"""Tickets with their whole life: stage history, pauses, notes, SLA due times and timeline.

Each ticket is lived through in memory the way the services would have made it: opened in an
entry stage of a pipeline (``TicketRoute``), moved through its open stages (some skipped, the
waiting-on-customer ones pausing the SLA clocks) and, for about two in three, closed; the first
response is a public reply in the entry stage or the move out of it (the policy's
``first_response_by``), closing answers the customer too. The SLA fields are then computed with
``sla.clock`` exactly as ``tickets.clocks.recompute_sla`` does, from the same anchors and pauses,
and the sweep's flags are set as if it had run every minute until ``now`` (its events are on the
timeline), so the first sweep finds nothing to report.
"""

from __future__ import annotations

import datetime as dt
import math

from partnerdesk.crm.models import Stage
from partnerdesk.sla.clock import target_elapsed, target_times
from partnerdesk.sla.models import FirstResponseBy, ResolutionFrom
from partnerdesk.tickets.models import (
    Priority,
    Source,
    Ticket,
    TicketNote,
    TicketPause,
    TicketStageVisit,
)

from .reference import DAY, TicketRoute
from .state import Block, CompanyInfo

PRIORITIES = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT]
PRIORITY_WEIGHTS = [0.2, 0.5, 0.22, 0.08]
NOTES = [
    "Checked the DNS records: the MX entries still point to the old provider.",
    "Asked the registrar for the transfer code.",
    "Mailbox created, waiting for the licence to be assigned.",
    "Reproduced on staging; the form submits twice when the page is slow.",
    "The customer confirmed the new sender address.",
    "Draft shared with the customer for review.",
]
CUSTOMER = [
    "Hello, we need this done before Monday if possible. Thanks!",
    "Our new colleague starts next week and needs a mailbox.",
    "The contact form on our site stopped sending emails.",
    "Please connect our domain, the registrar details are below.",
]
REPLIES = [
    "Thanks, we are on it and will update you today.",
    "Done on our side: could you check and confirm?",
    "We need one more detail from you to continue.",
]
DELAY = "Waiting on the registrar: the transfer lock is still on."


def _lognormal(block: Block, median: float, sigma: float = 0.8) -> float:
    return median * math.exp(block.rng.gauss(0, sigma))


def stage_path(block: Block, route: TicketRoute, *, closed: bool) -> list[Stage]:
    """The stages a ticket goes through, from its entry stage; a closed ticket's ends closed,
    an open ticket's is cut somewhere before its end (most are still in their first stages)."""
    rng = block.rng
    path = [route.entry]
    path += [s for s in route.middle if rng.random() < (0.4 if s.waiting_on_customer else 0.85)]
    if closed and route.ends:
        path.append(rng.choice(route.ends))
        return path
    # open: still in one of the open stages, the entry stage most often
    weights = [3.0] + [1.0] * (len(path) - 1)
    keep = rng.choices(range(len(path)), weights=weights)[0] + 1
    return path[:keep]


def _timeline(block: Block, route: TicketRoute, path: list[Stage], *, closed: bool):
    """When the ticket was created and entered each stage of ``path`` (all before ``now``)."""
    rng, now = block.rng, block.now
    steps = len(path) - 1
    target = route.target.total_seconds()
    median = target * 0.5 / max(1, steps)
    durations = [
        _lognormal(block, median * (1.5 if stage.waiting_on_customer else 1.0))
        for stage in path[:-1]
    ]
    history = block.ref.sizes.history_days * DAY.total_seconds()
    if closed:
        age = rng.uniform(600, history)
    else:  # open tickets are mostly within their target, some are late, a few forgotten
        age = min(history, 600 + _lognormal(block, target * 0.5, 1.2))
    total = sum(durations)
    room = age * rng.uniform(0.5, 0.97)
    if total > room:
        durations = [d * room / total for d in durations]
    created = now - dt.timedelta(seconds=age)
    entered = [created]
    for seconds in durations:
        entered.append(entered[-1] + dt.timedelta(seconds=seconds))
    return created, entered


def build_ticket(block: Block, company: CompanyInfo, route: TicketRoute) -> None:
    rng, now, writer = block.rng, block.now, block.writer
    closed = rng.random() >= block.ref.sizes.open_share and bool(route.ends)
    path = stage_path(block, route, closed=closed)
    created, entered = _timeline(block, route, path, closed=closed)
    stage = path[-1]
    closed_at = entered[-1] if closed else None
    policy = route.policy
    by = policy.first_response_by if policy else FirstResponseBy.REPLY_OR_MOVE
    left_entry = entered[1] if len(path) > 1 else None
    owner = block.agent() if rng.random() < (0.95 if len(path) > 1 else 0.6) else None
    actor = owner or block.agent()
    contact = rng.choice(company.contacts) if company.contacts and rng.random() < 0.85 else None
    source = (
        Source.EMAIL
        if contact and rng.random() < 0.35
        else rng.choices([Source.MANUAL, Source.API, Source.AUTOMATION], [0.7, 0.15, 0.15])[0]
    )
    deal_id = None
    from_deal = route.pipeline.name in ("Email Creation", "Website Creation")
    if company.won_deals and from_deal and rng.random() < 0.6:
        deal_id = rng.choice(company.won_deals)
        source = Source.DEAL

    # First response: a public reply while in the entry stage, else the move out of it, else
    # the closing (which answers the customer).
    first_response = None
    reply_at = created + dt.timedelta(
        seconds=_lognormal(block, route.first_target.total_seconds() * 0.4, 0.9)
    )
    until = left_entry or now
    replied = rng.random() < 0.45 and reply_at < until
    if replied and by != FirstResponseBy.MOVE:
        first_response = reply_at
    elif left_entry is not None and by != FirstResponseBy.REPLY:
        first_response = left_entry
    elif left_entry is not None:  # a reply-only policy: the agent replied as they moved it on
        replied, reply_at, first_response = True, left_entry, left_entry
    if first_response is None and closed_at is not None:
        first_response = closed_at

    ticket_id = writer.new_id(Ticket)
    pauses = []
    for i, visited in enumerate(path):
        left = entered[i + 1] if i + 1 < len(path) else None
        writer.add(
            TicketStageVisit,
            ticket_id=ticket_id,
            pipeline_id=route.pipeline.pk,
            stage_id=visited.pk,
            entered_at=entered[i],
            left_at=left,
            seconds=None if left is None else int((left - entered[i]).total_seconds()),
        )
        if visited.waiting_on_customer:
            writer.add(TicketPause, ticket_id=ticket_id, started_at=entered[i], ended_at=left)
            pauses.append((entered[i], left))
    paused_at = entered[-1] if stage.waiting_on_customer and closed_at is None else None

    values = {
        "id": ticket_id,
        "name": f"{route.entry.request_name or route.pipeline.name} For {company.domain}"[:255],
        "description": rng.choice(CUSTOMER) if source == Source.EMAIL else "",
        "pipeline_id": route.pipeline.pk,
        "stage_id": stage.pk,
        "entry_stage_id": route.entry.pk,
        "owner_id": owner,
        "priority": rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
        "company_id": company.id,
        "deal_id": deal_id,
        "contact_id": contact.id if contact else None,
        "source": source,
        "properties": {"domain_name": company.domain},
        "created_at": created,
        "updated_at": entered[-1],
        "stage_entered_at": entered[-1],
        "closed_at": closed_at,
        "first_response_at": first_response,
        "sla_policy_id": policy.pk if policy else None,
        "sla_paused_at": paused_at,
    }
    events: list[tuple] = []  # (at, kind, data, actor)
    if policy is not None:
        _sla(block, route, values, pauses, events)
    if values.get("resolution_met") is False or (
        closed_at is None and values.get("resolution_breach_sent")
    ):
        values["has_delay_cause"] = rng.random() < 0.4
    writer.add(Ticket, **values)
    if deal_id is not None:
        writer.add(Ticket.deals.through, ticket_id=ticket_id, deal_id=deal_id)

    # notes (each one a timeline entry)
    notes = []
    if source == Source.EMAIL and contact is not None:
        notes.append((created, rng.choice(CUSTOMER), "customer"))
    if replied:
        notes.append((reply_at, rng.choice(REPLIES), "reply"))
    end = closed_at or now
    if rng.random() < 0.3:
        notes.append((created + (end - created) * rng.random(), rng.choice(NOTES), "internal"))
    if values.get("has_delay_cause"):
        notes.append((created + (end - created) * rng.random(), DELAY, "delay"))
    for at, body, kind in notes:
        sender = contact if kind == "customer" else None
        note_id = writer.add(
            TicketNote,
            ticket_id=ticket_id,
            author_id=None if kind == "customer" else actor,
            author_contact_id=sender.id if sender else None,
            body=body,
            is_public=kind in ("customer", "reply"),
            is_delay_cause=kind == "delay",
            from_customer=kind == "customer",
            via="email" if kind == "customer" else "web",
            email_from=sender.email if sender else "",
            created_at=at,
        )
        data = {
            "note_id": note_id,
            "public": kind in ("customer", "reply"),
            "delay_cause": kind == "delay",
            "excerpt": body[:200],
        }
        if sender is not None:
            data |= {
                "from_customer": True,
                "via": "email",
                "contact_id": sender.id,
                "contact": sender.name,
            }
        events.append((at, "ticket.note_added", data, None if kind == "customer" else actor))

    events.append(
        (
            created,
            "ticket.created",
            {
                "name": values["name"],
                "pipeline": route.pipeline.name,
                "pipeline_id": route.pipeline.pk,
                "stage": route.entry.name,
                "stage_id": route.entry.pk,
                "source": source,
                "deal_id": deal_id,
            },
            None if source in (Source.EMAIL, Source.AUTOMATION, Source.DEAL) else actor,
        )
    )
    events += [
        (
            entered[i],
            "ticket.stage_changed",
            {
                "from_stage_id": path[i - 1].pk,
                "from_stage": path[i - 1].name,
                "to_stage_id": path[i].pk,
                "to_stage": path[i].name,
                "pipeline_id": route.pipeline.pk,
                "closed": path[i].is_closed,
            },
            actor,
        )
        for i in range(1, len(path))
    ]
    for at, kind, data, actor_id in events:
        block.event(
            kind,
            subject="ticket",
            subject_id=ticket_id,
            at=at,
            company_id=company.id,
            actor_id=actor_id,
            data=data,
        )
    if closed_at is not None and contact is not None:
        block.closed_tickets.append((ticket_id, company, contact, owner, closed_at))


def _sla(block: Block, route: TicketRoute, v: dict, pauses: list, events: list) -> None:
    """The stored SLA fields, as ``tickets.clocks.recompute_sla`` computes them, and the
    sweep's flags and events up to ``now``."""
    policy, cal, now = route.policy, route.calendar, block.now
    assert policy is not None
    spans = [(start, end or now) for start, end in pauses]
    created, answered, closed = v["created_at"], v["first_response_at"], v["closed_at"]
    percent = policy.due_soon_percent
    if policy.first_response_amount is not None:
        first_pauses = (
            spans if answered is None else [(b, min(e, answered)) for b, e in spans if b < answered]
        )
        due, warn = target_times(
            start=created,
            amount=policy.first_response_amount,
            unit=policy.first_response_unit,
            cal=cal,
            pauses=first_pauses,
            due_soon_percent=percent,
        )
        v["first_response_due_at"], v["first_response_warn_at"] = due, warn
        if answered is not None:
            v["first_response_met"] = answered <= due
            v["first_response_elapsed"] = target_elapsed(
                start=created,
                end=answered,
                unit=policy.first_response_unit,
                cal=cal,
                due=due,
                pauses=first_pauses,
            )
            v["first_response_elapsed_unit"] = policy.first_response_unit
        _flags(block, v, "first_response", answered or closed, events)
    start = created if policy.resolution_from == ResolutionFrom.CREATED else answered
    v["resolution_started_at"] = start
    if policy.resolution_amount is not None and start is not None:
        due, warn = target_times(
            start=start,
            amount=policy.resolution_amount,
            unit=policy.resolution_unit,
            cal=cal,
            pauses=spans,
            due_soon_percent=percent,
        )
        v["resolution_due_at"], v["resolution_warn_at"] = due, warn
        if closed is not None:
            v["resolution_met"] = closed <= due
            v["resolution_elapsed"] = target_elapsed(
                start=start,
                end=closed,
                unit=policy.resolution_unit,
                cal=cal,
                due=due,
                pauses=spans,
            )
            v["resolution_elapsed_unit"] = policy.resolution_unit
        _flags(block, v, "resolution", closed, events)


def _flags(block: Block, v: dict, target: str, settled: dt.datetime | None, events) -> None:
    """The sweep's flags of a target as if it had run until ``now`` (or until the target was
    settled), with its events: due soon once the warning time passed, breached once the due
    time did; a paused ticket's clock stopped at its pause."""
    due, warn = v[f"{target}_due_at"], v[f"{target}_warn_at"]
    until = settled or v["sla_paused_at"] or block.now
    reported = []
    if warn <= until and warn < due:
        v[f"{target}_due_soon_sent"] = True
        reported.append(("ticket.sla_due_soon", warn))
    if due <= until:
        v[f"{target}_breach_sent"] = True
        reported.append(("ticket.sla_breached", due))
    for kind, at in reported:
        events.append(
            (
                min(block.now, at + dt.timedelta(seconds=block.rng.randrange(60))),
                kind,
                {"target": target, "due_at": due.isoformat()},
                None,
            )
        )


def build_tickets(block: Block) -> None:
    """The block's tickets, each of a company of the block (the busy ones get more)."""
    rng, ref = block.rng, block.ref
    for _ in range(block.tickets):
        route = rng.choices(ref.routes, ref.route_weights)[0]
        build_ticket(block, block.company(), route)
