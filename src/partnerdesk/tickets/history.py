"""A ticket's stage history (``TicketStageVisit``): a visit opens when the ticket enters a stage
and closes, with its calendar seconds, when it leaves. Called by ``services.ticket_create`` and
``services.ticket_move`` inside their transactions, so the history never disagrees with the
ticket's stage."""

from __future__ import annotations

import datetime as dt

from partnerdesk.crm.models import Stage

from .models import Ticket, TicketStageVisit


def stage_visit_start(*, ticket: Ticket, now: dt.datetime) -> TicketStageVisit:
    """The first visit: the stage a new ticket is opened in."""
    return TicketStageVisit.objects.create(
        ticket=ticket, pipeline_id=ticket.pipeline_id, stage_id=ticket.stage_id, entered_at=now
    )


def stage_visit_switch(*, ticket: Ticket, stage: Stage, now: dt.datetime) -> TicketStageVisit:
    """Close the visit of the stage the ticket is leaving (it entered it at the ticket's
    ``stage_entered_at``, not yet moved on) and open one of ``stage``."""
    entered = ticket.stage_entered_at
    seconds = None if entered is None else max(0, int((now - entered).total_seconds()))
    TicketStageVisit.objects.filter(ticket=ticket, left_at__isnull=True).update(
        left_at=now, seconds=seconds
    )
    return TicketStageVisit.objects.create(
        ticket=ticket, pipeline_id=ticket.pipeline_id, stage=stage, entered_at=now
    )
