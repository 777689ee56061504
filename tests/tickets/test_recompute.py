"""Policy and calendar changes: open tickets' stored due times follow (sla records
sla.targets_changed; after the commit the tickets app's handler runs recompute_sla_for_pipelines,
inline under the ImmediateBackend); closed tickets keep theirs."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.sla import services as sla_services
from partnerdesk.sla.models import Calendar, Holiday, SlaPolicy, Unit
from partnerdesk.tickets import services
from tests.tickets import H, cairo, default_calendar, move, open_ticket, reload, ticket_pipeline

# Recomputing reacts to the sla.targets_changed event, so committed events are processed.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]

SUN_THU = {str(d): [["09:00", "17:00"]] for d in (6, 0, 1, 2, 3)}


@pytest.fixture
def recomputed(monkeypatch):
    """The pipeline ids the recompute task was run for, in order."""
    calls: list[int] = []
    original = services.recompute_open_tickets

    def spy(*, policy_pipeline_id, **kwargs):
        calls.append(policy_pipeline_id)
        return original(policy_pipeline_id=policy_pipeline_id, **kwargs)

    monkeypatch.setattr(services, "recompute_open_tickets", spy)
    return calls


def save_policy(admin, policy: SlaPolicy, **changes):
    values = {
        "name": policy.name,
        "entry_stage": policy.entry_stage,
        "calendar": policy.calendar,
        "first_response": (policy.first_response_amount, policy.first_response_unit),
        "resolution": (policy.resolution_amount, policy.resolution_unit),
        "resolution_from": policy.resolution_from,
        "first_response_by": policy.first_response_by,
        "due_soon_percent": policy.due_soon_percent,
    }
    values.update(changes)
    return sla_services.policy_save(by=admin, pipeline=policy.pipeline, policy=policy, **values)


def save_default_calendar(admin, **changes):
    cal = default_calendar()
    values = {
        "name": cal.name,
        "timezone": cal.timezone,
        "week": cal.week,
        "holiday_country": cal.holiday_country,
        "holiday_subdivision": cal.holiday_subdivision,
        "is_default": True,
    }
    values.update(changes)
    return sla_services.calendar_save(by=admin, calendar=cal, **values)


def test_policy_save_enqueues_the_recompute_on_commit(
    admin, agent, recomputed, django_capture_on_commit_callbacks
):
    ticket = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    policy = SlaPolicy.objects.get(pipeline=ticket_pipeline("Email Creation"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        save_policy(admin, policy, resolution=(24 * 60, Unit.CALENDAR))
    # sla says what changed with an event; the tickets app recomputes after the commit.
    event = Event.objects.filter(kind="sla.targets_changed").latest("pk")
    assert event.data == {"pipeline_ids": [ticket.pipeline_id]}
    assert recomputed == []  # nothing before the commit
    assert reload(ticket).resolution_due_at == cairo(2026, 2, 3, 10, 0)
    for callback in callbacks:
        callback()
    assert recomputed == [ticket.pipeline_id]
    assert reload(ticket).resolution_due_at == cairo(2026, 2, 2, 10, 0)


def test_policy_change_moves_open_tickets_not_closed_ones(
    admin, agent, django_capture_on_commit_callbacks
):
    opened = cairo(2026, 2, 1, 10, 0)
    open_one = open_ticket(agent, "Email Creation", now=opened)
    closed = open_ticket(agent, "Email Creation", now=opened)
    move(closed, "Emails Delivered", by=agent, now=cairo(2026, 2, 2, 12, 0))  # met (48 h)
    other = open_ticket(agent, "Website Creation", now=opened)
    policy = SlaPolicy.objects.get(pipeline=ticket_pipeline("Email Creation"))
    with django_capture_on_commit_callbacks(execute=True):
        save_policy(admin, policy, resolution=(8 * 60, Unit.WORKING_TIME), due_soon_percent=50)
    open_one = reload(open_one)
    # 8 working hours from Sunday 10:00: Sunday 7 h + Monday 1 h.
    assert open_one.resolution_due_at == cairo(2026, 2, 2, 10, 0)
    assert open_one.resolution_warn_at == cairo(2026, 2, 1, 14, 0)
    closed = reload(closed)
    assert closed.resolution_due_at == cairo(2026, 2, 3, 10, 0)
    assert closed.resolution_met is True
    assert reload(other).resolution_due_at == opened + 14 * 24 * H


def test_new_entry_stage_policy_takes_over_its_open_tickets(
    admin, agent, recomputed, django_capture_on_commit_callbacks
):
    pipeline = ticket_pipeline("Email Related Requests")
    opened = cairo(2026, 2, 1, 10, 0)
    cancel = open_ticket(agent, "Email Related Requests", "Cancel Emails", now=opened)
    licence = open_ticket(agent, "Email Related Requests", "Add Email Licence", now=opened)
    with django_capture_on_commit_callbacks(execute=True):
        policy = sla_services.policy_save(
            by=admin,
            pipeline=pipeline,
            name="Cancellations",
            entry_stage=pipeline.stages.get(name="Cancel Emails"),
            first_response=(2 * 60, Unit.WORKING_TIME),
            resolution=(1, Unit.WORKING_DAYS),
        )
    assert recomputed == [pipeline.pk]
    cancel, licence = reload(cancel), reload(licence)
    assert cancel.sla_policy_id == policy.pk
    assert cancel.first_response_due_at == cairo(2026, 2, 1, 12, 0)
    assert cancel.resolution_due_at == cairo(2026, 2, 2, 17, 0)
    assert licence.sla_policy.entry_stage_id is None
    assert licence.resolution_due_at == opened + 48 * H


def test_policy_delete_clears_open_tickets_sla(admin, agent, django_capture_on_commit_callbacks):
    opened = cairo(2026, 2, 1, 10, 0)
    open_one = open_ticket(agent, "Email Creation", now=opened)
    closed = open_ticket(agent, "Email Creation", now=opened)
    move(closed, "Emails Delivered", by=agent, now=cairo(2026, 2, 4, 12, 0))  # missed
    with django_capture_on_commit_callbacks(execute=True):
        sla_services.policy_delete(
            by=admin, policy=SlaPolicy.objects.get(pipeline=ticket_pipeline("Email Creation"))
        )
    open_one = reload(open_one)
    assert open_one.sla_policy_id is None and open_one.resolution_due_at is None
    closed = reload(closed)
    assert closed.resolution_due_at == cairo(2026, 2, 3, 10, 0)
    assert closed.resolution_met is False


def test_calendar_week_change_moves_working_day_targets(
    admin, agent, recomputed, django_capture_on_commit_callbacks
):
    thursday = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 5, 16, 0))
    closed = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 5, 16, 0))
    move(closed, "Resolved By Support", by=agent, now=cairo(2026, 2, 5, 16, 30))
    email = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 5, 16, 0))
    assert thursday.first_response_due_at == cairo(2026, 2, 8, 17, 0)
    with django_capture_on_commit_callbacks(execute=True):
        save_default_calendar(admin, week={**SUN_THU, "4": [["09:00", "13:00"]]})  # + Friday
    assert set(recomputed) == set(
        SlaPolicy.objects.values_list("pipeline_id", flat=True)
    )  # every policy uses the default calendar
    assert reload(thursday).first_response_due_at == cairo(2026, 2, 6, 13, 0)
    assert reload(closed).first_response_due_at == cairo(2026, 2, 8, 17, 0)
    assert reload(email).resolution_due_at == cairo(2026, 2, 7, 16, 0)  # calendar time


def test_holiday_add_and_remove_move_the_due_time(admin, agent, django_capture_on_commit_callbacks):
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 5, 16, 0))
    assert ticket.first_response_due_at == cairo(2026, 2, 8, 17, 0)
    cal = default_calendar()
    with django_capture_on_commit_callbacks(execute=True):
        holiday = sla_services.holiday_add(
            by=admin, calendar=cal, date=dt.date(2026, 2, 8), name="Agency day off"
        )
    assert reload(ticket).first_response_due_at == cairo(2026, 2, 9, 17, 0)
    with django_capture_on_commit_callbacks(execute=True):
        sla_services.holiday_remove(by=admin, holiday=holiday)
    assert reload(ticket).first_response_due_at == cairo(2026, 2, 8, 17, 0)
    assert not Holiday.objects.exists()


def test_policy_calendar_change_only_recomputes_its_pipelines(
    admin, agent, recomputed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rome = sla_services.calendar_save(
            by=admin,
            name="Rome office",
            timezone="Europe/Rome",
            week={str(d): [["09:00", "18:00"]] for d in range(5)},
            holiday_country="IT",
        )
    assert recomputed == []  # a new non-default calendar is used by nobody yet
    bug = SlaPolicy.objects.get(pipeline=ticket_pipeline("Bug Investigation"))
    with django_capture_on_commit_callbacks(execute=True):
        save_policy(admin, bug, calendar=rome)
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 6, 11, 0))  # Friday
    # Friday 10:00 in Rome is after 09:00: counting begins on Monday, due 18:00 Rome = 19:00 Cairo
    assert ticket.first_response_due_at == cairo(2026, 2, 9, 19, 0)
    recomputed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sla_services.calendar_save(
            by=admin,
            calendar=Calendar.objects.get(pk=rome.pk),
            name="Rome office",
            timezone="Europe/Rome",
            week={str(d): [["08:00", "12:00"]] for d in range(5)},
            holiday_country="IT",
        )
    assert recomputed == [bug.pipeline_id]
    assert reload(ticket).first_response_due_at == cairo(2026, 2, 9, 13, 0)


def test_new_default_calendar_recomputes_every_pipeline(
    admin, agent, recomputed, django_capture_on_commit_callbacks
):
    ticket = open_ticket(agent, "Bug Investigation", now=cairo(2026, 2, 5, 16, 0))
    with django_capture_on_commit_callbacks(execute=True):
        sla_services.calendar_save(
            by=admin,
            name="Seven days",
            timezone="Africa/Cairo",
            week={str(d): [["09:00", "17:00"]] for d in range(7)},
            is_default=True,
        )
    assert default_calendar().name == "Seven days"
    assert set(recomputed) == set(
        ticket_pipeline(n).pk
        for n in (
            "Email Creation",
            "Email Related Requests",
            "Domain Related Requests",
            "Bug Investigation",
            "Website Creation",
        )
    )
    assert reload(ticket).first_response_due_at == cairo(2026, 2, 6, 17, 0)


def test_only_admins_change_policies_and_calendars(agent, manager):
    policy = SlaPolicy.objects.get(pipeline=ticket_pipeline("Email Creation"))
    for user in (agent, manager):
        with pytest.raises(DomainError) as info:
            save_policy(user, policy, resolution=(60, Unit.CALENDAR))
        assert info.value.status == 403
        with pytest.raises(DomainError):
            sla_services.holiday_add(by=user, calendar=default_calendar(), date=dt.date(2026, 3, 3))


def test_recompute_task_succeeds_and_counts_open_tickets(agent):
    """The task's own failure would be silent (the backend stores it): check its status."""
    from django.tasks import TaskResultStatus

    from partnerdesk.tickets.tasks import recompute_sla_for_pipelines

    pipeline = ticket_pipeline("Email Creation")
    open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    closed = open_ticket(agent, "Email Creation", now=cairo(2026, 2, 1, 10, 0))
    type(closed).objects.filter(pk=closed.pk).update(closed_at=cairo(2026, 2, 2, 10, 0))
    result = recompute_sla_for_pipelines.enqueue(pipeline_ids=[pipeline.pk])
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == 1
    assert services.recompute_open_tickets(policy_pipeline_id=pipeline.pk) == 1
