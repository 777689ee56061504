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
from partnerdesk.portal.models import ConsultationSession, PortalSettings
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


def race(tasks, *, before_insert: threading.Barrier | None = None, monkeypatch=None):
    """Book START on each task from its own thread and connection, all released at once."""
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
            session = booking.session_book(by=user, task=task, starts_at=START)
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
