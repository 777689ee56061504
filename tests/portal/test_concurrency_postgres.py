"""The plan-slot rule and the queue under real concurrency, on PostgreSQL.

Each thread has its own database connection (Django's connections are per thread) and all of
them are released at once by a barrier, so the requests really race. Skipped on SQLite, whose
writers are serialised anyway (IMMEDIATE transactions). Run with:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/svc .venv/bin/python -m pytest \
        tests/portal/test_concurrency_postgres.py -q -p no:cacheprovider
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.notifications.models import Notification
from partnerdesk.portal import services
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import Status, Task
from tests.portal.conftest import accepted, submit
from tests.portal.test_services import at, calendar, private_root  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = at(2026, 3, 8, 10, 0)


@pytest.fixture(autouse=True)
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency tests run on PostgreSQL")


def race(calls) -> list[tuple[str, object]]:
    """Run every callable in its own thread, all released together; returns per call
    ("ok", result), ("error", DomainError code) or ("crash", repr)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=60)
            results[index] = ("ok", call())
        except DomainError as exc:
            results[index] = ("error", exc.code)
        except Exception as exc:  # reported by the test
            results[index] = ("crash", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    crashes = [r for r in results if r is None or r[0] == "crash"]
    assert not crashes, crashes
    return results


def statuses(company) -> Counter:
    return Counter(Task.objects.filter(company=company).values_list("status", flat=True))


def assert_queue_is_dense(company) -> None:
    positions = sorted(
        Task.objects.filter(company=company, status=Status.ACCEPTED).values_list(
            "queue_position", flat=True
        )
    )
    assert positions == list(range(1, len(positions) + 1))


def test_50_concurrent_starts_for_a_duo_client_leave_exactly_2_working(client_user, agent, on_duo):
    tasks = [accepted(client_user, agent, f"T{i}", "2h") for i in range(10)]
    results = race(
        [
            lambda task=tasks[i % 10]: services.task_start(by=agent, task=task, now=NOW)
            for i in range(50)
        ]
    )
    outcomes = Counter(r[0] if r[0] == "ok" else r[1] for r in results)
    assert outcomes["ok"] == 2, outcomes
    assert set(outcomes) <= {"ok", "no_free_slot", "invalid_status"}, outcomes
    assert statuses(on_duo) == {Status.WORKING: 2, Status.ACCEPTED: 8}
    assert_queue_is_dense(on_duo)
    for task in Task.objects.filter(company=on_duo, status=Status.WORKING):
        assert task.queue_position is None and task.estimated_completion is not None


@pytest.mark.parametrize("round_", range(3))
def test_an_approval_racing_starts_never_exceeds_the_plan(client_user, agent, on_duo, round_):
    delivered = services.task_deliver(
        by=agent,
        task=services.task_start(by=agent, task=accepted(client_user, agent, "Done"), now=NOW),
        now=NOW,
    )
    services.task_start(by=agent, task=accepted(client_user, agent, "Busy"), now=NOW)
    queued = [accepted(client_user, agent, f"Q{i}", "1h") for i in range(4)]
    calls = [lambda: services.task_approve(by=client_user, task=delivered, now=NOW)]
    calls += [
        lambda task=queued[i % 4]: services.task_start(by=agent, task=task, now=NOW)
        for i in range(12)
    ]
    random.Random(round_).shuffle(calls)
    results = race(calls)
    assert set(r[1] for r in results if r[0] == "error") <= {"no_free_slot", "invalid_status"}
    counts = statuses(on_duo)
    assert counts[Status.COMPLETE] == 1
    assert counts[Status.WORKING] + counts[Status.PENDING_APPROVAL] == 2, counts
    assert counts[Status.ACCEPTED] == 3
    assert_queue_is_dense(on_duo)


def test_concurrent_reorders_and_withdrawals_keep_the_queue_consistent(client_user, agent, on_duo):
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(10)]
    ids = [t.pk for t in tasks]
    rng = random.Random(7)
    orders = [rng.sample(ids, len(ids)) for _ in range(20)]
    calls = [
        lambda order=order: services.queue_reorder(by=client_user, company=on_duo, task_ids=order)
        for order in orders
    ]
    calls += [
        lambda task=tasks[3]: services.task_withdraw(by=client_user, task=task),
        lambda task=tasks[3]: services.task_withdraw(by=client_user, task=task),
    ]
    results = race(calls)
    reorders, withdrawals = results[:20], results[20:]
    assert sorted(r[0] if r[0] == "ok" else r[1] for r in withdrawals) == [
        "invalid_status",
        "ok",
    ]
    assert {r[0] if r[0] == "ok" else r[1] for r in reorders} <= {"ok", "queue_changed"}
    assert_queue_is_dense(on_duo)
    final = list(
        Task.objects.filter(company=on_duo, status=Status.ACCEPTED)
        .order_by("queue_position")
        .values_list("pk", flat=True)
    )
    # The final order is one of the submitted orders (the last to commit), minus the
    # withdrawn task, or the original order if every reorder lost to the withdrawal.
    candidates = [[pk for pk in order if pk != tasks[3].pk] for order in [ids, *orders]]
    assert final in candidates


def test_concurrent_accepts_number_the_queue_without_gaps_or_duplicates(client_user, agent, on_duo):
    tasks = [submit(client_user, f"R{i}") for i in range(20)]
    results = race(
        [
            lambda task=task: services.task_accept(by=agent, task=task, estimate_minutes="1h")
            for task in tasks
        ]
    )
    assert all(r[0] == "ok" for r in results)
    assert_queue_is_dense(on_duo)
    assert statuses(on_duo) == {Status.ACCEPTED: 20}


def test_concurrent_reminder_sweeps_send_each_reminder_once(client_user, agent, manager, on_duo):
    from tests.portal.test_reminders import FIRST, delivered

    tasks = [delivered(client_user, agent, f"D{i}") for i in range(2)]
    results = race([lambda: services.send_approval_reminders(now=FIRST) for _ in range(10)])
    assert sum(r[1] for r in results) == 2
    for task in tasks:
        task.refresh_from_db()
        assert task.reminders_sent == 1
    assert (
        Notification.objects.filter(user=client_user, dedupe_key__contains=":reminder:").count()
        == 2
    )


@pytest.mark.parametrize("round_", range(3))
def test_messages_racing_the_approval_are_posted_before_it_or_refused(
    client_user, agent, on_duo, round_
):
    """message_post reads the status under a lock on the task: a message either commits before
    the task closes or is refused with task_closed, never posted on the closed task."""
    delivered = services.task_deliver(
        by=agent,
        task=services.task_start(by=agent, task=accepted(client_user, agent, "Done"), now=NOW),
        now=NOW,
    )
    calls = [lambda: services.task_approve(by=client_user, task=delivered, now=NOW)]
    calls += [
        lambda who=(agent, client_user)[i % 2]: services.message_post(
            by=who, task=delivered, body="One more thing"
        )
        for i in range(8)
    ]
    random.Random(round_).shuffle(calls)
    results = race(calls)
    assert {r[1] for r in results if r[0] == "error"} <= {"task_closed"}
    events = Event.objects.for_subject(delivered)
    approved = events.get(kind=PortalEvent.TASK_APPROVED).pk
    posted = list(events.filter(kind=PortalEvent.TASK_MESSAGE).values_list("pk", flat=True))
    assert len(posted) == sum(1 for r in results if r[0] == "ok") - 1
    assert all(pk < approved for pk in posted), (posted, approved)
