"""The queue forecast: when each accepted task is expected to start and finish, from the queue
order, the estimates, the plan's free slots and the agency's working calendar.

The default calendar is Sunday–Thursday 09:00–17:00 in Cairo, no country holidays, and one
explicit holiday on Thursday 19 March 2026 (fixtures of test_services).
"""

from __future__ import annotations

import pytest

from partnerdesk.portal import selectors, services
from partnerdesk.portal.models import Plan, Status, Task
from partnerdesk.sla.clock import agency_calendar
from tests.portal.conftest import accepted, submit
from tests.portal.test_services import (  # noqa: F401 (fixtures)
    SUNDAY_3PM,
    THURSDAY_4PM,
    WEDNESDAY_4PM,
    at,
    calendar,
    private_root,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_plan(manager, company):
    def put(name):
        services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name=name))
        return company

    return put


def queue(client_user, agent, *estimates):
    return [accepted(client_user, agent, f"Q{i}", e) for i, e in enumerate(estimates)]


def start(agent, task, now):
    return services.task_start(by=agent, task=task, now=now)


def times(company, now) -> list[tuple]:
    return [
        (f.task.title, f.expected_start, f.expected_finish)
        for f in selectors.queue_forecast(company.pk, now=now)
    ]


def test_solo_queue_waits_for_the_working_task(client_user, agent, on_plan):
    company = on_plan("Solo")
    current = accepted(client_user, agent, "Current", "2h")
    start(agent, current, at(2026, 3, 8, 9, 0))  # estimated completion Sunday 11:00
    queue(client_user, agent, "3h", "1h", "6h")
    assert times(company, at(2026, 3, 8, 10, 0)) == [
        ("Q0", at(2026, 3, 8, 11, 0), at(2026, 3, 8, 14, 0)),
        ("Q1", at(2026, 3, 8, 14, 0), at(2026, 3, 8, 15, 0)),
        ("Q2", at(2026, 3, 8, 15, 0), at(2026, 3, 9, 13, 0)),  # two hours Sunday, four Monday
    ]


def test_duo_runs_two_at_once(client_user, agent, on_plan):
    company = on_plan("Duo")
    queue(client_user, agent, "4h", "1h", "2h", "1h")
    assert times(company, SUNDAY_3PM) == [
        ("Q0", SUNDAY_3PM, at(2026, 3, 9, 11, 0)),
        ("Q1", SUNDAY_3PM, at(2026, 3, 8, 16, 0)),
        ("Q2", at(2026, 3, 8, 16, 0), at(2026, 3, 9, 10, 0)),  # the slot Q1 frees
        ("Q3", at(2026, 3, 9, 10, 0), at(2026, 3, 9, 11, 0)),
    ]


def test_team_runs_three_at_once_beside_the_working_task(client_user, agent, on_plan):
    company = on_plan("Team")
    busy = accepted(client_user, agent, "Busy", "8h")
    start(agent, busy, at(2026, 3, 8, 9, 0))  # until Sunday 17:00
    queue(client_user, agent, "1h", "1h", "1h", "1h")
    now = at(2026, 3, 8, 10, 0)
    assert times(company, now) == [
        ("Q0", now, at(2026, 3, 8, 11, 0)),
        ("Q1", now, at(2026, 3, 8, 11, 0)),
        ("Q2", at(2026, 3, 8, 11, 0), at(2026, 3, 8, 12, 0)),
        ("Q3", at(2026, 3, 8, 11, 0), at(2026, 3, 8, 12, 0)),
    ]


def test_pending_approval_is_taken_as_approved_now(client_user, agent, on_plan):
    company = on_plan("Solo")
    delivered = accepted(client_user, agent, "Delivered", "1h")
    start(agent, delivered, at(2026, 3, 8, 9, 0))
    services.task_deliver(by=agent, task=delivered, now=at(2026, 3, 8, 10, 0))
    queue(client_user, agent, "2h")
    assert times(company, SUNDAY_3PM) == [("Q0", SUNDAY_3PM, at(2026, 3, 8, 17, 0))]


def test_an_overdue_working_task_frees_its_slot_now(client_user, agent, on_plan):
    company = on_plan("Solo")
    late = accepted(client_user, agent, "Late", "1h")
    start(agent, late, at(2026, 3, 8, 9, 0))  # due Sunday 10:00
    queue(client_user, agent, "1h")
    assert times(company, SUNDAY_3PM) == [("Q0", SUNDAY_3PM, at(2026, 3, 8, 16, 0))]


def test_weekends_are_skipped(client_user, agent, on_plan):
    company = on_plan("Solo")
    queue(client_user, agent, "3h", "2h")
    assert times(company, THURSDAY_4PM) == [
        ("Q0", THURSDAY_4PM, at(2026, 3, 15, 11, 0)),
        ("Q1", at(2026, 3, 15, 11, 0), at(2026, 3, 15, 13, 0)),
    ]
    # Seen on a Saturday: nothing starts before Sunday 09:00.
    assert times(company, at(2026, 3, 14, 12, 0))[0][1:] == (
        at(2026, 3, 15, 9, 0),
        at(2026, 3, 15, 12, 0),
    )


def test_holidays_are_skipped(client_user, agent, on_plan):
    company = on_plan("Duo")
    queue(client_user, agent, "3h", "1h", "1h")
    assert times(company, WEDNESDAY_4PM) == [
        ("Q0", WEDNESDAY_4PM, at(2026, 3, 22, 11, 0)),  # Thursday 19 is a holiday
        ("Q1", WEDNESDAY_4PM, at(2026, 3, 18, 17, 0)),
        ("Q2", at(2026, 3, 22, 9, 0), at(2026, 3, 22, 10, 0)),  # the day after the weekend
    ]


def test_a_task_starting_at_closing_time_starts_the_next_working_morning(
    client_user, agent, on_plan
):
    company = on_plan("Solo")
    busy = accepted(client_user, agent, "Busy", "2h")
    start(agent, busy, at(2026, 3, 12, 15, 0))  # due Thursday 17:00, closing time
    queue(client_user, agent, "1h")
    assert times(company, at(2026, 3, 12, 15, 30)) == [
        ("Q0", at(2026, 3, 15, 9, 0), at(2026, 3, 15, 10, 0))
    ]


def test_the_forecast_follows_the_queue_order(client_user, agent, on_plan):
    company = on_plan("Solo")
    a, b = queue(client_user, agent, "1h", "2h")
    services.queue_reorder(by=client_user, company=company, task_ids=[b.pk, a.pk])
    assert times(company, SUNDAY_3PM) == [
        ("Q1", SUNDAY_3PM, at(2026, 3, 8, 17, 0)),
        ("Q0", at(2026, 3, 9, 9, 0), at(2026, 3, 9, 10, 0)),
    ]


def test_over_the_limit_after_a_downgrade_the_queue_waits_for_enough_slots(
    client_user, agent, on_plan
):
    company = on_plan("Team")
    for estimate, title in (("1h", "A"), ("2h", "B"), ("3h", "C")):
        start(agent, accepted(client_user, agent, title, estimate), at(2026, 3, 8, 9, 0))
    on_plan("Solo")  # three working, one slot: the queue moves only when all three are done
    queue(client_user, agent, "1h")
    assert times(company, at(2026, 3, 8, 9, 30)) == [
        ("Q0", at(2026, 3, 8, 12, 0), at(2026, 3, 8, 13, 0))
    ]
    on_plan("Duo")
    assert times(company, at(2026, 3, 8, 9, 30)) == [
        ("Q0", at(2026, 3, 8, 11, 0), at(2026, 3, 8, 12, 0))
    ]


def test_only_accepted_tasks_are_forecast(client_user, agent, on_plan):
    company = on_plan("Duo")
    submit(client_user, "Still in triage")
    services.task_withdraw(by=client_user, task=accepted(client_user, agent, "Withdrawn"))
    queue(client_user, agent, "1h")
    assert [f.task.title for f in selectors.queue_forecast(company.pk, now=SUNDAY_3PM)] == ["Q0"]
    assert selectors.queue_forecast(company.pk + 1000, now=SUNDAY_3PM) == []


@pytest.mark.parametrize("plan", ["Solo", "Duo", "Team"])
def test_finish_is_start_plus_the_estimate_in_working_time(client_user, agent, on_plan, plan):
    company = on_plan(plan)
    queue(client_user, agent, *["5h", "90m", "7h 15m", "2.5h", "40h", "1h"])
    cal = agency_calendar()
    forecast = selectors.queue_forecast(company.pk, now=THURSDAY_4PM)
    for f in forecast:
        worked = cal.working_time_between(f.expected_start, f.expected_finish)
        assert worked.total_seconds() == f.task.estimate_minutes * 60
        assert cal.is_working(f.expected_start)
    # Never more tasks forecast to run at once than the plan allows.
    limit = Plan.objects.get(name=plan).concurrent_tasks
    for f in forecast:
        running = [g for g in forecast if g.expected_start <= f.expected_start < g.expected_finish]
        assert len(running) <= limit


def fill_queue(client_user, agent, company, category, n):
    Task.objects.bulk_create(
        Task(
            company=company,
            title=f"Bulk {i}",
            category=category,
            status=Status.ACCEPTED,
            estimate_minutes=60 + i,
            queue_position=i + 1,
            assignee=agent,
            requested_by=client_user,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("n", [3, 30])
def test_the_forecast_takes_constant_queries(
    client_user, agent, on_plan, category, django_assert_num_queries, n
):
    company = on_plan("Duo")
    start(agent, accepted(client_user, agent, "Working", "3h"), SUNDAY_3PM)
    fill_queue(client_user, agent, company, category, n)
    selectors.queue_forecast(company.pk, now=SUNDAY_3PM)  # warm the calendar's caches
    # plan, slot holders, the configuration's stamp (the calendar and its holidays are kept by
    # the process, core.configuration), the queue with its joins
    with django_assert_num_queries(4):
        forecast = selectors.queue_forecast(company.pk, now=SUNDAY_3PM)
        assert len(forecast) == n
        for f in forecast:
            assert f.task.category.name and f.task.assignee.email
