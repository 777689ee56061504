"""The seeded SLA policies on the default calendar (Agency hours: Africa/Cairo, Sunday–Thursday
09:00–17:00, Egyptian public holidays), through the ticket services with explicit ``now``.

February 2026 (UTC+2, no Egyptian public holiday): Sunday 1 … Thursday 5, Friday 6, Sunday 8.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest

from partnerdesk.sla.models import Holiday, ResolutionFrom, SlaPolicy, Unit
from partnerdesk.tickets import services
from partnerdesk.tickets.models import SlaState
from partnerdesk.tickets.sla_state import target_state, ticket_state
from tests.tickets import H, cairo, default_calendar, move, open_ticket, reload, ticket_pipeline

pytestmark = pytest.mark.django_db


def test_egypt_observes_dst_in_2026_so_these_dates_are_utc_plus_2():
    cairo_tz = ZoneInfo("Africa/Cairo")
    assert dt.datetime(2026, 2, 1, 12, tzinfo=cairo_tz).utcoffset() == 2 * H
    assert dt.datetime(2026, 7, 1, 12, tzinfo=cairo_tz).utcoffset() == 3 * H
    assert dt.date(2026, 1, 7) in holidays.country_holidays("EG", years=2026)
    assert not [d for d in holidays.country_holidays("EG", years=2026) if d.month == 2]


def test_seeded_policies_and_calendar():
    cal = default_calendar()
    assert (cal.name, cal.timezone, cal.holiday_country) == ("Agency hours", "Africa/Cairo", "EG")
    assert cal.week == {str(d): [["09:00", "17:00"]] for d in (6, 0, 1, 2, 3)}
    bug = SlaPolicy.objects.get(pipeline=ticket_pipeline("Bug Investigation"))
    assert (bug.first_response_amount, bug.first_response_unit) == (1, Unit.WORKING_DAYS)
    assert (bug.resolution_amount, bug.resolution_unit) == (3, Unit.WORKING_DAYS)
    assert bug.resolution_from == ResolutionFrom.FIRST_RESPONSE
    assert bug.calendar_id is None and bug.due_soon_percent == 25
    domain = {
        p.entry_stage.name: (p.resolution_amount, p.resolution_unit)
        for p in SlaPolicy.objects.filter(pipeline=ticket_pipeline("Domain Related Requests"))
    }
    assert domain == {
        "Connect External Domain": (48 * 60, Unit.CALENDAR),
        "Domain Deletion": (2 * 60, Unit.CALENDAR),
    }
    for name, minutes in (
        ("Email Creation", 48 * 60),
        ("Email Related Requests", 48 * 60),
        ("Website Creation", 14 * 24 * 60),
    ):
        policy = SlaPolicy.objects.get(pipeline=ticket_pipeline(name), entry_stage=None)
        assert (policy.resolution_amount, policy.resolution_unit) == (minutes, Unit.CALENDAR)
        assert policy.first_response_amount is None


# ---------------------------------------------------------------- Bug Investigation


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (cairo(2026, 2, 1, 10, 0), cairo(2026, 2, 2, 17, 0)),  # Sunday 10:00 -> Monday 17:00
        (cairo(2026, 2, 1, 8, 0), cairo(2026, 2, 1, 17, 0)),  # Sunday 08:00 -> Sunday 17:00
        (cairo(2026, 2, 1, 9, 0), cairo(2026, 2, 1, 17, 0)),  # at the start: Sunday counts
        (cairo(2026, 2, 6, 11, 0), cairo(2026, 2, 8, 17, 0)),  # Friday -> Sunday 17:00
        (cairo(2026, 2, 7, 23, 0), cairo(2026, 2, 8, 17, 0)),  # Saturday night -> Sunday
        (cairo(2026, 2, 5, 16, 0), cairo(2026, 2, 8, 17, 0)),  # Thursday 16:00 -> Sunday
        (cairo(2026, 2, 2, 18, 0), cairo(2026, 2, 3, 17, 0)),  # Monday evening -> Tuesday
    ],
)
def test_bug_first_response_due_one_working_day(agent, opened, due):
    ticket = open_ticket(agent, "Bug Investigation", now=opened)
    assert ticket.first_response_due_at == due
    assert ticket.resolution_due_at is None  # counted from the first response
    assert ticket.resolution_started_at is None
    stored = reload(ticket)
    assert stored.first_response_due_at == due
    assert stored.created_at == opened


def test_bug_first_response_due_soon_instant(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    # 15 working hours to the due time; due soon when less than 25 % (3 h 45) is left.
    assert ticket.first_response_warn_at == cairo(2026, 2, 2, 13, 15)
    assert target_state(ticket, "first_response", cairo(2026, 2, 2, 13, 14)) == SlaState.ON_TRACK
    assert target_state(ticket, "first_response", cairo(2026, 2, 2, 13, 15)) == SlaState.DUE_SOON
    assert target_state(ticket, "first_response", cairo(2026, 2, 2, 17, 0)) == SlaState.BREACHED


@pytest.mark.parametrize(
    ("responded", "due"),
    [
        (cairo(2026, 2, 2, 11, 0), cairo(2026, 2, 5, 17, 0)),  # Monday 11:00 -> Thursday 17:00
        (cairo(2026, 2, 5, 16, 0), cairo(2026, 2, 10, 17, 0)),  # Thursday 16:00 -> Tuesday
        (cairo(2026, 2, 5, 8, 30), cairo(2026, 2, 9, 17, 0)),  # Thursday 08:30 -> Monday
        (cairo(2026, 2, 6, 12, 0), cairo(2026, 2, 10, 17, 0)),  # Friday -> Tuesday
    ],
)
def test_bug_resolution_three_working_days_from_the_first_response(agent, responded, due):
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 8, 0))
    services.ticket_note_add(
        ticket=ticket, by=agent, body="We are looking into it.", is_public=True, now=responded
    )
    ticket = reload(ticket)
    assert ticket.first_response_at == responded
    assert ticket.resolution_started_at == responded
    assert ticket.resolution_due_at == due


def test_bug_first_response_by_moving_out_of_new(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    ticket = move(ticket, "Investigating", by=agent, now=cairo(2026, 2, 2, 11, 0))
    assert ticket.first_response_at == cairo(2026, 2, 2, 11, 0)
    assert ticket.first_response_met is True
    assert ticket.resolution_due_at == cairo(2026, 2, 5, 17, 0)


def test_bug_late_first_response_is_missed(agent):
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 1, 10, 0))
    ticket = move(ticket, "Investigating", by=agent, now=cairo(2026, 2, 2, 17, 1))
    assert ticket.first_response_met is False
    assert target_state(ticket, "first_response", cairo(2026, 2, 3, 9, 0)) == SlaState.MISSED
    assert ticket.resolution_due_at == cairo(2026, 2, 5, 17, 0)


def test_egyptian_public_holiday_pushes_the_due_time_a_working_day_later(agent):
    # Tuesday 2026-01-06 10:00: the next working date would be Wednesday 7, Coptic Christmas.
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 1, 6, 10, 0))
    assert ticket.first_response_due_at == cairo(2026, 1, 8, 17, 0)
    # Resolution from Monday 2026-01-05 11:00: Tue 6, (Wed 7 off), Thu 8, Sun 11.
    other = open_ticket(agent, "Bug Investigation", now=cairo(2026, 1, 4, 10, 0))
    assert other.first_response_due_at == cairo(2026, 1, 5, 17, 0)
    services.ticket_note_add(
        ticket=other, by=agent, body="On it.", is_public=True, now=cairo(2026, 1, 5, 11, 0)
    )
    assert reload(other).resolution_due_at == cairo(2026, 1, 11, 17, 0)


def test_agency_holiday_row_pushes_the_due_time_a_working_day_later(agent):
    before = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 2, 10, 0))
    assert before.first_response_due_at == cairo(2026, 2, 3, 17, 0)
    Holiday.objects.create(calendar=default_calendar(), date=dt.date(2026, 2, 3), name="Offsite")
    after = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 2, 10, 0))
    assert after.first_response_due_at == cairo(2026, 2, 4, 17, 0)
    services.ticket_note_add(
        ticket=after, by=agent, body="On it.", is_public=True, now=cairo(2026, 2, 2, 11, 0)
    )
    # Wed 4, Thu 5, Sun 8 (Tuesday 3 is off).
    assert reload(after).resolution_due_at == cairo(2026, 2, 8, 17, 0)


# ---------------------------------------------------------------- calendar-time pipelines


@pytest.mark.parametrize(
    ("pipeline", "stage", "hours"),
    [
        ("Email Creation", "New", 48),
        ("Email Related Requests", "Add Email Licence", 48),
        ("Email Related Requests", "Cancel Emails", 48),
        ("Domain Related Requests", "Connect External Domain", 48),
        ("Domain Related Requests", "Domain Deletion", 2),
        ("Website Creation", "New", 14 * 24),
    ],
)
def test_calendar_time_resolution_targets(agent, pipeline, stage, hours):
    opened = cairo(2026, 2, 5, 16, 30)  # Thursday afternoon: calendar time ignores weekends
    ticket = open_ticket(agent, pipeline, stage, now=opened)
    assert ticket.first_response_due_at is None
    assert ticket.resolution_started_at == opened
    assert ticket.resolution_due_at == opened + hours * H
    assert ticket.resolution_warn_at == opened + hours * H * 3 / 4
    assert ticket_state(ticket, opened) == SlaState.ON_TRACK


def test_email_creation_48_hours_exact_instants(agent):
    ticket = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    assert ticket.resolution_due_at == cairo(2026, 2, 3, 10, 0)
    assert ticket.resolution_warn_at == cairo(2026, 2, 2, 22, 0)
    assert ticket_state(ticket, cairo(2026, 2, 2, 21, 59)) == SlaState.ON_TRACK
    assert ticket_state(ticket, cairo(2026, 2, 2, 22, 0)) == SlaState.DUE_SOON
    assert ticket_state(ticket, cairo(2026, 2, 3, 10, 0)) == SlaState.BREACHED


def test_domain_deletion_2_hours(agent):
    ticket = open_ticket(
        agent, "Domain Related Requests", "Domain Deletion", now=cairo(2026, 2, 3, 23, 30)
    )
    assert ticket.resolution_due_at == cairo(2026, 2, 4, 1, 30)
    assert ticket.resolution_warn_at == cairo(2026, 2, 4, 1, 0)


def test_website_creation_pauses_move_the_due_time_by_exactly_the_paused_time(agent):
    opened = cairo(2026, 2, 1, 10, 0)
    ticket = open_ticket(agent, "Website Creation", now=opened)
    assert ticket.resolution_due_at == cairo(2026, 2, 15, 10, 0)

    ticket = move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 2, 9, 0))
    assert ticket.sla_paused_at == cairo(2026, 2, 2, 9, 0)
    assert ticket.resolution_due_at == cairo(2026, 2, 15, 10, 0)  # as of the pause
    # However long the pause, the ticket is paused, not breached.
    assert ticket_state(ticket, cairo(2026, 3, 30, 0, 0)) == SlaState.PAUSED

    ticket = move(ticket, "Working On The Website", by=agent, now=cairo(2026, 2, 4, 12, 0))
    assert ticket.sla_paused_at is None
    assert ticket.resolution_due_at == cairo(2026, 2, 15, 10, 0) + 51 * H  # Tue 17, 13:00

    ticket = move(ticket, "1st Draft Sent", by=agent, now=cairo(2026, 2, 9, 10, 0))
    ticket = move(ticket, "Waiting For Feedback", by=agent, now=cairo(2026, 2, 10, 10, 0))
    ticket = move(ticket, "2nd Draft Sent", by=agent, now=cairo(2026, 2, 12, 10, 30))
    assert ticket.resolution_due_at == cairo(2026, 2, 19, 13, 30)  # + 48 h 30 min
    assert ticket.resolution_warn_at == opened + 14 * 24 * H * 3 / 4 + 51 * H + 48.5 * H

    ticket = move(ticket, "Waiting For Feedback (2nd)", by=agent, now=cairo(2026, 2, 13, 9, 0))
    ticket = move(ticket, "Adding Website Tools", by=agent, now=cairo(2026, 2, 13, 10, 0))
    assert ticket.resolution_due_at == cairo(2026, 2, 19, 14, 30)
    assert [(p.started_at, p.ended_at) for p in ticket.pauses.all()] == [
        (cairo(2026, 2, 2, 9, 0), cairo(2026, 2, 4, 12, 0)),
        (cairo(2026, 2, 10, 10, 0), cairo(2026, 2, 12, 10, 30)),
        (cairo(2026, 2, 13, 9, 0), cairo(2026, 2, 13, 10, 0)),
    ]

    services.ticket_update(ticket=ticket, by=agent, properties={"website_domain": "acme.com"})
    ticket = move(ticket, "Website Delivered", by=agent, now=cairo(2026, 2, 19, 14, 0))
    assert ticket.closed_at == cairo(2026, 2, 19, 14, 0)
    assert ticket.resolution_met is True
    assert ticket_state(ticket, cairo(2026, 3, 1)) == SlaState.MET


def test_website_creation_pause_after_the_due_time_stays_breached(agent):
    ticket = open_ticket(agent, "Website Creation", now=cairo(2026, 2, 1, 10, 0))
    ticket = move(ticket, "On Hold (Customer End)", by=agent, now=cairo(2026, 2, 16, 9, 0))
    assert ticket.resolution_due_at == cairo(2026, 2, 15, 10, 0)
    assert ticket_state(ticket, cairo(2026, 2, 16, 10, 0)) == SlaState.BREACHED
    ticket = move(ticket, "Working On The Website", by=agent, now=cairo(2026, 2, 20, 9, 0))
    assert ticket.resolution_due_at == cairo(2026, 2, 15, 10, 0)  # a breach stays a breach
    assert ticket_state(ticket, cairo(2026, 2, 20, 10, 0)) == SlaState.BREACHED
