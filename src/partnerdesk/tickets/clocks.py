"""A ticket's SLA clocks: which policy applies, the stored due times recomputed from the
policy, the anchors and the pauses, the first response, and the pauses themselves. Called by
the services (tickets.services, tickets.conversation) inside their transactions."""

from __future__ import annotations

import datetime as dt

from partnerdesk.core.configuration import configuration
from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.sla.clock import agency_calendar, target_elapsed, target_times
from partnerdesk.sla.models import FirstResponseBy, ResolutionFrom, SlaPolicy

from .models import Ticket, TicketPause


def policy_for(pipeline: Pipeline, entry_stage: Stage) -> SlaPolicy | None:
    policies = configuration(
        ("sla_policies", pipeline.pk),
        lambda: {
            p.entry_stage_id: p
            for p in SlaPolicy.objects.filter(pipeline=pipeline).select_related("calendar")
        },
    )
    return policies.get(entry_stage.pk) or policies.get(None)


def recompute_sla(
    ticket: Ticket,
    *,
    now: dt.datetime,
    pauses: list[tuple[dt.datetime, dt.datetime | None]] | None = None,
) -> None:
    """Set the stored due times from the policy, the anchors and the pauses (not saved).
    ``pauses``: the ticket's pauses as (start, end or None) when the caller knows them (a
    ticket not saved yet has none in the database), else they are read."""
    policy = ticket.sla_policy
    fields = dict.fromkeys(
        (
            "first_response_due_at",
            "first_response_warn_at",
            "first_response_met",
            "resolution_started_at",
            "resolution_due_at",
            "resolution_warn_at",
            "resolution_met",
            "first_response_elapsed",
            "resolution_elapsed",
        ),
    )
    fields |= {"first_response_elapsed_unit": "", "resolution_elapsed_unit": ""}
    if policy is not None:
        cal = agency_calendar(policy)
        given = (
            pauses
            if pauses is not None
            else [(p.started_at, p.ended_at) for p in ticket.pauses.all()]
        )
        spans = [(begin, end or now) for begin, end in given]  # an open pause runs to now
        percent = policy.due_soon_percent
        if policy.first_response_amount is not None:
            # Once answered, the first-response target is settled: later pauses do not move it.
            answered = ticket.first_response_at
            first_pauses = (
                spans
                if answered is None
                else [(b, min(e, answered)) for b, e in spans if b < answered]
            )
            due, warn = target_times(
                start=ticket.created_at,
                amount=policy.first_response_amount,
                unit=policy.first_response_unit,
                cal=cal,
                pauses=first_pauses,
                due_soon_percent=percent,
            )
            fields.update(first_response_due_at=due, first_response_warn_at=warn)
            if ticket.first_response_at:
                fields["first_response_met"] = ticket.first_response_at <= due
                fields["first_response_elapsed"] = target_elapsed(
                    start=ticket.created_at,
                    end=ticket.first_response_at,
                    unit=policy.first_response_unit,
                    cal=cal,
                    due=due,
                    pauses=first_pauses,
                )
                fields["first_response_elapsed_unit"] = policy.first_response_unit
        start = (
            ticket.created_at
            if policy.resolution_from == ResolutionFrom.CREATED
            else ticket.first_response_at
        )
        fields["resolution_started_at"] = start
        if policy.resolution_amount is not None and start is not None:
            due, warn = target_times(
                start=start,
                amount=policy.resolution_amount,
                unit=policy.resolution_unit,
                cal=cal,
                pauses=spans,
                due_soon_percent=percent,
            )
            fields.update(resolution_due_at=due, resolution_warn_at=warn)
            if ticket.closed_at:
                fields["resolution_met"] = ticket.closed_at <= due
                fields["resolution_elapsed"] = target_elapsed(
                    start=start,
                    end=ticket.closed_at,
                    unit=policy.resolution_unit,
                    cal=cal,
                    due=due,
                    pauses=spans,
                )
                fields["resolution_elapsed_unit"] = policy.resolution_unit
    for name, value in fields.items():
        setattr(ticket, name, value)


SLA_FIELDS = [
    "first_response_at",
    "first_response_due_at",
    "first_response_warn_at",
    "first_response_met",
    "resolution_started_at",
    "resolution_due_at",
    "resolution_warn_at",
    "resolution_met",
    "sla_paused_at",
    "first_response_elapsed",
    "first_response_elapsed_unit",
    "resolution_elapsed",
    "resolution_elapsed_unit",
]


def _record_first_response(ticket: Ticket, *, now: dt.datetime, by_move: bool) -> None:
    if ticket.first_response_at is not None:
        return
    policy = ticket.sla_policy
    how = policy.first_response_by if policy else FirstResponseBy.REPLY_OR_MOVE
    if (by_move and how == FirstResponseBy.REPLY) or (not by_move and how == FirstResponseBy.MOVE):
        return
    ticket.first_response_at = now


def _pause(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        TicketPause.objects.create(ticket=ticket, started_at=now)


def _resume(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.sla_paused_at is not None:
        TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
        ticket.sla_paused_at = None
