"""Tickets with hand-computed figures for the SLA compliance and time-in-stage reports, made
through the services (so their stage history, pauses and SLA times are the real ones).

February 2026 (Cairo is UTC+2, no Egyptian holiday); agency hours Sunday-Thursday 09:00-17:00
Cairo. The reports' range is 1-14 February (UTC days) and "now" is 20 February, 12:00 UTC.

Owners: A (``agent``) and B in team Alpha, C in no team.

Website Creation (resolution: 14 days of calendar time, no first-response target):
- W1 (A, company): opened Sun 1 Feb 10:00, waiting on the customer 11:00-15:00, working on
  it 15:00-17:00, delivered 17:00: met, 3 h (7 h less the 4 h paused). A cause of delay is
  written on it (not listed: it breached nothing).
- W2 (A, company): opened 1 Feb 10:00, delivered 2 Feb 10:00: met, 24 h.
- W6 (C, other company): opened 1 Feb 10:00, delivered 12:00: met, 2 h.
- W4 (B, company): opened 20 Jan 10:00, still New: due 3 Feb 10:00, open and breached.
- W5 (B, company): opened 22 Jan 10:00, waiting on the customer since 23 Jan 10:00 (before its
  due time): paused, not breached, whatever the dates.
Bug Investigation (first response 1 working day; resolution 3 working days from it):
- B1 (A, company): opened Sun 1 Feb 10:00, answered 15:00 (met, 5 working hours), resolved Tue
  3 Feb 11:00 (met, 2 + 8 + 2 = 12 working hours).
- B2 (B, company): opened Thu 5 Feb 16:00, due Sun 8 Feb 17:00, answered Mon 9 Feb 10:00:
  missed, 1 + 8 + 1 = 10 working hours; a cause of delay is written on it. Resolved Sun 15 Feb
  10:00 Cairo (08:00 UTC, after the range): its resolution is not in these figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from partnerdesk.accounts.models import Role, Team, User
from partnerdesk.accounts.services import team_save
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket
from tests.conftest import make_user
from tests.tickets import cairo, move, open_ticket

H = 3600
NOW = dt.datetime(2026, 2, 20, 12, tzinfo=dt.UTC)
RANGE = {"preset": "custom", "start": "2026-02-01", "end": "2026-02-14"}


@dataclass
class World:
    a: User
    b: User
    c: User
    alpha: Team
    tickets: dict[str, Ticket]


def deliver(ticket, *, by, now) -> Ticket:
    return services.ticket_move(
        ticket=ticket,
        stage=ticket.pipeline.stages.get(name="Website Delivered"),
        by=by,
        now=now,
        properties={"website_domain": "acme-dental.com"},
    )


def build(*, admin, agent, company, other_company) -> World:
    b = make_user("agent-b@agency.test", Role.AGENT)
    c = make_user("agent-c@agency.test", Role.AGENT)
    alpha = team_save(by=admin, name="Alpha", members=[agent, b], lead=agent)
    t: dict[str, Ticket] = {}

    def website(owner, opened, target=company):
        return open_ticket(owner, "Website Creation", now=opened, owner=owner, company=target)

    w1 = website(agent, cairo(2026, 2, 1, 10))
    w1 = move(w1, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 1, 11))
    w1 = move(w1, "Working On The Website", by=agent, now=cairo(2026, 2, 1, 15))
    services.ticket_note_add(
        ticket=w1, by=agent, body="Client late with the logo", is_delay_cause=True
    )
    t["W1"] = deliver(w1, by=agent, now=cairo(2026, 2, 1, 17))
    t["W2"] = deliver(website(agent, cairo(2026, 2, 1, 10)), by=agent, now=cairo(2026, 2, 2, 10))
    t["W6"] = deliver(
        website(c, cairo(2026, 2, 1, 10), other_company), by=c, now=cairo(2026, 2, 1, 12)
    )
    t["W4"] = website(b, cairo(2026, 1, 20, 10))
    w5 = website(b, cairo(2026, 1, 22, 10))
    t["W5"] = move(w5, "On Hold (Customer End)", by=b, now=cairo(2026, 1, 23, 10))

    def bug(owner, opened):
        return open_ticket(owner, "Bug Investigation", now=opened, owner=owner, company=company)

    b1 = bug(agent, cairo(2026, 2, 1, 10))
    services.ticket_note_add(
        ticket=b1, by=agent, body="Looking into it", is_public=True, now=cairo(2026, 2, 1, 15)
    )
    t["B1"] = move(b1, "Resolved By Support", by=agent, now=cairo(2026, 2, 3, 11))
    b2 = bug(b, cairo(2026, 2, 5, 16))
    services.ticket_note_add(
        ticket=b2, by=b, body="On it", is_public=True, now=cairo(2026, 2, 9, 10)
    )
    services.ticket_note_add(
        ticket=b2, by=b, body="Waited for the hosting provider", is_delay_cause=True
    )
    t["B2"] = move(b2, "Resolved By Support", by=b, now=cairo(2026, 2, 15, 10))
    return World(a=agent, b=b, c=c, alpha=alpha, tickets=t)
