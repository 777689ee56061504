"""Approval reminders: a client who has not approved delivered work is reminded after 2 and 5
working days (PortalSettings), each reminder once however often the job runs, none after the
client answers. The periodic job is registered and runs through its task.

Calendar (see test_services): Sunday–Thursday 09:00–17:00 Cairo, Thursday 19 March 2026 off.
"""

from __future__ import annotations

import pytest
from django.utils.module_loading import import_string

from partnerdesk.core import clock, periodic
from partnerdesk.core.models import Event
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.portal import services
from partnerdesk.portal.models import PortalSettings, Status
from partnerdesk.portal.tasks import approval_reminders_task
from tests.portal.conftest import accepted
from tests.portal.test_services import at, calendar, private_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

DELIVERED = at(2026, 3, 8, 12, 0)  # Sunday noon
FIRST = at(2026, 3, 10, 17, 0)  # the end of the 2nd working day after (Monday, Tuesday)
SECOND = at(2026, 3, 15, 17, 0)  # the 5th: Mon, Tue, Wed, Thu, Sun


def delivered(client_user, agent, title="Report", now=DELIVERED):
    task = accepted(client_user, agent, title, "1h")
    task = services.task_start(by=agent, task=task, now=at(2026, 3, 8, 9, 0))
    return services.task_deliver(by=agent, task=task, now=now)


def reminders(user, task=None) -> list[str]:
    qs = Notification.objects.filter(user=user, kind=Kind.TASK, dedupe_key__contains=":reminder:")
    if task is not None:
        qs = qs.filter(dedupe_key__startswith=f"task:{task.pk}:")
    return sorted(k.rsplit(":", 1)[1] for k in qs.values_list("dedupe_key", flat=True))


def test_reminders_after_two_and_five_working_days_each_once(client_user, agent, on_duo):
    task = delivered(client_user, agent)
    assert (task.next_reminder_at, task.reminders_sent) == (FIRST, 0)
    assert services.send_approval_reminders(now=at(2026, 3, 10, 16, 59)) == 0
    assert services.send_approval_reminders(now=FIRST) == 1
    assert services.send_approval_reminders(now=FIRST) == 0  # the job ran twice
    assert services.send_approval_reminders(now=at(2026, 3, 12, 12, 0)) == 0
    task.refresh_from_db()
    assert (task.reminders_sent, task.next_reminder_at) == (1, SECOND)
    assert reminders(client_user, task) == ["1"]
    assert services.send_approval_reminders(now=SECOND) == 1
    assert services.send_approval_reminders(now=SECOND) == 0
    task.refresh_from_db()
    assert (task.reminders_sent, task.next_reminder_at) == (2, None)
    assert services.send_approval_reminders(now=at(2026, 6, 1, 12, 0)) == 0  # no third
    assert reminders(client_user, task) == ["1", "2"]
    events = Event.objects.filter(kind="task.approval_reminded", subject_id=task.pk)
    assert sorted(e.data["number"] for e in events) == [1, 2]
    note = Notification.objects.filter(user=client_user, dedupe_key__contains=":reminder:").first()
    assert "Report" in note.title and note.url.endswith(f"/{task.pk}/")


def test_holidays_do_not_count(client_user, agent, on_duo):
    task = delivered(client_user, agent, now=at(2026, 3, 16, 10, 0))  # Monday
    assert task.next_reminder_at == at(2026, 3, 18, 17, 0)  # Tuesday, Wednesday
    services.send_approval_reminders(now=at(2026, 3, 18, 17, 0))
    task.refresh_from_db()
    # Tuesday, Wednesday, (Thursday 19 is off, then the weekend) Sunday, Monday, Tuesday.
    assert task.next_reminder_at == at(2026, 3, 24, 17, 0)


def test_no_reminder_after_approval(client_user, agent, on_duo):
    task = delivered(client_user, agent)
    services.task_approve(by=client_user, task=task, now=at(2026, 3, 9, 10, 0))
    assert services.send_approval_reminders(now=at(2026, 6, 1, 12, 0)) == 0
    assert reminders(client_user) == []


def test_no_reminder_after_approval_between_two(client_user, agent, on_duo):
    task = delivered(client_user, agent)
    services.send_approval_reminders(now=FIRST)
    services.task_approve(by=client_user, task=task, now=at(2026, 3, 11, 10, 0))
    task.refresh_from_db()
    assert task.next_reminder_at is None
    assert services.send_approval_reminders(now=SECOND) == 0
    assert reminders(client_user, task) == ["1"]


def test_changes_requested_stop_the_reminders_and_a_new_delivery_restarts_them(
    client_user, agent, on_duo
):
    task = delivered(client_user, agent)
    services.send_approval_reminders(now=FIRST)
    services.task_request_changes(by=client_user, task=task, message="Please add totals")
    assert services.send_approval_reminders(now=SECOND) == 0
    task = services.task_deliver(by=agent, task=task, now=at(2026, 3, 16, 10, 0))
    assert (task.reminders_sent, task.next_reminder_at) == (0, at(2026, 3, 18, 17, 0))
    assert services.send_approval_reminders(now=at(2026, 3, 18, 17, 0)) == 1
    # Two deliveries, a first reminder for each.
    assert reminders(client_user, task) == ["1", "1"]


def test_the_reminder_days_are_configurable(admin, client_user, agent, on_duo):
    services.settings_save(
        by=admin, auto_start_next=True, approval_reminder_days=[1, 3, 4], consultants=None
    )
    task = delivered(client_user, agent)
    assert task.next_reminder_at == at(2026, 3, 9, 17, 0)
    for now in (at(2026, 3, 9, 17, 0), at(2026, 3, 11, 17, 0), at(2026, 3, 12, 17, 0)):
        assert services.send_approval_reminders(now=now) == 1
    assert services.send_approval_reminders(now=at(2026, 4, 1, 12, 0)) == 0
    assert reminders(client_user, task) == ["1", "2", "3"]


def test_no_reminders_when_none_are_configured(admin, client_user, agent, on_duo):
    PortalSettings.objects.update(approval_reminder_days=[])
    task = delivered(client_user, agent)
    assert task.next_reminder_at is None
    assert services.send_approval_reminders(now=at(2026, 6, 1, 12, 0)) == 0


def test_a_late_sweep_sends_only_the_latest_reminder_due(client_user, agent, on_duo):
    task = delivered(client_user, agent)
    assert services.send_approval_reminders(now=at(2026, 3, 16, 9, 0)) == 1
    assert services.send_approval_reminders(now=at(2026, 3, 16, 9, 15)) == 0
    task.refresh_from_db()
    assert (task.reminders_sent, task.next_reminder_at) == (2, None)
    assert reminders(client_user, task) == ["2"]


def test_one_sweep_reminds_every_client_due(client_user, other_client, agent, manager, on_duo, duo):
    services.subscription_set(by=manager, company=other_client.company, plan=duo)
    mine = delivered(client_user, agent, "Mine")
    theirs = delivered(other_client, agent, "Theirs")
    delivered(client_user, agent, "Later", now=at(2026, 3, 10, 10, 0))
    assert services.send_approval_reminders(now=FIRST) == 2
    assert reminders(client_user, mine) == ["1"]
    assert reminders(other_client, theirs) == ["1"]
    assert reminders(client_user) == ["1"]  # not about "Later", nor the other company's task


def test_the_periodic_job_is_registered_and_runs(
    monkeypatch, client_user, agent, on_duo, django_capture_on_commit_callbacks
):
    job = next(j for j in periodic.JOBS if j.name == "approval_reminders")
    assert import_string(job.task) is approval_reminders_task
    task = delivered(client_user, agent)
    monkeypatch.setattr(clock, "now", lambda: FIRST)
    with django_capture_on_commit_callbacks(execute=True):
        assert periodic.enqueue_due_jobs(now=FIRST, jobs=[job]) == ["approval_reminders"]
        # The same period again: not enqueued twice.
        assert periodic.enqueue_due_jobs(now=FIRST, jobs=[job]) == []
    task.refresh_from_db()
    assert task.reminders_sent == 1
    assert reminders(client_user, task) == ["1"]
    # The task itself, run directly, finds nothing more to send.
    result = approval_reminders_task.enqueue()
    assert result.return_value == 0
    assert task.status == Status.PENDING_APPROVAL
