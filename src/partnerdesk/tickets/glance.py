"""What the tickets app puts on the CRM's record pages (``crm.record_pages``; crm cannot import
tickets): a company's and a contact's open tickets with their SLA state, the tickets' events on
the merged timelines, and the ticket as a record whose secret properties the CRM's reveal route
reads (the ticket page shows them through ``crm.selectors.property_rows``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core import clock
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.crm import record_pages
from partnerdesk.crm.record_pages import Figure, Panel, TimelineSource

from . import selectors, sla_state
from .models import SlaState, Ticket


def _open_tickets(user, params: dict, now: dt.datetime) -> QuerySet[Ticket]:
    qs, _active = selectors.filter_tickets(
        selectors.tickets_for(user), {**params, "status": "open"}, now=now
    )
    return qs


def _panel(tickets: QuerySet[Ticket], now: dt.datetime, *, view_all_url: str = "") -> Panel:
    """The open tickets: counted with how many are breached or due soon (one query), the
    newest few with their SLA state (one query)."""
    counts = tickets.order_by().aggregate(
        open=Count("pk"),
        breached=Count("pk", filter=sla_state.state_q(SlaState.BREACHED, now)),
        due_soon=Count("pk", filter=sla_state.state_q(SlaState.DUE_SOON, now)),
    )
    rows: list[Any] = list(tickets.order_by("-created_at", "-id")[: record_pages.LATEST])
    for ticket in rows:  # the badge's state, as the lists show it
        ticket.sla = sla_state.ticket_state(ticket, now)
    return Panel(
        key="tickets",
        title=_("Open tickets"),
        template="tickets/_glance_tickets.html",
        count=counts["open"],
        rows=rows,
        figures=[
            Figure(_("Breached"), counts["breached"], key="breached"),
            Figure(_("Due soon"), counts["due_soon"], key="due_soon"),
        ]
        if counts["open"]
        else [],
        view_all_url=view_all_url,
        view_all_label=_("View all open tickets"),
        empty=_("No open tickets."),
    )


def company_tickets(company, user) -> Panel:
    now = clock.now()
    url = f"{reverse('tickets:list')}?{urlencode({'company': company.pk, 'status': 'open'})}"
    return _panel(_open_tickets(user, {"company": company.pk}, now), now, view_all_url=url)


def contact_tickets(contact, user) -> Panel:
    # The ticket list has no contact filter: the card lists the newest and counts them all.
    now = clock.now()
    return _panel(_open_tickets(user, {}, now).filter(contact=contact), now)


record_pages.register_panel("company", "tickets", company_tickets, order=10)
record_pages.register_panel("contact", "tickets", contact_tickets, order=10)
record_pages.register_timeline_source(
    TimelineSource(
        model=Ticket,
        label=gettext_lazy("Ticket"),
        url_name="tickets:detail",
        title="name",
        of_contact=lambda contact: Ticket.objects.filter(contact=contact).values("pk"),
    )
)
record_pages.register_secret_holder(
    "ticket", lambda user, pk: get_object_for_user_or_404(Ticket, user, pk=pk)
)
