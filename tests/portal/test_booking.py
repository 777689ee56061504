"""Consultation sessions: the slot grid on the agency calendar, booking without double-booking,
reschedule and cancel by either side, tenancy, the pages, the API, and the invitation emails
(received by a real local SMTP server, the .ics parsed back with icalendar)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar as ICalendar

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.portal import booking
from partnerdesk.portal import services as portal_services
from partnerdesk.portal.models import ConsultationSession, PortalSettings, SessionStatus
from partnerdesk.sla.models import Calendar, Holiday
from tests.automation.conftest import Collector, free_port
from tests.conftest import login, make_user
from tests.portal.conftest import submit

UTC = dt.UTC
# Monday 6 January 2031, 06:00 UTC: the first slot offered is 2 hours later.
NOW = dt.datetime(2031, 1, 6, 6, 0, tzinfo=UTC)
WEEKDAYS_9_TO_5 = {str(d): [["09:00", "17:00"]] for d in range(5)}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def set_calendar(timezone="UTC", week=None, holidays=(), country=""):
    """Make the agency's default calendar exactly this (saved: its cache key changes)."""
    cal = Calendar.objects.get(is_default=True)
    cal.timezone = timezone
    cal.week = week if week is not None else WEEKDAYS_9_TO_5
    cal.holiday_country = country
    cal.holiday_subdivision = ""
    cal.save()
    Holiday.objects.filter(calendar=cal).delete()
    for day in holidays:
        Holiday.objects.create(calendar=cal, date=day)
    return cal


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """Every "now" of the app (pages and API included) is NOW."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


@pytest.fixture
def utc_calendar(db):
    return set_calendar()


@pytest.fixture
def consultant(db):
    user = make_user("consultant@agency.test", Role.AGENT, language="it")
    PortalSettings.load().consultants.members.add(user)
    return user


@pytest.fixture
def second_consultant(consultant):
    user = make_user("consultant2@agency.test", Role.AGENT)
    PortalSettings.load().consultants.members.add(user)
    return user


@pytest.fixture
def consult_task(client_user, consultation, utc_calendar):
    return submit(client_user, "Talk about our pipelines", category=consultation)


@pytest.fixture
def consult_task_2(client_user, consultation, utc_calendar):
    return submit(client_user, "Second consultation", category=consultation)


def starts(slots) -> list[dt.datetime]:
    return [s.starts_at for s in slots]


def day_starts(slots, day: dt.date, tz=UTC) -> list[str]:
    return [
        s.starts_at.astimezone(tz).strftime("%H:%M")
        for s in slots
        if s.starts_at.astimezone(tz).date() == day
    ]


def code_of(excinfo) -> str:
    return excinfo.value.code


# ---------------------------------------------------------------- the slot grid


@pytest.mark.django_db
def test_slots_are_45_minutes_on_working_days_inside_the_window(consultant, utc_calendar):
    slots = booking.free_slots()
    assert slots, "slots are offered"
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=45) for s in slots)
    # The window: from 2 hours from now to 21 days ahead.
    assert slots[0].starts_at == utc(2031, 1, 6, 9, 0)
    assert all(
        NOW + dt.timedelta(hours=2) <= s.starts_at <= NOW + dt.timedelta(days=21) for s in slots
    )
    # 09:00 + k * 45 min while the session ends by 17:00.
    assert day_starts(slots, dt.date(2031, 1, 7)) == [
        "09:00", "09:45", "10:30", "11:15", "12:00", "12:45", "13:30", "14:15", "15:00", "15:45",
    ]  # fmt: skip
    # Weekends have none.
    assert not {s.starts_at.weekday() for s in slots} & {5, 6}
    assert len({s.starts_at.date() for s in slots}) == 15  # three working weeks


@pytest.mark.django_db
def test_the_earliest_slot_is_two_hours_ahead(consultant, utc_calendar):
    now = utc(2031, 1, 6, 10, 0)
    slots = booking.free_slots(now=now)
    assert slots[0].starts_at == utc(2031, 1, 6, 12, 0)  # 11:15 is less than 2 hours away


@pytest.mark.django_db
def test_split_shifts_leave_the_break_free(consultant):
    set_calendar(week={"1": [["09:00", "13:00"], ["14:00", "18:00"]]})  # Tuesdays only
    slots = booking.free_slots()
    assert day_starts(slots, dt.date(2031, 1, 7)) == [
        "09:00", "09:45", "10:30", "11:15", "12:00",
        "14:00", "14:45", "15:30", "16:15", "17:00",
    ]  # fmt: skip
    assert {s.starts_at.weekday() for s in slots} == {1}


@pytest.mark.django_db
def test_holidays_have_no_slots(consultant):
    set_calendar(holidays=[dt.date(2031, 1, 8)])
    slots = booking.free_slots()
    dates = {s.starts_at.date() for s in slots}
    assert dt.date(2031, 1, 8) not in dates
    assert dt.date(2031, 1, 7) in dates
    # Public holidays of the calendar's country too: Epiphany (6 January) in Italy.
    set_calendar(timezone="Europe/Rome", country="IT")
    dates = {s.starts_at.astimezone(ZoneInfo("Europe/Rome")).date() for s in booking.free_slots()}
    assert dt.date(2031, 1, 6) not in dates
    assert dt.date(2031, 1, 7) in dates


@pytest.mark.django_db
def test_slots_follow_local_time_across_a_dst_change(consultant, monkeypatch):
    rome = ZoneInfo("Europe/Rome")
    set_calendar(
        timezone="Europe/Rome",
        week={
            **WEEKDAYS_9_TO_5,
            "6": [["01:00", "05:00"]],  # a night shift on Sundays, across the clock change
            "5": [["02:30", "05:00"]],  # Saturdays
        },
    )
    now = utc(2031, 3, 20, 12, 0)
    slots = booking.free_slots(now=now)
    # Local 09:00 is 08:00 UTC before the change (CET) and 07:00 UTC after it (CEST).
    assert utc(2031, 3, 28, 8, 0) in starts(slots)
    assert utc(2031, 3, 31, 7, 0) in starts(slots)
    assert day_starts(slots, dt.date(2031, 3, 28), rome)[0] == "09:00"
    assert day_starts(slots, dt.date(2031, 3, 31), rome)[0] == "09:00"
    # A normal Sunday night: 4 hours, five sessions.
    assert day_starts(slots, dt.date(2031, 3, 23), rome) == [
        "01:00",
        "01:45",
        "02:30",
        "03:15",
        "04:00",
    ]
    # The night of the change (02:00 -> 03:00): 3 hours of working time, four sessions that
    # run on physical time (01:00 CET, then 01:45 CET, then 03:30 and 04:15 CEST).
    sunday = [
        s.starts_at for s in slots if s.starts_at.astimezone(rome).date() == dt.date(2031, 3, 30)
    ]
    assert sunday == [
        utc(2031, 3, 30, 0, 0),
        utc(2031, 3, 30, 0, 45),
        utc(2031, 3, 30, 1, 30),
        utc(2031, 3, 30, 2, 15),
    ]
    # Every slot lies wholly in the calendar's working time.
    cal = Calendar.objects.get(is_default=True).working_calendar()
    for slot in slots:
        assert cal.working_time_between(slot.starts_at, slot.ends_at) == dt.timedelta(minutes=45)


@pytest.mark.django_db
def test_an_interval_starting_in_the_dst_gap_starts_at_the_jump(consultant):
    set_calendar(timezone="Europe/Rome", week={"6": [["02:30", "05:00"]]})
    slots = booking.free_slots(now=utc(2031, 3, 25, 12, 0))
    # 02:30 does not exist that night: the interval starts at 03:00 CEST = 01:00 UTC.
    sunday = [s.starts_at for s in slots if s.starts_at.date() == dt.date(2031, 3, 30)]
    assert sunday == [utc(2031, 3, 30, 1, 0), utc(2031, 3, 30, 1, 45)]


@pytest.mark.django_db
def test_without_a_consultants_team_admins_and_managers_consult(
    admin, manager, agent, utc_calendar
):
    assert [u.pk for u in booking.consultants()] == sorted([admin.pk, manager.pk])
    team = PortalSettings.load().consultants
    team.members.add(agent)
    assert booking.consultants() == [agent]
    agent.is_active = False
    agent.save()
    assert {u.pk for u in booking.consultants()} == {admin.pk, manager.pk}


# ---------------------------------------------------------------- booking


@pytest.mark.django_db
def test_book_a_session(client_user, consultant, consult_task):
    start = utc(2031, 1, 7, 10, 30)
    session = booking.session_book(by=client_user, task=consult_task, starts_at=start.isoformat())
    assert session.status == SessionStatus.BOOKED
    assert (session.starts_at, session.ends_at) == (start, start + dt.timedelta(minutes=45))
    assert session.consultant == consultant
    assert session.booked_by == client_user
    assert session.sequence == 0
    event = Event.objects.get(kind="session.booked")
    assert event.company_id == consult_task.company_id
    assert event.subject_id == consult_task.pk
    assert event.data["session_id"] == session.pk


@pytest.mark.django_db
def test_a_booked_slot_stays_free_while_another_consultant_is(
    client_user, consultant, second_consultant, consult_task, consult_task_2, client
):
    start = utc(2031, 1, 7, 10, 30)
    first = booking.session_book(by=client_user, task=consult_task, starts_at=start)
    slot = next(s for s in booking.free_slots() if s.starts_at == start)
    other = ({consultant.pk, second_consultant.pk} - {first.consultant_id}).pop()
    assert slot.consultant_ids == (other,)
    second = booking.session_book(by=client_user, task=consult_task_2, starts_at=start)
    assert {first.consultant_id, second.consultant_id} == {consultant.pk, second_consultant.pk}
    assert start not in starts(booking.free_slots())
    # The neighbouring slots are still free for both.
    neighbour = next(
        s for s in booking.free_slots() if s.starts_at == start + dt.timedelta(minutes=45)
    )
    assert set(neighbour.consultant_ids) == {consultant.pk, second_consultant.pk}


@pytest.mark.django_db
def test_the_least_busy_consultant_is_chosen(
    client_user, consultant, second_consultant, consult_task, consult_task_2
):
    first = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    second = booking.session_book(by=client_user, task=consult_task_2, starts_at=utc(2031, 1, 8, 9))
    assert first.consultant_id != second.consultant_id


@pytest.mark.django_db
def test_double_booking_is_refused(client_user, consultant, consult_task, consult_task_2):
    start = utc(2031, 1, 7, 10, 30)
    booking.session_book(by=client_user, task=consult_task, starts_at=start)
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=client_user, task=consult_task_2, starts_at=start)
    assert code_of(excinfo) == "slot_taken"
    assert excinfo.value.status == 409
    assert "choose another time" in excinfo.value.message
    assert ConsultationSession.objects.filter(starts_at=start).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_double_booking(consultant, consult_task, consult_task_2):
    start = utc(2031, 1, 7, 10, 30)
    common = {
        "consultant": consultant,
        "starts_at": start,
        "ends_at": start + booking.SESSION_LENGTH,
    }
    ConsultationSession.objects.create(task=consult_task, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationSession.objects.create(task=consult_task_2, **common)
    # A cancelled session does not hold the slot.
    ConsultationSession.objects.update(status=SessionStatus.CANCELLED)
    ConsultationSession.objects.create(task=consult_task_2, **common)


@pytest.mark.django_db
def test_a_concurrent_booking_is_caught_by_the_constraint(
    client_user, consultant, second_consultant, consult_task, consult_task_2, monkeypatch
):
    """Both requests saw the slot free: the insert of the later one hits the unique constraint
    and it takes the next free consultant; with none left it is slot_taken."""
    start = utc(2031, 1, 7, 10, 30)
    stale = booking.free_slots(only=start)  # read before anybody booked
    assert len(stale[0].consultant_ids) == 2
    booking.session_book(by=client_user, task=consult_task, starts_at=start)
    monkeypatch.setattr(booking.services, "free_slots", lambda **kw: stale)  # as booking sees it
    second = booking.session_book(by=client_user, task=consult_task_2, starts_at=start)
    assert ConsultationSession.objects.filter(starts_at=start, status="booked").count() == 2
    assert second.consultant_id == stale[0].consultant_ids[1]
    third = submit(client_user, "Third", category=consult_task.category)
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=client_user, task=third, starts_at=start)
    assert code_of(excinfo) == "slot_taken"
    assert not ConsultationSession.objects.filter(task=third).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2031-01-07T10:00:00+00:00", "not_a_slot"),  # between two grid times
        ("2031-01-11T10:30:00+00:00", "not_a_slot"),  # a Saturday
        ("2031-01-07T18:00:00+00:00", "not_a_slot"),  # after hours
        ("2031-01-06T05:15:00+00:00", "slot_in_past"),
        ("2031-01-06T07:30:00+00:00", "outside_window"),  # less than 2 hours away
        ("2031-01-28T09:00:00+00:00", "outside_window"),  # more than 21 days away
        ("2031-01-07T10:30:00", "invalid_datetime"),  # no offset
        ("tomorrow", "invalid_datetime"),
        ("", "invalid_datetime"),
    ],
)
def test_bad_starts_are_refused_with_a_clear_code(
    client_user, consultant, consult_task, value, code
):
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=client_user, task=consult_task, starts_at=value)
    assert code_of(excinfo) == code
    assert excinfo.value.field == "starts_at"
    assert not ConsultationSession.objects.exists()


@pytest.mark.django_db
def test_other_offsets_name_the_same_slot(client_user, consultant, consult_task):
    session = booking.session_book(
        by=client_user, task=consult_task, starts_at="2031-01-07T12:30:00+02:00"
    )
    assert session.starts_at == utc(2031, 1, 7, 10, 30)


@pytest.mark.django_db
def test_only_consultation_tasks_that_are_open_book(
    client_user, agent, consultant, consult_task, utc_calendar
):
    other = submit(client_user, "Fix the forms")
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=client_user, task=other, starts_at=utc(2031, 1, 7, 9))
    assert code_of(excinfo) == "not_consultation"
    portal_services.task_withdraw(by=client_user, task=consult_task)
    consult_task.refresh_from_db()
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    assert code_of(excinfo) == "task_closed"


@pytest.mark.django_db
def test_one_booked_session_per_task(client_user, consultant, second_consultant, consult_task):
    booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 8, 9))
    assert code_of(excinfo) == "already_booked"
    assert "reschedule" in excinfo.value.message


@pytest.mark.django_db
def test_a_client_of_another_company_cannot_book(other_client, consultant, consult_task):
    with pytest.raises(DomainError) as excinfo:
        booking.session_book(by=other_client, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    assert excinfo.value.status == 403


# ---------------------------------------------------------------- reschedule and cancel


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["client_user", "agent"])
def test_reschedule_by_either_side(actor, request, client_user, consultant, consult_task):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    by = request.getfixturevalue(actor)
    moved = booking.session_reschedule(by=by, session=session, starts_at=utc(2031, 1, 9, 14, 15))
    assert moved.pk == session.pk
    assert moved.starts_at == utc(2031, 1, 9, 14, 15)
    assert moved.ends_at == utc(2031, 1, 9, 15, 0)
    assert moved.sequence == 1
    assert moved.consultant == consultant
    assert utc(2031, 1, 7, 9) in starts(booking.free_slots())
    assert utc(2031, 1, 9, 14, 15) not in starts(booking.free_slots())
    event = Event.objects.get(kind="session.rescheduled")
    assert event.actor == by
    assert event.data["previous_starts_at"] == utc(2031, 1, 7, 9).isoformat()


@pytest.mark.django_db
def test_reschedule_keeps_the_consultant_when_free_else_takes_another(
    client_user, consultant, second_consultant, consult_task, consult_task_2
):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    mine = session.consultant_id
    other = ({consultant.pk, second_consultant.pk} - {mine}).pop()
    # The other task holds `mine` at 14:15 on Thursday (booked while only `mine` consults).
    ConsultationSession.objects.create(
        task=consult_task_2,
        consultant_id=mine,
        starts_at=utc(2031, 1, 9, 14, 15),
        ends_at=utc(2031, 1, 9, 15, 0),
    )
    moved = booking.session_reschedule(
        by=client_user, session=session, starts_at=utc(2031, 1, 8, 9)
    )
    assert moved.consultant_id == mine
    moved = booking.session_reschedule(
        by=client_user, session=moved, starts_at=utc(2031, 1, 9, 14, 15)
    )
    assert moved.consultant_id == other
    assert moved.sequence == 2


@pytest.mark.django_db
def test_reschedule_refusals(client_user, consultant, consult_task, consult_task_2):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    booking.session_book(by=client_user, task=consult_task_2, starts_at=utc(2031, 1, 8, 9))
    for value, code in [
        (utc(2031, 1, 7, 9), "same_time"),
        (utc(2031, 1, 8, 9), "slot_taken"),
        (utc(2031, 1, 8, 9, 10), "not_a_slot"),
    ]:
        with pytest.raises(DomainError) as excinfo:
            booking.session_reschedule(by=client_user, session=session, starts_at=value)
        assert code_of(excinfo) == code
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == (utc(2031, 1, 7, 9), 0)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["client_user", "agent"])
def test_cancel_by_either_side(actor, request, client_user, consultant, consult_task):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    by = request.getfixturevalue(actor)
    cancelled = booking.session_cancel(by=by, session=session)
    assert cancelled.status == SessionStatus.CANCELLED
    assert cancelled.cancelled_at == NOW
    assert cancelled.sequence == 1
    assert Event.objects.filter(kind="session.cancelled", actor=by).exists()
    assert utc(2031, 1, 7, 9) in starts(booking.free_slots())
    with pytest.raises(DomainError) as excinfo:
        booking.session_cancel(by=by, session=cancelled)
    assert code_of(excinfo) == "not_booked"
    with pytest.raises(DomainError) as excinfo:
        booking.session_reschedule(by=by, session=cancelled, starts_at=utc(2031, 1, 8, 9))
    assert code_of(excinfo) == "not_booked"
    # The task can book again.
    again = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    assert again.pk != session.pk


@pytest.mark.django_db
@pytest.mark.parametrize("close", ["withdraw", "decline"])
def test_closing_the_task_cancels_its_upcoming_session(
    close, client_user, agent, consultant, consult_task
):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    if close == "withdraw":
        portal_services.task_withdraw(by=client_user, task=consult_task)
    else:
        portal_services.task_decline(by=agent, task=consult_task, reason="Not for us.")
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.cancelled_at == NOW
    assert session.sequence == 1
    assert Event.objects.for_subject(consult_task).filter(kind="session.cancelled").exists()
    # The consultant's slot is free again.
    assert utc(2031, 1, 7, 9) in starts(booking.free_slots())


# ---------------------------------------------------------------- pages


@pytest.mark.django_db
def test_book_page_shows_the_week_by_day_in_the_clients_time_zone(
    client_user, consultant, consult_task
):
    client_user.timezone = "Asia/Tokyo"
    client_user.save()
    response = login(client_user).get(reverse("portal:session_book", args=[consult_task.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Asia/Tokyo" in body
    # 09:00 UTC on Monday 6 January is 18:00 on Monday in Tokyo; 15:00 UTC is 00:00 Tuesday.
    # English weeks start on Sunday (the locale's FIRST_DAY_OF_WEEK).
    week = response.context["week"]
    assert [d.date for d in week.days][:2] == [dt.date(2031, 1, 5), dt.date(2031, 1, 6)]
    days = {d.date: d for d in week.days}
    assert days[dt.date(2031, 1, 6)].is_today
    assert days[dt.date(2031, 1, 6)].slots[0].starts_at == utc(2031, 1, 6, 9)
    assert days[dt.date(2031, 1, 7)].slots[0].starts_at == utc(2031, 1, 6, 15, 0)
    assert 'value="2031-01-07T09:00:00+00:00"' in body
    assert "Tuesday, 7 Jan 2031, 6:00 PM" in body  # 09:00 UTC, shown in Tokyo time


@pytest.mark.django_db
def test_booking_the_same_slot_twice_gives_one_booking_and_one_clear_error(
    client_user, consultant, consult_task, consult_task_2
):
    browser = login(client_user)
    value = "2031-01-07T10:30:00+00:00"
    first = browser.post(
        reverse("portal:session_book", args=[consult_task.pk]), {"starts_at": value}
    )
    assert first.status_code == 302
    assert first["Location"] == reverse("portal:task_detail", args=[consult_task.pk])
    second = browser.post(
        reverse("portal:session_book", args=[consult_task_2.pk]), {"starts_at": value}
    )
    assert second.status_code == 409
    body = second.content.decode()
    assert 'id="err-starts_at"' in body
    assert "just been booked by someone else" in body
    assert value not in body  # the slot is no longer offered
    assert ConsultationSession.objects.filter(starts_at=utc(2031, 1, 7, 10, 30)).count() == 1


@pytest.mark.django_db
def test_book_page_with_a_bad_value_shows_the_error(client_user, consultant, consult_task):
    response = login(client_user).post(
        reverse("portal:session_book", args=[consult_task.pk]), {"starts_at": "soon"}
    )
    assert response.status_code == 422
    assert "Choose one of the offered times." in response.content.decode()


@pytest.mark.django_db
def test_book_page_of_a_task_with_a_session_points_to_reschedule(
    client_user, consultant, consult_task
):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    response = login(client_user).get(reverse("portal:session_book", args=[consult_task.pk]))
    assert response.status_code == 200
    assert reverse("portal:session_reschedule", args=[session.pk]) in response.content.decode()
    assert response.context["week"] is None


@pytest.mark.django_db
def test_client_reschedules_and_cancels_on_the_pages(client_user, consultant, consult_task):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    browser = login(client_user)
    url = reverse("portal:session_reschedule", args=[session.pk])
    page = browser.get(url)
    assert page.status_code == 200
    assert "current" in page.content.decode()
    response = browser.post(url, {"starts_at": "2031-01-08T09:45:00+00:00"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == utc(2031, 1, 8, 9, 45)
    response = browser.post(reverse("portal:session_cancel", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED


@pytest.mark.django_db
def test_staff_reschedules_and_cancels_on_the_pages(client_user, agent, consultant, consult_task):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    browser = login(agent)
    url = reverse("taskdesk:session_reschedule", args=[session.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, {"starts_at": "2031-01-08T09:45:00+00:00"})
    assert response.status_code == 302
    assert response["Location"] == reverse("taskdesk:detail", args=[consult_task.pk])
    response = browser.post(reverse("taskdesk:session_cancel", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.sequence) == (SessionStatus.CANCELLED, 2)
    # Staff book on a client's behalf; the client stays the one who hears about it.
    response = browser.post(
        reverse("taskdesk:session_book", args=[consult_task.pk]),
        {"starts_at": "2031-01-09T09:00:00+00:00"},
    )
    assert response.status_code == 302
    assert ConsultationSession.objects.get(task=consult_task, status="booked").booked_by == agent


@pytest.mark.django_db
def test_another_companys_client_gets_404_everywhere(
    client_user, other_client, consultant, consult_task, api_client_for
):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    browser = login(other_client)
    assert browser.get(reverse("portal:session_book", args=[consult_task.pk])).status_code == 404
    assert (
        browser.post(
            reverse("portal:session_book", args=[consult_task.pk]),
            {"starts_at": "2031-01-08T09:00:00+00:00"},
        ).status_code
        == 404
    )
    for name in ("portal:session_reschedule", "portal:session_ics"):
        assert browser.get(reverse(name, args=[session.pk])).status_code == 404
    assert browser.post(reverse("portal:session_cancel", args=[session.pk])).status_code == 404
    api = api_client_for(other_client)
    assert api.get(f"/api/tasks/{consult_task.pk}/slots").status_code == 404
    assert api.post(f"/api/sessions/{session.pk}/cancel").status_code == 404
    assert api.get("/api/sessions").json()["count"] == 0
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED


@pytest.mark.django_db
def test_ics_download(client_user, agent, consultant, consult_task):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    for browser, name in ((login(client_user), "portal"), (login(agent), "taskdesk")):
        response = browser.get(reverse(f"{name}:session_ics", args=[session.pk]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        assert "attachment" in response["Content-Disposition"]
        cal = ICalendar.from_ical(response.content)
        assert str(cal["method"]) == "PUBLISH"
        event = cal.walk("VEVENT")[0]
        assert str(event["uid"]) == booking._uid(session.pk)
        assert event["dtstart"].dt == utc(2031, 1, 7, 9)
        assert event["dtend"].dt == utc(2031, 1, 7, 9, 45)


@pytest.mark.django_db
@pytest.mark.parametrize("template", ["portal/_sessions.html", "portal/staff/_sessions.html"])
def test_session_partials_render_in_constant_queries(
    template, client_user, consultant, consult_task
):
    def render(task):
        with CaptureQueriesContext(connection) as queries:
            html = render_to_string(template, {"task": task})
        return html, len(queries)

    html, _n = render(consult_task)
    assert reverse("portal:session_book", args=[consult_task.pk]) in html or (
        reverse("taskdesk:session_book", args=[consult_task.pk]) in html
    )
    first = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    booking.session_cancel(by=client_user, session=first)
    booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 8, 9))
    html, few = render(consult_task)
    assert "/cancel/" in html and "/reschedule/" in html and ".ics" in html
    assert consultant.display_name in html
    session = consult_task.sessions.get(status="booked")
    for day in (9, 10, 13):
        booking.session_cancel(by=client_user, session=session)
        session = booking.session_book(
            by=client_user, task=consult_task, starts_at=utc(2031, 1, day, 9)
        )
    _html, more = render(consult_task)
    assert few == more == 1


# ---------------------------------------------------------------- API


@pytest.mark.django_db
def test_api_slots_book_reschedule_cancel_and_list(
    client_user, agent, consultant, consult_task, consult_task_2, api_client_for
):
    api = api_client_for(client_user)
    slots = api.get(f"/api/tasks/{consult_task.pk}/slots").json()
    assert slots["duration_minutes"] == 45
    assert slots["timezone"] == "UTC"
    first = slots["items"][0]
    assert dt.datetime.fromisoformat(first["starts_at"].replace("Z", "+00:00")) == utc(
        2031, 1, 6, 9
    )

    def post(path, body=None, client=api):
        return client.post(path, json.dumps(body or {}), content_type="application/json")

    created = post(f"/api/tasks/{consult_task.pk}/sessions", {"starts_at": first["starts_at"]})
    assert created.status_code == 201, created.content
    session = created.json()
    assert session["status"] == "booked"
    assert session["consultant"]["id"] == consultant.pk
    taken = post(f"/api/tasks/{consult_task_2.pk}/sessions", {"starts_at": first["starts_at"]})
    assert taken.status_code == 409
    assert taken.json()["code"] == "slot_taken"
    assert taken.json()["field"] == "starts_at"
    bad = post(f"/api/tasks/{consult_task_2.pk}/sessions", {"starts_at": "2031-01-07T09:10:00Z"})
    assert (bad.status_code, bad.json()["code"]) == (422, "not_a_slot")
    junk = post(f"/api/tasks/{consult_task_2.pk}/sessions", {"starts_at": "nope"})
    assert (junk.status_code, junk.json()["code"]) == (422, "invalid_input")
    extra = post(
        f"/api/tasks/{consult_task_2.pk}/sessions", {"starts_at": first["starts_at"], "x": 1}
    )
    assert extra.status_code == 422

    moved = post(
        f"/api/sessions/{session['id']}/reschedule", {"starts_at": "2031-01-08T09:45:00+00:00"}
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["sequence"], moved.json()["starts_at"][:16]) == (1, "2031-01-08T09:45")
    staff = api_client_for(agent)
    cancelled = post(f"/api/sessions/{session['id']}/cancel", client=staff)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = post(f"/api/sessions/{session['id']}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "not_booked")

    listing = api.get("/api/sessions", {"limit": 1}).json()
    assert (listing["count"], listing["limit"], len(listing["items"])) == (1, 1, 1)
    assert api.get("/api/sessions", {"status": "booked"}).json()["count"] == 0
    assert staff.get("/api/sessions", {"task_id": consult_task.pk}).json()["count"] == 1


@pytest.mark.django_db
def test_api_refuses_slots_for_a_task_that_is_not_a_consultation(
    client_user, consultant, api_client_for, utc_calendar
):
    task = submit(client_user, "Fix the forms")
    response = api_client_for(client_user).get(f"/api/tasks/{task.pk}/slots")
    assert (response.status_code, response.json()["code"]) == (409, "not_consultation")


@pytest.mark.django_db
def test_api_session_list_and_book_page_in_constant_queries(
    client_user, agent, consultant, second_consultant, consultation, utc_calendar, api_client_for
):
    api = api_client_for(agent)
    browser = login(client_user)
    task = submit(client_user, "Pages", category=consultation)

    def count(call):
        with CaptureQueriesContext(connection) as queries:
            assert call().status_code == 200
        return len(queries)

    def book(n):
        for i in range(n):
            other = submit(client_user, f"T{i}", category=consultation)
            start = booking.free_slots()[0].starts_at
            booking.session_book(by=client_user, task=other, starts_at=start)

    book(2)
    api.get("/api/sessions")  # the token's first use is recorded once
    few_api = count(lambda: api.get("/api/sessions"))
    few_page = count(lambda: browser.get(reverse("portal:session_book", args=[task.pk])))
    book(8)
    assert count(lambda: api.get("/api/sessions")) == few_api
    assert count(lambda: browser.get(reverse("portal:session_book", args=[task.pk]))) == few_page


# ---------------------------------------------------------------- emails over SMTP


@pytest.fixture(scope="module")
def booking_smtp():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


@pytest.fixture
def booking_mailbox(booking_smtp, settings) -> Collector:
    collector, port = booking_smtp
    with collector.lock:
        collector.messages.clear()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "Agency Desk <desk@agency.test>"
    return collector


def invitation(received) -> ICalendar:
    parts = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_filename().endswith(".ics")
    return ICalendar.from_ical(parts[0].get_payload(decode=True))


@pytest.mark.django_db
def test_invitations_travel_over_smtp(
    client_user,
    agent,
    consultant,
    consult_task,
    booking_mailbox,
    django_capture_on_commit_callbacks,
):
    start = utc(2031, 1, 7, 9)
    with django_capture_on_commit_callbacks(execute=True):
        session = booking.session_book(by=client_user, task=consult_task, starts_at=start)
    to_client = booking_mailbox.to(client_user.email)
    to_consultant = booking_mailbox.to(consultant.email)
    assert len(to_client) == len(to_consultant) == 1
    mail = to_client[0]
    assert "confirmed" in mail.subject
    assert consult_task.title in mail.text and consult_task.title in mail.html
    assert consultant.display_name in mail.text
    assert 'lang="it"' in to_consultant[0].html  # each recipient in their own language
    assert 'lang="en"' in mail.html
    cal = invitation(mail)
    assert str(cal["method"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    uid = str(event["uid"])
    assert uid == booking._uid(session.pk)
    assert int(event["sequence"]) == 0
    assert event["dtstart"].dt == start and event["dtstart"].dt.utcoffset() == dt.timedelta(0)
    assert event["dtend"].dt == start + dt.timedelta(minutes=45)
    assert str(event["organizer"]) == "mailto:desk@agency.test"
    attendees = {str(a) for a in event.get("attendee")}
    assert attendees == {f"mailto:{client_user.email}", f"mailto:{consultant.email}"}
    assert str(invitation(to_consultant[0]).walk("VEVENT")[0]["uid"]) == uid

    # Rescheduled by staff: the same UID, SEQUENCE 1, to the same people.
    booking_mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_reschedule(by=agent, session=session, starts_at=utc(2031, 1, 8, 14, 15))
    mail = booking_mailbox.to(client_user.email)[0]
    assert "moved" in mail.subject
    event = invitation(mail).walk("VEVENT")[0]
    assert (str(event["uid"]), int(event["sequence"])) == (uid, 1)
    assert event["dtstart"].dt == utc(2031, 1, 8, 14, 15)
    assert len(booking_mailbox.to(consultant.email)) == 1
    assert not booking_mailbox.to(agent.email)

    # Cancelled by the client: METHOD:CANCEL, SEQUENCE 2.
    booking_mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_cancel(by=client_user, session=session)
    for address in (client_user.email, consultant.email):
        (mail,) = booking_mailbox.to(address)
        # Each in its recipient's language (the consultant here reads Italian).
        assert "cancelled" in mail.subject or "annullata" in mail.subject
        cal = invitation(mail)
        assert str(cal["method"]) == "CANCEL"
        event = cal.walk("VEVENT")[0]
        assert (str(event["uid"]), int(event["sequence"]), str(event["status"])) == (
            uid,
            2,
            "CANCELLED",
        )


@pytest.mark.django_db
def test_a_reassigned_consultant_gets_a_cancellation(
    client_user, consultant, second_consultant, consult_task, consult_task_2,
    booking_mailbox, django_capture_on_commit_callbacks,
):  # fmt: skip
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    first = session.consultant
    ConsultationSession.objects.create(
        task=consult_task_2,
        consultant=first,
        starts_at=utc(2031, 1, 8, 9),
        ends_at=utc(2031, 1, 8, 9, 45),
    )
    with django_capture_on_commit_callbacks(execute=True):
        moved = booking.session_reschedule(
            by=client_user, session=session, starts_at=utc(2031, 1, 8, 9)
        )
    assert moved.consultant_id != first.pk
    (old,) = booking_mailbox.to(first.email)
    assert str(invitation(old)["method"]) == "CANCEL"
    (new,) = booking_mailbox.to(moved.consultant.email)
    assert str(invitation(new)["method"]) == "REQUEST"


@pytest.mark.django_db
def test_staff_booking_emails_the_tasks_client_recipients(
    client_user,
    agent,
    consultant,
    consult_task,
    booking_mailbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_book(by=agent, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    assert len(booking_mailbox.to(client_user.email)) == 1  # the requester of the task
    assert len(booking_mailbox.to(consultant.email)) == 1
    assert not booking_mailbox.to(agent.email)


@pytest.mark.django_db
def test_no_email_before_commit(client_user, consultant, consult_task, booking_mailbox):
    booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    assert booking_mailbox.messages == []  # the test transaction never commits


@pytest.mark.django_db
def test_the_task_pages_show_the_session(client_user, agent, consultant, consult_task):
    client_page = login(client_user).get(reverse("portal:task_detail", args=[consult_task.pk]))
    assert reverse("portal:session_book", args=[consult_task.pk]) in client_page.content.decode()
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    client_page = login(client_user).get(reverse("portal:task_detail", args=[consult_task.pk]))
    body = client_page.content.decode()
    for name in ("session_reschedule", "session_cancel", "session_ics"):
        assert reverse(f"portal:{name}", args=[session.pk]) in body
    staff_page = login(agent).get(reverse("taskdesk:detail", args=[consult_task.pk]))
    body = staff_page.content.decode()
    assert staff_page.status_code == 200
    for name in ("session_reschedule", "session_cancel", "session_ics"):
        assert reverse(f"taskdesk:{name}", args=[session.pk]) in body
    assert consultant.display_name in body
