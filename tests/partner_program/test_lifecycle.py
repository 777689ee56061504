"""The managed relationship's lifecycle, the daily job's alerts and its once-a-day schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.core import periodic
from partnerdesk.core.models import PeriodicRun
from partnerdesk.notifications.models import Notification
from partnerdesk.partner_program import jobs, points, services
from partnerdesk.partner_program.models import EndReason, Relationship, RelationshipKind

from .conftest import TODAY, act, connect, noon, subscribe

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def managed(account):
    return list(
        Relationship.objects.filter(account=account, kind=RelationshipKind.MANAGED)
        .order_by("started_on")
        .values_list("started_on", "ended_on", "end_reason", "automatic")
    )


def test_the_first_qualifying_activity_starts_the_managed_relationship(manager, agent, account):
    act(manager, account, agent, TODAY - 10 * DAY)
    act(manager, account, agent, TODAY - 3 * DAY)
    assert managed(account) == [(TODAY - 10 * DAY, None, "", True)]
    # An earlier activity entered late moves the start back.
    act(manager, account, agent, TODAY - 40 * DAY)
    assert managed(account) == [(TODAY - 40 * DAY, None, "", True)]


def test_an_old_activity_makes_a_past_period_that_ended_60_days_after_it(manager, agent, account):
    first = TODAY - 200 * DAY
    act(manager, account, agent, first)
    assert managed(account) == [(first, first + 61 * DAY, EndReason.LAPSED, True)]
    # A later activity inside that period extends it; one after it starts a new one.
    act(manager, account, agent, first + 30 * DAY)
    assert managed(account) == [(first, first + 91 * DAY, EndReason.LAPSED, True)]
    act(manager, account, agent, TODAY - DAY)
    assert managed(account)[-1] == (TODAY - DAY, None, "", True)
    assert len(managed(account)) == 2


def test_an_activity_entered_late_between_two_periods_joins_them(manager, agent, account):
    first, second = TODAY - 300 * DAY, TODAY - 200 * DAY
    act(manager, account, agent, first)
    act(manager, account, agent, second)
    assert managed(account) == [
        (first, first + 61 * DAY, EndReason.LAPSED, True),
        (second, second + 61 * DAY, EndReason.LAPSED, True),
    ]
    act(manager, account, agent, first + 60 * DAY)  # its 60 days reach the second period
    assert managed(account) == [(first, second + 61 * DAY, EndReason.LAPSED, True)]


def test_the_relationship_ends_60_days_after_the_last_activity(
    manager, agent, admin, account, set_today
):
    subscribe(manager, account)
    connect(manager, account, agent)
    last = TODAY
    act(manager, account, agent, last)
    set_today(last + 60 * DAY)
    jobs.daily()
    assert managed(account) == [(last, None, "", True)]
    assert points.totals(last + 60 * DAY).managed > 0
    set_today(last + 61 * DAY)
    result = jobs.daily()
    assert managed(account) == [(last, last + 61 * DAY, EndReason.LAPSED, True)]
    assert result["ended"] and result["ended_alerts"] == 2  # the admin and the manager
    assert points.totals(last + 61 * DAY).managed == 0
    # The next day (or a second run) ends nothing more and alerts nobody again.
    set_today(last + 62 * DAY)
    assert jobs.daily()["ended_alerts"] == 0
    titles = list(Notification.objects.filter(user=admin).values_list("title", flat=True))
    assert titles.count("Managed relationship ended: Acme Dental") == 1


def test_disconnecting_employees_does_not_end_the_relationship(manager, agent, account):
    connect(manager, account, agent)
    act(manager, account, agent, TODAY - 5 * DAY)
    connect(manager, account, agent, complete=False)
    jobs.daily()
    assert managed(account) == [(TODAY - 5 * DAY, None, "", True)]
    assert points.totals(TODAY).managed == 0  # but no credit while nobody is connected


def test_a_lapse_alert_after_45_days_without_activity(manager, agent, admin, account, set_today):
    act(manager, account, agent, TODAY)
    set_today(TODAY + 44 * DAY)
    assert jobs.daily()["lapsing_alerts"] == 0
    set_today(TODAY + 45 * DAY)
    assert jobs.daily()["lapsing_alerts"] == 2
    assert jobs.daily()["lapsing_alerts"] == 0  # once per lapse
    note = Notification.objects.get(user=admin, kind="partner")
    assert note.title == "No qualifying activity for 45 days: Acme Dental"
    assert (TODAY + 61 * DAY).isoformat() in note.body


def test_certification_expiry_alert_within_30_days(manager, agent, admin, set_today):
    services.certification_add(
        by=manager,
        employee=agent,
        name="Inbound Marketing",
        issued_on=dt.date(2024, 1, 1),
        expires_on=TODAY + 31 * DAY,
    )
    assert jobs.daily()["certification_alerts"] == 0
    set_today(TODAY + DAY)
    assert jobs.daily()["certification_alerts"] == 3  # admin, manager and the holder
    assert Notification.objects.filter(user=agent, kind="partner").count() == 1


def test_the_daily_job_is_enqueued_once_per_day_with_several_schedulers(monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "daily", lambda: ran.append(1) or {})
    job = next(j for j in periodic.JOBS if j.name == "partner_program_daily")
    now = noon(TODAY)
    assert periodic.enqueue_due_jobs(now=now, jobs=[job]) == ["partner_program_daily"]
    assert periodic.enqueue_due_jobs(now=now + dt.timedelta(hours=5), jobs=[job]) == []
    assert periodic.enqueue_due_jobs(now=now + DAY, jobs=[job]) == ["partner_program_daily"]
    assert ran == [1, 1]
    assert PeriodicRun.objects.filter(job="partner_program_daily").count() == 2
