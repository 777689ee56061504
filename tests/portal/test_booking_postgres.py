"""On PostgreSQL: two clients booking the same slot at the same moment, one consultant ->
exactly one booking and one ``slot_taken``, whatever the interleaving (the unique constraint
decides, not only the check). Skipped on SQLite, which serialises writers anyway:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/booking .venv/bin/python -m pytest \
        tests/portal/test_booking_postgres.py -q -p no:cacheprovider
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from partnerdesk.accounts.models import Role
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.portal import booking
from partnerdesk.portal.booking.agenda import session_book_with_agenda
from partnerdesk.portal.models import ConsultationSession, Message, PortalSettings
from partnerdesk.sla.models import Calendar
from tests.conftest import make_user
from tests.portal.conftest import submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2031, 1, 6, 6, 0, tzinfo=dt.UTC)  # a Monday
START = dt.datetime(2031, 1, 7, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def setup(transactional_db, client_user, other_client, consultation, monkeypatch, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the concurrent booking test runs on PostgreSQL")
    monkeypatch.setattr(clock, "now", lambda: NOW)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    cal = Calendar.objects.get(is_default=True)
    cal.timezone, cal.holiday_country = "UTC", ""
    cal.week = {str(d): [["09:00", "17:00"]] for d in range(5)}
    cal.save()
    consultant = make_user("only-consultant@agency.test", Role.AGENT)
    PortalSettings.load().consultants.members.add(consultant)
    tasks = [
        (client_user, submit(client_user, "Ours", category=consultation)),
        (other_client, submit(other_client, "Theirs", category=consultation)),
    ]
    return consultant, tasks


def race(tasks, *, before_insert: threading.Barrier | None = None, monkeypatch=None, book=None):
    """Book START on each task from its own thread and connection, all released at once (with
    ``book(user, task)``, by default ``session_book``)."""
    book = book or (lambda user, task: booking.session_book(by=user, task=task, starts_at=START))
    if before_insert is not None:
        real = booking.free_slots

        def both_saw_it_free(**kwargs):
            found = real(**kwargs)
            before_insert.wait(timeout=20)  # every thread has checked before anyone inserts
            return found

        monkeypatch.setattr(booking.services, "free_slots", both_saw_it_free)  # as booking sees it
    start = threading.Barrier(len(tasks))
    results: list[tuple[str, object]] = []
    lock = threading.Lock()

    def run(user, task):
        try:
            start.wait(timeout=20)
            session = book(user, task)
            outcome = ("booked", session.consultant_id)
        except DomainError as exc:
            outcome = ("error", (exc.code, exc.status))
        except Exception as exc:  # anything else is a failure of the test, reported below
            outcome = ("crash", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=pair) for pair in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results, key=lambda r: r[0])


def test_both_saw_the_slot_free_the_constraint_lets_one_through(setup, monkeypatch):
    consultant, tasks = setup
    results = race(tasks, before_insert=threading.Barrier(2), monkeypatch=monkeypatch)
    assert results == [("booked", consultant.pk), ("error", ("slot_taken", 409))]
    assert ConsultationSession.objects.filter(starts_at=START, status="booked").count() == 1


def test_two_bookings_at_the_same_moment(setup):
    consultant, tasks = setup
    results = race(tasks)
    assert results == [("booked", consultant.pk), ("error", ("slot_taken", 409))]
    booked = ConsultationSession.objects.filter(starts_at=START, status="booked")
    assert booked.count() == 1
    assert booked.get().consultant_id == consultant.pk


def test_booking_with_an_agenda_at_the_same_moment_posts_only_the_winners(setup, monkeypatch):
    """The confirm step's booking (the session and its agenda on the thread, one transaction):
    the loser's agenda goes with its refused booking."""
    consultant, tasks = setup

    def book(user, task):
        return session_book_with_agenda(
            by=user, task=task, starts_at=START, agenda=f"Agenda of {task.title}"
        )

    results = race(tasks, before_insert=threading.Barrier(2), monkeypatch=monkeypatch, book=book)
    assert results == [("booked", consultant.pk), ("error", ("slot_taken", 409))]
    winner = ConsultationSession.objects.get(starts_at=START, status="booked").task
    assert [m.body.splitlines()[-1] for m in Message.objects.all()] == [f"Agenda of {winner.title}"]
