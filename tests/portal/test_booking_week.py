"""The booking page in two steps: the week view (days as columns, previous / next week, today,
the viewer's time zone and locale) and the confirm step (the consultant, both time zones, the
agenda), a slot taken in the meantime, and the new-request form leading to it."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.portal import booking
from partnerdesk.portal.booking.agenda import session_book_with_agenda
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import ConsultationSession, Message
from tests.conftest import login
from tests.portal import test_booking as base
from tests.portal.conftest import submit

# The booking tests' world: "now" is Monday 6 January 2031, 06:00 UTC (every clock of the app),
# the agency works 09:00–17:00 UTC on weekdays, and the consultants team has ``consultant``.
NOW, utc = base.NOW, base.utc
fixed_now = base.fixed_now
utc_calendar = base.utc_calendar
consultant, second_consultant = base.consultant, base.second_consultant
consult_task, consult_task_2 = base.consult_task, base.consult_task_2

SUNDAY, MONDAY, SATURDAY = 0, 1, 6  # Django's FIRST_DAY_OF_WEEK


def slot(*args) -> booking.Slot:
    start = utc(*args)
    return booking.Slot(start, start + booking.SESSION_LENGTH, (1,))


def book_url(task, **query) -> str:
    url = reverse("portal:session_book", args=[task.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def confirm_url(task, start: dt.datetime) -> str:
    return (
        reverse("portal:session_book", args=[task.pk])
        + "?"
        + urlencode({"starts_at": start.isoformat()})
    )


# ---------------------------------------------------------------- weeks (no database)


@pytest.mark.parametrize(
    ("first_weekday", "expected"),
    [(SUNDAY, dt.date(2031, 1, 5)), (MONDAY, dt.date(2031, 1, 6)), (SATURDAY, dt.date(2031, 1, 4))],
)
def test_a_week_starts_on_the_locales_first_day(first_weekday, expected):
    for offset in range(7):  # every day of that week has the same first day
        assert booking.week_start(expected + dt.timedelta(days=offset), first_weekday) == expected


@pytest.mark.parametrize("value", ["", None, "soon", "2031-13-01", "2031-01-06T00:00", "x" * 500])
def test_a_bad_week_is_no_choice(value):
    assert booking.parse_week(value) is None


def test_parse_week_reads_a_day():
    assert booking.parse_week(" 2031-01-15 ") == dt.date(2031, 1, 15)


def test_the_week_of_the_first_free_slot_is_shown_by_default():
    # Monday 6 January 2031, 06:00 UTC: the window ends on Monday 27 January.
    slots = [slot(2031, 1, 8, 9), slot(2031, 1, 8, 9, 45), slot(2031, 1, 14, 9)]
    week = booking.week_of(slots, tz=dt.UTC, now=NOW, first_weekday=MONDAY)
    assert week.start == dt.date(2031, 1, 6)
    assert [d.date.day for d in week.days] == [6, 7, 8, 9, 10, 11, 12]
    assert [len(d.slots) for d in week.days] == [0, 0, 2, 0, 0, 0, 0]
    assert week.free == 2
    assert [d.is_today for d in week.days] == [True] + [False] * 6
    assert (week.previous, week.next) == (None, dt.date(2031, 1, 13))
    # No free slot this week: the first week with one.
    later = booking.week_of(slots[2:], tz=dt.UTC, now=NOW, first_weekday=MONDAY)
    assert later.start == dt.date(2031, 1, 13)
    assert later.previous == dt.date(2031, 1, 6)
    assert not any(d.is_today for d in later.days)
    # No free slot at all: this week, every day empty.
    empty = booking.week_of([], tz=dt.UTC, now=NOW, first_weekday=MONDAY)
    assert (empty.start, empty.free) == (dt.date(2031, 1, 6), 0)


def test_a_requested_week_is_kept_inside_the_window():
    def start(day):
        week = booking.week_of([], tz=dt.UTC, now=NOW, first_weekday=MONDAY, requested=day)
        return week.start, week.previous, week.next

    assert start(dt.date(2031, 1, 22)) == (
        dt.date(2031, 1, 20),
        dt.date(2031, 1, 13),
        dt.date(2031, 1, 27),
    )
    # The last week holds the window's end (Monday 27 January): no next one.
    assert start(dt.date(2031, 3, 1)) == (dt.date(2031, 1, 27), dt.date(2031, 1, 20), None)
    assert start(dt.date(2020, 1, 1)) == (dt.date(2031, 1, 6), None, dt.date(2031, 1, 13))


def test_days_are_the_viewers_local_days():
    tokyo = ZoneInfo("Asia/Tokyo")
    # 15:00 UTC on Monday is 00:00 on Tuesday in Tokyo; in Tokyo it is Monday 15:00 "now".
    week = booking.week_of(
        [slot(2031, 1, 6, 14, 15), slot(2031, 1, 6, 15)], tz=tokyo, now=NOW, first_weekday=MONDAY
    )
    days = {d.date: d for d in week.days}
    assert [s.starts_at for s in days[dt.date(2031, 1, 6)].slots] == [utc(2031, 1, 6, 14, 15)]
    assert [s.starts_at for s in days[dt.date(2031, 1, 7)].slots] == [utc(2031, 1, 6, 15)]
    # Los Angeles is still on Sunday 5 January: the week (from Monday) starts on 30 December.
    la = booking.week_of([], tz=ZoneInfo("America/Los_Angeles"), now=NOW, first_weekday=MONDAY)
    assert la.start == dt.date(2030, 12, 30)
    assert [d.is_past for d in la.days] == [True] * 6 + [False]
    assert la.days[6].is_today


# ---------------------------------------------------------------- the week view


@pytest.mark.django_db
def test_the_week_view_has_a_column_per_day_with_today_and_empty_days(
    client_user, consultant, consult_task
):
    response = login(client_user).get(book_url(consult_task))
    assert response.status_code == 200
    body = response.content.decode()
    # English weeks start on Sunday: 5 – 11 January, Sunday and Saturday empty.
    assert "5 Jan – 11 Jan 2031" in body
    assert body.count('<li class="day') == 7
    assert body.count("No free times") == 2
    assert 'class="day today" aria-current="date"' in body
    assert "Monday" in body and "Today" in body
    assert 'value="2031-01-06T09:00:00+00:00"' in body
    assert 'value="2031-01-13T09:00:00+00:00"' not in body  # next week
    # Previous week: not offered (this is the first week); next week: a link and an htmx swap.
    assert 'rel="prev"' not in body
    assert f'href="{book_url(consult_task, week="2031-01-12")}"' in body
    assert 'hx-target="#week"' in body


@pytest.mark.django_db
def test_next_week_and_its_partial_for_htmx(client_user, consultant, consult_task):
    browser = login(client_user)
    response = browser.get(book_url(consult_task, week="2031-01-15"))
    body = response.content.decode()
    assert "12 Jan – 18 Jan 2031" in body
    assert 'value="2031-01-13T09:00:00+00:00"' in body
    assert 'value="2031-01-06T09:00:00+00:00"' not in body
    assert 'aria-current="date"' not in body  # today is not in this week
    assert f'href="{book_url(consult_task, week="2031-01-05")}"' in body
    # htmx asks for the week only: the fragment, without the page around it.
    partial = browser.get(
        book_url(consult_task, week="2031-01-15"),
        headers={"HX-Request": "true", "HX-Target": "week"},
    )
    assert partial.status_code == 200
    fragment = partial.content.decode()
    assert fragment.lstrip().startswith('<section id="week"')
    assert "<html" not in fragment and "12 Jan – 18 Jan 2031" in fragment


@pytest.mark.django_db
@pytest.mark.parametrize("week", ["soon", "2031-02-30", "1999-01-01", "2099-01-01", "x" * 300])
def test_a_bad_or_far_week_shows_a_week_of_the_window(week, client_user, consultant, consult_task):
    response = login(client_user).get(book_url(consult_task, week=week))
    assert response.status_code == 200
    start = response.context["week"].start
    assert dt.date(2031, 1, 5) <= start <= dt.date(2031, 1, 26)


@pytest.mark.django_db
def test_the_week_is_in_the_viewers_language_and_first_weekday(
    client_user, consultant, consult_task
):
    client_user.language = "it"
    client_user.save()
    body = login(client_user).get(book_url(consult_task)).content.decode()
    # Italian weeks start on Monday; weekday names are Italian.
    days = [d.date for d in login(client_user).get(book_url(consult_task)).context["week"].days]
    assert days[0] == dt.date(2031, 1, 6)
    assert "lunedì" in body.lower() and "domenica" in body.lower()


# ---------------------------------------------------------------- the confirm step


@pytest.mark.django_db
def test_choosing_a_slot_shows_the_confirm_step_without_booking(
    client_user, consultant, consult_task
):
    client_user.timezone = "America/New_York"
    client_user.save()
    consultant.timezone = "Europe/Rome"
    consultant.save()
    response = login(client_user).get(confirm_url(consult_task, utc(2031, 1, 7, 15)))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Confirm your consultation session" in body
    assert consultant.display_name in body
    # 15:00 UTC: 10:00 AM in New York (the client), 4:00 PM in Rome (the consultant).
    assert "Your time (America/New_York)" in body
    assert "Tuesday, 7 Jan 2031, 10:00 AM" in body
    assert "Consultant’s time (Europe/Rome)" in body
    assert "Tuesday, 7 Jan 2031, 4:00 PM" in body
    assert "45 min" in body
    assert 'name="agenda"' in body
    assert 'value="2031-01-07T15:00:00+00:00"' in body  # posted on confirming
    assert "Confirm booking" in body
    assert f'href="{book_url(consult_task, week="2031-01-07")}"' in body  # another time
    assert not ConsultationSession.objects.exists()


@pytest.mark.django_db
def test_one_time_zone_when_client_and_consultant_read_the_same_time(
    client_user, consultant, consult_task
):
    client_user.timezone = "Europe/Paris"
    client_user.save()
    consultant.timezone = "Europe/Rome"  # another zone, the same clock
    consultant.save()
    body = login(client_user).get(confirm_url(consult_task, utc(2031, 1, 7, 15))).content.decode()
    assert "Consultant’s time" not in body
    assert "Tuesday, 7 Jan 2031, 4:00 PM" in body and "(Europe/Paris)" in body


@pytest.mark.django_db
def test_the_confirm_step_names_the_consultant_who_will_hold_it(
    client_user, consultant, second_consultant, consult_task, consult_task_2
):
    # The first consultant is busier: the second one is offered, and booked.
    booking.session_book(by=client_user, task=consult_task_2, starts_at=utc(2031, 1, 8, 9))
    browser = login(client_user)
    start = utc(2031, 1, 7, 9)
    response = browser.get(confirm_url(consult_task, start))
    assert response.context["offer"].consultant == second_consultant
    browser.post(book_url(consult_task), {"starts_at": start.isoformat(), "agenda": ""})
    assert consult_task.sessions.get().consultant == second_consultant


@pytest.mark.django_db
def test_confirming_books_with_the_agenda(
    client_user, consultant, consult_task, django_capture_on_commit_callbacks, mailoutbox
):
    agenda = "1. Lifecycle stages\n2. Lead scoring"
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client_user).post(
            book_url(consult_task),
            {"starts_at": "2031-01-07T09:00:00+00:00", "agenda": f"  {agenda}  "},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:task_detail", args=[consult_task.pk])
    session = consult_task.sessions.get()
    assert (session.starts_at, session.consultant) == (utc(2031, 1, 7, 9), consultant)
    # On the task's thread, as the client's message.
    message = Message.objects.get(task=consult_task)
    assert message.author == client_user
    assert message.body.endswith(agenda)
    # In each invitation (the email and the .ics); not in the event, which automations and
    # webhooks read.
    event = Event.objects.get(kind=PortalEvent.SESSION_BOOKED, subject_id=consult_task.pk)
    assert "agenda" not in event.data and "Lead scoring" not in str(event.data)
    # (the consultant's in Italian, their language)
    invitations = [m for m in mailoutbox if any(a[0].endswith(".ics") for a in m.attachments)]
    assert {m.to[0] for m in invitations} == {client_user.email, consultant.email}
    for mail in invitations:
        assert "Lead scoring" in mail.body
        assert "Lead scoring" in mail.alternatives[0].content
        _name, content, _mimetype = next(a for a in mail.attachments if a[0].endswith(".ics"))
        text = content.decode() if isinstance(content, bytes) else content
        assert "Lead scoring" in text.replace("\r\n ", "")  # folded lines joined
    page = login(client_user).get(reverse("portal:task_detail", args=[consult_task.pk]))
    assert "Lead scoring" in page.content.decode()


@pytest.mark.django_db
def test_no_agenda_no_message(client_user, consultant, consult_task):
    response = login(client_user).post(
        book_url(consult_task), {"starts_at": "2031-01-07T09:00:00+00:00", "agenda": "   "}
    )
    assert response.status_code == 302
    assert consult_task.sessions.filter(status="booked").exists()
    assert not Message.objects.filter(task=consult_task).exists()


@pytest.mark.django_db
def test_a_too_long_agenda_is_shown_beside_its_field_and_nothing_is_booked(
    client_user, consultant, consult_task
):
    response = login(client_user).post(
        book_url(consult_task),
        {"starts_at": "2031-01-07T09:00:00+00:00", "agenda": "x" * (booking.AGENDA_MAX_LENGTH + 1)},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="err-agenda"' in body
    assert "Confirm booking" in body  # still the confirm step, the time kept
    assert 'value="2031-01-07T09:00:00+00:00"' in body
    assert not ConsultationSession.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_too_long_agenda_too(client_user, consultant, consult_task):
    with pytest.raises(DomainError) as e:
        session_book_with_agenda(
            by=client_user,
            task=consult_task,
            starts_at=utc(2031, 1, 7, 9),
            agenda="x" * (booking.AGENDA_MAX_LENGTH + 1),
        )
    assert (e.value.code, e.value.field) == ("too_long", "agenda")
    assert not ConsultationSession.objects.exists()


@pytest.mark.django_db
def test_a_slot_taken_meanwhile_shows_its_week_again_with_why(
    client_user, consultant, consult_task, consult_task_2
):
    browser = login(client_user)
    start = utc(2031, 1, 14, 9)  # next week
    assert browser.get(confirm_url(consult_task, start)).status_code == 200
    # Someone else books it (the only consultant) before the client confirms.
    booking.session_book(by=client_user, task=consult_task_2, starts_at=start)
    response = browser.post(
        book_url(consult_task), {"starts_at": start.isoformat(), "agenda": "Pipelines"}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "just been booked by someone else" in body
    assert response.context["week"].start == dt.date(2031, 1, 12)  # the slot's week
    assert start.isoformat() not in body  # no longer offered
    assert 'value="2031-01-14T09:45:00+00:00"' in body  # its neighbours are
    assert not consult_task.sessions.exists()
    assert not Message.objects.filter(task=consult_task).exists()  # the agenda rolled back
    # Following a stale link to it says the same.
    stale = browser.get(confirm_url(consult_task, start))
    assert stale.status_code == 409
    assert "just been booked by someone else" in stale.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "status", "text"),
    [
        ("soon", 422, "Choose one of the offered times."),
        ("2031-01-07T09:10:00+00:00", 422, "Sessions start at the offered times only"),
        ("2031-03-01T09:00:00+00:00", 422, "from 2 hours to 21 days ahead"),
    ],
)
def test_a_bad_choice_shows_the_week_with_the_reason(
    value, status, text, client_user, consultant, consult_task
):
    response = login(client_user).get(
        reverse("portal:session_book", args=[consult_task.pk]), {"starts_at": value}
    )
    assert response.status_code == status
    body = response.content.decode()
    assert text in body
    assert 'id="week"' in body


@pytest.mark.django_db
def test_rescheduling_confirms_the_new_time_without_an_agenda(
    client_user, consultant, consult_task
):
    session = booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 7, 9))
    browser = login(client_user)
    url = reverse("portal:session_reschedule", args=[session.pk])
    week = browser.get(url).content.decode()
    assert "current" in week  # the session's own time, marked
    page = browser.get(url, {"starts_at": "2031-01-08T09:45:00+00:00"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Confirm the new time" in body
    assert 'name="agenda"' not in body
    assert consultant.display_name in body
    response = browser.post(url, {"starts_at": "2031-01-08T09:45:00+00:00"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == utc(2031, 1, 8, 9, 45)


@pytest.mark.django_db
def test_staff_book_for_the_client_through_the_same_steps(
    client_user, agent, consultant, consult_task
):
    browser = login(agent)
    url = reverse("taskdesk:session_book", args=[consult_task.pk])
    assert 'id="week"' in browser.get(url).content.decode()
    page = browser.get(url, {"starts_at": "2031-01-07T09:00:00+00:00"})
    assert "Confirm booking" in page.content.decode()
    response = browser.post(url, {"starts_at": "2031-01-07T09:00:00+00:00", "agenda": "Prep"})
    assert response["Location"] == reverse("taskdesk:detail", args=[consult_task.pk])
    assert consult_task.sessions.get().booked_by == agent
    assert Message.objects.get(task=consult_task).from_agency


@pytest.mark.django_db
def test_week_and_confirm_pages_in_constant_queries(
    client_user, consultant, second_consultant, consultation, utc_calendar
):
    browser = login(client_user)
    task = submit(client_user, "Pages", category=consultation)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200
        return len(queries)

    def book(n):
        for i in range(n):
            other = submit(client_user, f"T{i}", category=consultation)
            start = booking.free_slots()[0].starts_at
            booking.session_book(by=client_user, task=other, starts_at=start)

    target = utc(2031, 1, 10, 15)
    pages = [book_url(task, week="2031-01-08"), confirm_url(task, target)]
    count(pages[0])  # warm up
    book(2)
    few = [count(url) for url in pages]
    book(8)
    assert [count(url) for url in pages] == few


# ---------------------------------------------------------------- the new-request form


@pytest.mark.django_db
def test_a_consultation_request_leads_straight_to_the_week_view(
    client_user, consultant, consultation, category, utc_calendar
):
    browser = login(client_user)
    response = browser.post(
        reverse("portal:task_new"),
        {"title": "Talk about reporting", "category": consultation.pk, "description": ""},
    )
    task = client_user.company.tasks.get(title="Talk about reporting")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:session_book", args=[task.pk])
    page = browser.get(response["Location"])
    assert "Now choose a time for your consultation session" in page.content.decode()
    assert 'id="week"' in page.content.decode()
    # Any other category goes to the task, as before.
    other = browser.post(
        reverse("portal:task_new"), {"title": "Fix a form", "category": category.pk}
    )
    task = client_user.company.tasks.get(title="Fix a form")
    assert other["Location"] == reverse("portal:task_detail", args=[task.pk])


# ---------------------------------------------------------------- the API and the task page


@pytest.mark.django_db
def test_the_api_books_with_an_agenda_too(client_user, consultant, consult_task, api_client_for):
    api = api_client_for(client_user)

    def post(body):
        return api.post(
            f"/api/tasks/{consult_task.pk}/sessions",
            json.dumps(body),
            content_type="application/json",
        )

    too_long = post(
        {"starts_at": "2031-01-07T09:00:00Z", "agenda": "x" * (booking.AGENDA_MAX_LENGTH + 1)}
    )
    assert too_long.status_code == 422
    created = post({"starts_at": "2031-01-07T09:00:00Z", "agenda": "Reporting questions"})
    assert created.status_code == 201, created.content
    assert Message.objects.get(task=consult_task).body.endswith("Reporting questions")


@pytest.mark.django_db
def test_the_task_page_says_when_the_session_is(client_user, consultant, consult_task):
    booking.session_book(by=client_user, task=consult_task, starts_at=utc(2031, 1, 8, 9))
    body = login(client_user).get(reverse("portal:task_detail", args=[consult_task.pk]))
    text = body.content.decode()
    assert "Wednesday, 8 Jan 2031, 9:00 AM" in text
    assert "in 2 days" in text  # from Monday 06:00


@pytest.mark.django_db
def test_a_week_across_the_new_year_names_both_years(client_user, consultant, consult_task):
    # Seen from Los Angeles it is still Sunday 5 January; a week from Monday in Italian starts
    # on 30 December 2030.
    client_user.timezone = "America/Los_Angeles"
    client_user.language = "it"
    client_user.save()
    response = login(client_user).get(book_url(consult_task, week="2030-12-31"))
    assert response.context["week"].start == dt.date(2030, 12, 30)
    assert "30 Dic 2030 – 5 Gen 2031" in response.content.decode()
