"""Helpers shared by the ticket tests (no fixtures here: the shared ones are in tests/conftest.py).

Dates: Egypt observes DST in 2026 (UTC+3 from late April to late October), so the exact-time
tests use January–March 2026, when Cairo is UTC+2. February 2026 has no Egyptian public holiday;
Wednesday 2026-01-07 (Coptic Christmas) is one.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.sla.models import Calendar
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Ticket

CAIRO = ZoneInfo("Africa/Cairo")
UTC = dt.UTC
H = dt.timedelta(hours=1)
SECRET = "registrar-Pa55word"


def cairo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CAIRO)


def ticket_pipeline(name: str) -> Pipeline:
    """A default ticket pipeline ("Website Creation" is also a deal pipeline: filter the type)."""
    return Pipeline.objects.get(object_type="ticket", name=name)


def ticket_stage(pipeline_name: str, stage_name: str) -> Stage:
    return Stage.objects.get(
        pipeline__object_type="ticket", pipeline__name=pipeline_name, name=stage_name
    )


def default_calendar() -> Calendar:
    return Calendar.objects.get(is_default=True)


EMAIL_REQ = {"domain_name": "acme-dental.com", "number_of_licences": 5, "product": "Business Email"}

# (pipeline, entry stage) -> (properties that make the ticket valid, description)
ENTRY_VALUES: dict[tuple[str, str], tuple[dict, str]] = {
    ("Email Creation", "New"): (
        {
            "purchased_mailbox_names": "info, sales",
            "domain_name": "acme-dental.com",
            "number_of_licences": 2,
            "line_items": "2 × Business Email 10 GB",
        },
        "",
    ),
    ("Email Related Requests", "Add Email Licence"): (EMAIL_REQ, ""),
    ("Email Related Requests", "Email Plan Upgrade"): (EMAIL_REQ, ""),
    ("Email Related Requests", "Add Extra Storage"): (EMAIL_REQ, "info@: +10 GB; sales@: +5 GB"),
    ("Email Related Requests", "Cancel Emails"): ({"domain_name": "acme-dental.com"}, ""),
    ("Email Related Requests", "Reactivate Emails"): (EMAIL_REQ, ""),
    ("Domain Related Requests", "Connect External Domain"): (
        {
            "domain_name": "example.com",
            "registrar_name": "GoDaddy",
            "registrar_username": "acme",
            "registrar_password": SECRET,
            "domain_bought_here": "no",
        },
        "",
    ),
    ("Domain Related Requests", "Domain Deletion"): (
        {"domain_name": "old-acme.com", "domain_purchase_date": "2026-02-01"},
        "",
    ),
    ("Bug Investigation", "New"): (
        {"backoffice_link": "https://backoffice.example.com/acme"},
        "The invoice page shows a 500 error.",
    ),
    ("Website Creation", "New"): ({}, ""),
}


def open_ticket(
    by,
    pipeline_name: str,
    stage_name: str | None = None,
    *,
    now: dt.datetime,
    company=None,
    properties: dict | None = None,
    **fields,
) -> Ticket:
    """A valid ticket opened with the service in an entry stage (first entry stage by default)."""
    pipeline = ticket_pipeline(pipeline_name)
    stage = (
        pipeline.stages.get(name=stage_name)
        if stage_name
        else pipeline.stages.filter(is_entry=True).order_by("order", "id").first()
    )
    values, description = ENTRY_VALUES[(pipeline_name, stage.name)]
    fields.setdefault("description", description)
    return services.ticket_create(
        by=by,
        pipeline=pipeline,
        stage=stage,
        company=company,
        properties={**values, **(properties or {})},
        now=now,
        **fields,
    )


def move(ticket: Ticket, stage_name: str, *, by, now: dt.datetime) -> Ticket:
    stage = ticket.pipeline.stages.get(name=stage_name)
    return services.ticket_move(ticket=ticket, stage=stage, by=by, now=now)


def reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)
