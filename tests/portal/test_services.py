"""The task lifecycle services: every transition, every refusal (who, which status, which code),
plans and their history, the plan-slot rule, auto-start, notifications, events, attachments.

Times are fixed: the agency's default calendar is set to Sunday–Thursday 09:00–17:00 in Cairo,
with no country holidays and one explicit holiday (Thursday 19 March 2026), and the services
get an explicit ``now``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.functional import empty

from partnerdesk.accounts.models import Role
from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.portal import models as portal_models
from partnerdesk.portal import selectors, services
from partnerdesk.portal.models import (
    Attachment,
    Message,
    Plan,
    PortalSettings,
    Status,
    Subscription,
    Task,
    TaskCategory,
    WaitingOn,
)
from partnerdesk.sla.models import Calendar, Holiday
from tests.conftest import make_user
from tests.portal.conftest import accepted, submit

pytestmark = pytest.mark.django_db

CAIRO = ZoneInfo("Africa/Cairo")
SUNDAY_3PM = dt.datetime(2026, 3, 8, 15, 0, tzinfo=CAIRO)
THURSDAY_4PM = dt.datetime(2026, 3, 12, 16, 0, tzinfo=CAIRO)
WEDNESDAY_4PM = dt.datetime(2026, 3, 18, 16, 0, tzinfo=CAIRO)  # the next day is a holiday
WEEK = {str(day): [["09:00", "17:00"]] for day in (6, 0, 1, 2, 3)}  # Sunday–Thursday


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CAIRO)


@pytest.fixture(autouse=True)
def calendar(db):
    """The agency's default calendar, made deterministic (no country holiday data)."""
    cal = Calendar.objects.get(is_default=True)
    cal.timezone, cal.week, cal.holiday_country, cal.holiday_subdivision = (
        "Africa/Cairo",
        WEEK,
        "",
        "",
    )
    cal.save()
    Holiday.objects.create(calendar=cal, date=dt.date(2026, 3, 19), name="Agency day off")
    return cal


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Attachments go to a fresh directory (the lazy storage is reset around the test)."""
    root = tmp_path / "private"
    settings.PARTNERDESK_PRIVATE_ROOT = root
    portal_models.private_storage._wrapped = empty
    yield root
    portal_models.private_storage._wrapped = empty


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def code_of(exc_info) -> str:
    return exc_info.value.code


def kinds(task) -> list[str]:
    return list(
        Event.objects.for_subject(task).order_by("occurred_at", "id").values_list("kind", flat=True)
    )


def task_notes(user, task) -> list[str]:
    """The dedupe keys of the lifecycle notifications ``user`` got about ``task``."""
    prefix = f"task:{task.pk}:"
    return sorted(
        key.removeprefix(prefix)
        for key in Notification.objects.filter(
            user=user, kind=Kind.TASK, dedupe_key__startswith=prefix
        ).values_list("dedupe_key", flat=True)
    )


def working(client_user, agent, title="Working task", estimate="3h", now=SUNDAY_3PM):
    return services.task_start(
        by=agent, task=accepted(client_user, agent, title, estimate), now=now
    )


def pending(client_user, agent, title="Delivered task", now=SUNDAY_3PM):
    return services.task_deliver(
        by=agent, task=working(client_user, agent, title, now=now), now=now
    )


def upload(name="brief.pdf", content=b"%PDF-1.4 demo", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# ---------------------------------------------------------------- plans and their history


def test_a_company_has_one_current_plan_and_keeps_its_history(manager, company, solo, duo):
    first = services.subscription_set(by=manager, company=company, plan=solo, now=at(2026, 1, 1))
    assert services.current_plan(company.pk) == solo
    again = services.subscription_set(by=manager, company=company, plan=solo, now=at(2026, 1, 2))
    assert again.pk == first.pk  # the same plan again changes nothing
    services.subscription_set(by=manager, company=company, plan=duo, now=at(2026, 2, 1))
    history = list(Subscription.objects.filter(company=company).order_by("started_at"))
    assert [(s.plan.name, s.ended_at) for s in history] == [
        ("Solo", at(2026, 2, 1)),
        ("Duo", None),
    ]
    assert history[1].changed_by == manager
    assert services.current_plan(company.pk) == duo
    changes = Event.objects.filter(kind="company.plan_changed", company_id=company.pk)
    assert [(e.data["previous"], e.data["plan"]) for e in changes.order_by("id")] == [
        (None, "Solo"),
        ("Solo", "Duo"),
    ]


def test_the_database_refuses_a_second_current_plan(manager, company, solo, duo):
    services.subscription_set(by=manager, company=company, plan=solo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(company=company, plan=duo, started_at=at(2026, 1, 1))
    # A closed row beside the open one is history, and allowed.
    Subscription.objects.create(
        company=company, plan=duo, started_at=at(2025, 1, 1), ended_at=at(2025, 6, 1)
    )


@pytest.mark.parametrize("who", ["agent", "client_user"])
def test_only_managers_and_admins_change_a_plan(request, who, company, solo):
    with pytest.raises(DomainError) as exc:
        services.subscription_set(by=request.getfixturevalue(who), company=company, plan=solo)
    assert (exc.value.code, exc.value.status) == ("forbidden", 403)
    assert not Subscription.objects.exists()


def test_a_plan_is_required(manager, company):
    with pytest.raises(DomainError) as exc:
        services.subscription_set(by=manager, company=company, plan=None)
    assert (exc.value.code, exc.value.field) == ("required", "plan")


def test_a_larger_plan_starts_as_many_queued_tasks_as_it_frees(
    manager, client_user, agent, company, solo
):
    services.subscription_set(by=manager, company=company, plan=solo)
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(4)]
    services.task_start(by=agent, task=tasks[0], now=SUNDAY_3PM)
    services.subscription_set(
        by=manager, company=company, plan=Plan.objects.get(name="Team"), now=SUNDAY_3PM
    )
    states = {t.title: t.status for t in Task.objects.filter(company=company)}
    assert states == {
        "T0": Status.WORKING,
        "T1": Status.WORKING,
        "T2": Status.WORKING,
        "T3": Status.ACCEPTED,
    }
    assert Task.objects.get(title="T3").queue_position == 1


def test_plan_save_validates_and_is_for_admins(admin, manager):
    with pytest.raises(DomainError) as exc:
        services.plan_save(by=manager, name="Quad", concurrent_tasks=4)
    assert exc.value.code == "forbidden"
    for name, limit, code in [
        ("", 2, "required"),
        ("duo", 2, "duplicate"),
        ("Quad", 0, "invalid_limit"),
        ("Quad", 51, "invalid_limit"),
        ("Quad", "four", "invalid_limit"),
        ("Quad", math.inf, "invalid_limit"),
        ("Quad", None, "invalid_limit"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.plan_save(by=admin, name=name, concurrent_tasks=limit)
        assert exc.value.code == code, (name, limit)
    plan = services.plan_save(by=admin, name=" Quad ", concurrent_tasks="4")
    assert (plan.name, plan.concurrent_tasks) == ("Quad", 4)
    plan = services.plan_save(by=admin, name="Quad", concurrent_tasks=5, plan=plan)
    assert Plan.objects.get(name="Quad").concurrent_tasks == 5


def test_settings_save_validates_the_reminder_days(admin, manager):
    with pytest.raises(DomainError) as exc:
        services.settings_save(
            by=manager, auto_start_next=True, approval_reminder_days=[2], consultants=None
        )
    assert exc.value.code == "forbidden"
    for days in ([0], [61], [1, 2, 3, 4, 5, 6], ["x"], None, [math.inf], "2 and 5"):
        with pytest.raises(DomainError) as exc:
            services.settings_save(
                by=admin, auto_start_next=True, approval_reminder_days=days, consultants=None
            )
        assert exc.value.code == "invalid_reminders", days
    saved = services.settings_save(
        by=admin, auto_start_next=False, approval_reminder_days="5, 2", consultants=None
    )
    assert (saved.auto_start_next, saved.approval_reminder_days) == (False, [2, 5])
    assert PortalSettings.load().approval_reminder_days == [2, 5]


# ---------------------------------------------------------------- submit


def test_a_client_submits_a_request(admin, manager, client_user, category):
    task = services.task_submit(
        by=client_user, title="  New landing page  ", category=category, description="Details"
    )
    assert (task.status, task.waiting_on, task.title) == (
        Status.TRIAGE,
        WaitingOn.AGENCY,
        "New landing page",
    )
    assert task.company_id == client_user.company_id and task.requested_by == client_user
    assert task.queue_position is None and task.estimate_minutes is None
    assert kinds(task) == ["task.state_changed", "task.submitted"]
    # No assignee yet: the admins and managers hear about it.
    assert task_notes(admin, task) == ["submitted"]
    assert task_notes(manager, task) == ["submitted"]


def test_there_is_no_limit_on_submissions(client_user, on_duo):
    for i in range(12):
        submit(client_user, f"Request {i}")
    assert Task.objects.filter(company=on_duo, status=Status.TRIAGE).count() == 12


def test_staff_submit_for_a_client_and_must_name_it(agent, company, category):
    with pytest.raises(DomainError) as exc:
        services.task_submit(by=agent, title="For the client", category=category)
    assert (exc.value.code, exc.value.field) == ("required", "company")
    task = services.task_submit(
        by=agent, title="For the client", category=category, company=company
    )
    assert task.company == company and task.requested_by is None


@pytest.mark.parametrize(
    ("title", "description", "code", "field"),
    [
        ("", "", "required", "title"),
        ("   \x00 ", "", "required", "title"),
        ("x" * 201, "", "too_long", "title"),
        ("ok", "y" * 20001, "too_long", "description"),
    ],
)
def test_submit_refuses_bad_text(client_user, category, title, description, code, field):
    with pytest.raises(DomainError) as exc:
        services.task_submit(
            by=client_user, title=title, category=category, description=description
        )
    assert (exc.value.code, exc.value.field) == (code, field)
    assert not Task.objects.exists()


def test_submit_needs_an_offered_category(client_user, category):
    with pytest.raises(DomainError) as exc:
        services.task_submit(by=client_user, title="No category", category=None)
    assert exc.value.field == "category"
    TaskCategory.objects.filter(pk=category.pk).update(is_active=False)
    category.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.task_submit(by=client_user, title="Retired category", category=category)
    assert exc.value.field == "category"
    assert not Task.objects.exists()


def test_submit_refuses_anonymous_users(db, category):
    with pytest.raises(DomainError) as exc:
        services.task_submit(by=None, title="Anonymous", category=category)
    assert exc.value.code == "forbidden"
    assert not Task.objects.exists()


# ---------------------------------------------------------------- attachments


def test_attachments_are_stored_privately(client_user, category, private_root):
    task = services.task_submit(
        by=client_user,
        title="With files",
        category=category,
        files=[upload(), upload("../../etc/notes.TXT", b"hello", "text/plain")],
    )
    rows = list(Attachment.objects.filter(task=task).order_by("id"))
    assert [(a.name, a.content_type, a.size) for a in rows] == [
        ("brief.pdf", "application/pdf", len(b"%PDF-1.4 demo")),
        ("notes.TXT", "text/plain", 5),
    ]
    stored = files_under(private_root)
    assert len(stored) == 2
    for path in stored:
        assert path.is_relative_to(private_root / "tasks" / str(task.pk))
    assert rows[1].file.read() == b"hello"


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([upload("virus.exe", b"MZ")], "file_type_not_allowed"),
        ([upload("noextension", b"x")], "file_type_not_allowed"),
        ([upload("fake.pdf\x00.exe", b"MZ")], "file_type_not_allowed"),
        ([upload("empty.pdf", b"")], "file_empty"),
        ([upload("big.pdf", b"x" * 2048)], "file_too_large"),
        # The first file is fine, the second is not: nothing at all is written.
        ([upload(), upload("big.pdf", b"x" * 2048)], "file_too_large"),
    ],
)
def test_a_refused_attachment_writes_nothing(
    settings, client_user, category, private_root, files, code
):
    settings.PARTNERDESK_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(DomainError) as exc:
        services.task_submit(by=client_user, title="Refused", category=category, files=files)
    assert (exc.value.code, exc.value.field) == (code, "attachments")
    assert not Task.objects.exists()
    assert not Attachment.objects.exists()
    assert not Event.objects.filter(kind__startswith="task.").exists()
    assert files_under(private_root) == []


def test_a_failure_after_storing_the_files_removes_them(
    monkeypatch, client_user, category, private_root
):
    def broken(*args, **kwargs):
        raise RuntimeError("the notification service fell over")

    monkeypatch.setattr(services.triage, "_notify", broken)  # where task_submit finds it
    with pytest.raises(RuntimeError):
        services.task_submit(
            by=client_user, title="Fails late", category=category, files=[upload(), upload()]
        )
    assert not Task.objects.exists()
    assert files_under(private_root) == []


def test_a_message_attachment_refused_leaves_no_message(client_user, category, private_root):
    task = submit(client_user)
    with pytest.raises(DomainError) as exc:
        services.message_post(
            by=client_user, task=task, body="See attached", files=[upload("x.exe", b"MZ")]
        )
    assert exc.value.code == "file_type_not_allowed"
    assert not Message.objects.exists() and files_under(private_root) == []
    message = services.message_post(
        by=client_user, task=task, body="See attached", files=[upload()]
    )
    assert [a.name for a in message.attachments.all()] == ["brief.pdf"]
    assert len(files_under(private_root)) == 1


# ---------------------------------------------------------------- triage: messages, accept, decline


def test_messages_in_triage_track_who_is_waiting(client_user, agent, other_client):
    task = submit(client_user)
    services.message_post(by=agent, task=task, body="Which pipeline do you mean?")
    task.refresh_from_db()
    assert task.waiting_on == WaitingOn.CLIENT
    services.message_post(by=client_user, task=task, body="The sales pipeline.")
    task.refresh_from_db()
    assert task.waiting_on == WaitingOn.AGENCY
    assert [(m.from_agency, m.author) for m in task.messages.all()] == [
        (True, agent),
        (False, client_user),
    ]
    assert kinds(task) == [
        "task.state_changed",
        "task.submitted",
        "task.message",
        "task.message",
    ]
    with pytest.raises(DomainError) as exc:
        services.message_post(by=other_client, task=task, body="Not my task")
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError) as exc:
        services.message_post(by=agent, task=task, body="   ")
    assert (exc.value.code, exc.value.field) == ("required", "body")
    assert task.messages.count() == 2


def test_accept_puts_the_task_last_in_the_queue(client_user, agent, on_duo):
    first = accepted(client_user, agent, "First", "2h")
    task = submit(client_user, "Second")
    task = services.task_accept(by=agent, task=task, estimate_minutes="1h 30m")
    assert (task.status, task.estimate_minutes, task.queue_position, task.assignee) == (
        Status.ACCEPTED,
        90,
        2,
        agent,
    )
    assert first.queue_position == 1 and task.accepted_at is not None
    assert kinds(task) == [
        "task.state_changed",
        "task.submitted",
        "task.state_changed",
        "task.accepted",
    ]
    event = Event.objects.get(kind="task.accepted", subject_id=task.pk)
    assert event.data["estimate_minutes"] == 90 and event.data["position"] == 2
    assert event.actor == agent
    assert task_notes(client_user, task) == ["accepted"]


def test_accept_with_another_assignee(client_user, agent, manager, on_duo):
    task = services.task_accept(
        by=manager, task=submit(client_user), estimate_minutes=60, assignee=agent
    )
    assert task.assignee == agent


@pytest.mark.parametrize("assignee", ["client_user", "inactive_agent"])
def test_accept_refuses_an_assignee_outside_the_staff(request, agent, client_user, assignee):
    if assignee == "inactive_agent":
        user = make_user("gone@agency.test", Role.AGENT, is_active=False)
    else:
        user = request.getfixturevalue(assignee)
    task = submit(client_user)
    with pytest.raises(DomainError) as exc:
        services.task_accept(by=agent, task=task, estimate_minutes=60, assignee=user)
    assert (exc.value.code, exc.value.field) == ("invalid_assignee", "assignee")
    task.refresh_from_db()
    assert task.status == Status.TRIAGE


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("3h", 180),
        ("90m", 90),
        ("1h 30m", 90),
        ("1h30m", 90),
        ("2.5h", 150),
        ("2,5h", 150),
        (" 3 hours ", 180),
        ("45 min", 45),
        ("45", 45),
        (45, 45),
        (90.0, 90),
        ("1000h", 60000),
    ],
)
def test_parse_estimate(value, minutes):
    assert services.parse_estimate(value) == minutes


@pytest.mark.parametrize(
    "value",
    [
        0,
        "0",
        "0h",
        -30,
        "-3h",
        "",
        None,
        "soon",
        "3 days",
        "h",
        True,
        math.nan,
        math.inf,
        -math.inf,
        "²",
        "9" * 5000,
        "9" * 400 + "h",
        "3h" + " " * 50 + "garbage",
    ],
)
def test_parse_estimate_refuses_what_is_not_an_estimate(value):
    with pytest.raises(DomainError) as exc:
        services.parse_estimate(value)
    assert exc.value.field == "estimate"
    assert exc.value.code in ("estimate_required", "estimate_too_large")


@pytest.mark.parametrize("value", [60001, "1001h", "1000h 1m", 10**30, 1e300, "9" * 40])
def test_parse_estimate_refuses_huge_estimates(value):
    with pytest.raises(DomainError) as exc:
        services.parse_estimate(value)
    assert exc.value.code == "estimate_too_large"


@pytest.mark.parametrize("estimate", [None, 0, -5, "text", "99999h"])
def test_accept_without_a_valid_estimate_changes_nothing(client_user, agent, estimate):
    task = submit(client_user)
    with pytest.raises(DomainError) as exc:
        services.task_accept(by=agent, task=task, estimate_minutes=estimate)
    assert exc.value.code in ("estimate_required", "estimate_too_large")
    task.refresh_from_db()
    assert (task.status, task.estimate_minutes, task.queue_position) == (Status.TRIAGE, None, None)
    assert kinds(task) == ["task.state_changed", "task.submitted"]


def test_decline_needs_a_reason_and_tells_the_client(client_user, agent):
    task = submit(client_user)
    with pytest.raises(DomainError) as exc:
        services.task_decline(by=agent, task=task, reason="  ")
    assert (exc.value.code, exc.value.field) == ("required", "reason")
    task = services.task_decline(by=agent, task=task, reason="We do not build mobile apps.")
    assert (task.status, task.waiting_on, task.decline_reason) == (
        Status.DECLINED,
        WaitingOn.NOBODY,
        "We do not build mobile apps.",
    )
    assert task.closed_at is not None
    assert kinds(task) == [
        "task.state_changed",
        "task.submitted",
        "task.state_changed",
        "task.declined",
    ]
    assert task_notes(client_user, task) == ["declined"]
    note = Notification.objects.get(user=client_user, dedupe_key=f"task:{task.pk}:declined")
    assert note.body == "We do not build mobile apps."


# ---------------------------------------------------------------- who may do what, from where


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("accept", "client_user"),
        ("decline", "client_user"),
        ("start", "client_user"),
        ("deliver", "client_user"),
        ("adjust", "client_user"),
        ("approve", "agent"),
        ("approve", "manager"),
        ("approve", "other_client"),
        ("request_changes", "agent"),
        ("request_changes", "other_client"),
        ("withdraw", "other_client"),
        ("start", None),
        ("approve", None),
    ],
)
def test_who_may_make_each_transition(request, action, who, client_user, agent, on_duo):
    by = request.getfixturevalue(who) if who else None
    task = {
        "accept": lambda: submit(client_user),
        "decline": lambda: submit(client_user),
        "withdraw": lambda: submit(client_user),
        "start": lambda: accepted(client_user, agent),
        "deliver": lambda: working(client_user, agent),
        "adjust": lambda: working(client_user, agent),
        "approve": lambda: pending(client_user, agent),
        "request_changes": lambda: pending(client_user, agent),
    }[action]()
    before = (task.status, Event.objects.count())
    call = {
        "accept": lambda: services.task_accept(by=by, task=task, estimate_minutes="3h"),
        "decline": lambda: services.task_decline(by=by, task=task, reason="No"),
        "withdraw": lambda: services.task_withdraw(by=by, task=task),
        "start": lambda: services.task_start(by=by, task=task),
        "deliver": lambda: services.task_deliver(by=by, task=task),
        "adjust": lambda: services.task_adjust_estimate(
            by=by, task=task, estimated_completion=at(2026, 4, 1, 12), reason="Bigger"
        ),
        "approve": lambda: services.task_approve(by=by, task=task),
        "request_changes": lambda: services.task_request_changes(
            by=by, task=task, message="Change it"
        ),
    }[action]
    with pytest.raises(DomainError) as exc:
        call()
    assert (exc.value.code, exc.value.status) == ("forbidden", 403)
    task.refresh_from_db()
    assert (task.status, Event.objects.count()) == before


# Every status a transition does not start from is refused with invalid_status (409).
TRANSITIONS = {
    "accept": {Status.TRIAGE},
    "decline": {Status.TRIAGE},
    "withdraw": {Status.TRIAGE, Status.ACCEPTED},
    "start": {Status.ACCEPTED},
    "deliver": {Status.WORKING},
    "adjust": {Status.WORKING},
    "approve": {Status.PENDING_APPROVAL},
    "request_changes": {Status.PENDING_APPROVAL},
}


def task_in(status, client_user, agent) -> Task:
    if status == Status.TRIAGE:
        return submit(client_user)
    if status == Status.ACCEPTED:
        return accepted(client_user, agent)
    if status == Status.WORKING:
        return working(client_user, agent)
    if status == Status.PENDING_APPROVAL:
        return pending(client_user, agent)
    if status == Status.COMPLETE:
        return services.task_approve(by=client_user, task=pending(client_user, agent))
    if status == Status.DECLINED:
        return services.task_decline(by=agent, task=submit(client_user), reason="No")
    return services.task_withdraw(by=client_user, task=submit(client_user))


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (action, status)
        for action, allowed in TRANSITIONS.items()
        for status in Status.values
        if status not in allowed
    ],
)
def test_each_transition_is_refused_from_other_statuses(action, status, client_user, agent, on_duo):
    task = task_in(status, client_user, agent)
    count = Event.objects.count()
    call = {
        "accept": lambda: services.task_accept(by=agent, task=task, estimate_minutes="3h"),
        "decline": lambda: services.task_decline(by=agent, task=task, reason="No"),
        "withdraw": lambda: services.task_withdraw(by=client_user, task=task),
        "start": lambda: services.task_start(by=agent, task=task),
        "deliver": lambda: services.task_deliver(by=agent, task=task),
        "adjust": lambda: services.task_adjust_estimate(
            by=agent, task=task, estimated_completion=at(2026, 4, 1, 12), reason="Bigger"
        ),
        "approve": lambda: services.task_approve(by=client_user, task=task),
        "request_changes": lambda: services.task_request_changes(
            by=client_user, task=task, message="Change it"
        ),
    }[action]
    with pytest.raises(DomainError) as exc:
        call()
    assert (exc.value.code, exc.value.status, exc.value.field) == ("invalid_status", 409, "status")
    assert str(task.get_status_display()) in str(exc.value)
    task.refresh_from_db()
    assert task.status == status and Event.objects.count() == count


def test_a_client_sees_another_company_task_as_missing(client_user, other_client, agent):
    task = submit(client_user)
    assert selectors.task_for(client_user, task.pk) == task
    with pytest.raises(Http404):
        selectors.task_for(other_client, task.pk)
    with pytest.raises(Http404):
        selectors.task_for(other_client, 10**9)


# ---------------------------------------------------------------- withdraw and the queue


def test_withdraw_renumbers_the_queue(client_user, agent, admin, on_duo):
    tasks = [accepted(client_user, agent, f"Q{i}") for i in range(4)]
    withdrawn = services.task_withdraw(by=client_user, task=tasks[1])
    assert (withdrawn.status, withdrawn.queue_position, withdrawn.waiting_on) == (
        Status.WITHDRAWN,
        None,
        WaitingOn.NOBODY,
    )
    queue = list(selectors.queue_of(on_duo.pk))
    assert [(t.title, t.queue_position) for t in queue] == [("Q0", 1), ("Q2", 2), ("Q3", 3)]
    assert kinds(withdrawn)[-1] == "task.withdrawn"
    assert task_notes(agent, withdrawn) == ["withdrawn"]  # the assignee hears about it


def test_withdraw_from_triage(client_user, admin):
    task = services.task_withdraw(by=client_user, task=submit(client_user))
    assert task.status == Status.WITHDRAWN and task.closed_at is not None
    assert task_notes(admin, task) == ["submitted", "withdrawn"]


def test_the_client_reorders_the_queue(client_user, agent, on_duo):
    a, b, c = (accepted(client_user, agent, name) for name in "ABC")
    order = services.queue_reorder(by=client_user, company=on_duo, task_ids=[c.pk, a.pk, b.pk])
    assert [(t.title, t.queue_position) for t in order] == [("C", 1), ("A", 2), ("B", 3)]
    event = Event.objects.get(kind="company.queue_reordered")
    assert event.data["order"] == [c.pk, a.pk, b.pk] and event.actor == client_user
    # Strings from a form are fine.
    services.queue_reorder(by=agent, company=on_duo, task_ids=[str(a.pk), str(b.pk), str(c.pk)])
    assert [t.title for t in selectors.queue_of(on_duo.pk)] == ["A", "B", "C"]


def test_reorder_conflicts_when_the_queue_changed(client_user, agent, on_duo):
    a, b, c = (accepted(client_user, agent, name) for name in "ABC")
    stale = [c.pk, b.pk, a.pk]
    d = accepted(client_user, agent, "D")  # arrived after the page was loaded
    for ids in (
        stale,
        [a.pk, b.pk, c.pk, d.pk, d.pk],
        [a.pk, b.pk, c.pk, d.pk, 10**9],
        [a.pk, b.pk, c.pk, "x"],
        [a.pk, b.pk, c.pk, math.inf],
        None,
        "1234",
    ):
        with pytest.raises(DomainError) as exc:
            services.queue_reorder(by=client_user, company=on_duo, task_ids=ids)
        assert (exc.value.code, exc.value.status) == ("queue_changed", 409), ids
    assert [t.title for t in selectors.queue_of(on_duo.pk)] == ["A", "B", "C", "D"]
    assert not Event.objects.filter(kind="company.queue_reordered").exists()


def test_reorder_is_refused_to_another_company(client_user, other_client, agent, on_duo):
    a, b = (accepted(client_user, agent, name) for name in "AB")
    with pytest.raises(DomainError) as exc:
        services.queue_reorder(by=other_client, company=on_duo, task_ids=[b.pk, a.pk])
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError) as exc:
        services.queue_move(by=other_client, task=b, to=1)
    assert exc.value.code == "forbidden"


def test_queue_move(client_user, agent, on_duo):
    a, b, c = (accepted(client_user, agent, name) for name in "ABC")
    services.queue_move(by=client_user, task=c, to=1)
    assert [t.title for t in selectors.queue_of(on_duo.pk)] == ["C", "A", "B"]
    services.queue_move(by=client_user, task=c, to=99)  # past the end: last
    assert [t.title for t in selectors.queue_of(on_duo.pk)] == ["A", "B", "C"]
    services.queue_move(by=client_user, task=b, to=-3)  # before the start: first
    assert [t.title for t in selectors.queue_of(on_duo.pk)] == ["B", "A", "C"]
    for to in ("x", None, "9" * 5000):
        with pytest.raises(DomainError) as exc:
            services.queue_move(by=client_user, task=a, to=to)
        assert (exc.value.code, exc.value.field) == ("invalid_position", "to")
    with pytest.raises(DomainError) as exc:
        services.queue_move(by=client_user, task=submit(client_user), to=1)
    assert exc.value.code == "invalid_status"


# ---------------------------------------------------------------- start, the slot rule


def test_start_sets_the_estimated_completion_in_working_time(client_user, agent, on_duo):
    task = accepted(client_user, agent, "Start me", "3h")
    other = accepted(client_user, agent, "Next")
    task = services.task_start(by=agent, task=task, now=SUNDAY_3PM)
    assert (task.status, task.waiting_on, task.queue_position, task.started_at) == (
        Status.WORKING,
        WaitingOn.AGENCY,
        None,
        SUNDAY_3PM,
    )
    # Two hours on Sunday, one on Monday morning.
    assert task.estimated_completion == at(2026, 3, 9, 10, 0)
    other.refresh_from_db()
    assert other.queue_position == 1
    event = Event.objects.get(kind="task.started", subject_id=task.pk)
    assert event.data["automatic"] is False and event.actor == agent
    assert task_notes(client_user, task) == ["accepted", "started"]


@pytest.mark.parametrize(
    ("now", "estimate", "expected"),
    [
        (SUNDAY_3PM, "3h", at(2026, 3, 9, 10, 0)),
        (SUNDAY_3PM, "2h", at(2026, 3, 8, 17, 0)),
        (THURSDAY_4PM, "3h", at(2026, 3, 15, 11, 0)),  # over the Friday–Saturday weekend
        (at(2026, 3, 13, 12, 0), "90m", at(2026, 3, 15, 10, 30)),  # started on a Friday
        (at(2026, 3, 9, 7, 0), "1h", at(2026, 3, 9, 10, 0)),  # before opening hours
        (WEDNESDAY_4PM, "3h", at(2026, 3, 22, 11, 0)),  # Thursday 19 is a holiday
        (at(2026, 3, 8, 9, 0), "40h", at(2026, 3, 12, 17, 0)),  # a whole working week
    ],
)
def test_estimated_completion_follows_the_calendar(
    client_user, agent, on_duo, now, estimate, expected
):
    task = services.task_start(
        by=agent, task=accepted(client_user, agent, estimate=estimate), now=now
    )
    assert task.estimated_completion == expected


def test_start_needs_a_plan(client_user, agent, company):
    task = accepted(client_user, agent)
    with pytest.raises(DomainError) as exc:
        services.task_start(by=agent, task=task)
    assert (exc.value.code, exc.value.status) == ("no_plan", 409)
    assert company.name in str(exc.value)


def test_working_plus_pending_approval_never_exceed_the_plan(client_user, agent, on_duo):
    pending(client_user, agent, "Waiting for approval")
    working(client_user, agent, "Being worked")
    task = accepted(client_user, agent, "Third")
    with pytest.raises(DomainError) as exc:
        services.task_start(by=agent, task=task)
    assert (exc.value.code, exc.value.status) == ("no_free_slot", 409)
    assert "Duo" in str(exc.value) and "2" in str(exc.value)
    task.refresh_from_db()
    assert (task.status, task.queue_position) == (Status.ACCEPTED, 1)
    # Request changes keeps the slot (Pending Approval -> Working).
    approval = Task.objects.get(title="Waiting for approval")
    services.task_request_changes(by=client_user, task=approval, message="Also the footer")
    with pytest.raises(DomainError) as exc:
        services.task_start(by=agent, task=task)
    assert exc.value.code == "no_free_slot"
    assert selectors.slot_usage(on_duo.pk) == (2, 2)


def test_closed_tasks_free_no_slot_until_approved(client_user, agent, company, solo, manager):
    services.subscription_set(by=manager, company=company, plan=solo)
    first = pending(client_user, agent, "Delivered")
    second = accepted(client_user, agent, "Queued")
    with pytest.raises(DomainError) as exc:
        services.task_start(by=agent, task=second)
    assert exc.value.code == "no_free_slot"  # delivery does not free the slot
    PortalSettings.objects.update(auto_start_next=False)
    services.task_approve(by=client_user, task=first)
    services.task_start(by=agent, task=second, now=SUNDAY_3PM)
    second.refresh_from_db()
    assert second.status == Status.WORKING


def test_a_smaller_plan_starts_nothing_and_refuses_more(
    client_user, agent, manager, company, duo, solo
):
    services.subscription_set(by=manager, company=company, plan=duo)
    working(client_user, agent, "One")
    working(client_user, agent, "Two")
    services.subscription_set(by=manager, company=company, plan=solo)
    assert Task.objects.filter(status=Status.WORKING).count() == 2  # nobody is stopped
    with pytest.raises(DomainError) as exc:
        services.task_start(by=agent, task=accepted(client_user, agent))
    assert exc.value.code == "no_free_slot"


# ---------------------------------------------------------------- adjust the estimate


def test_adjust_the_estimated_completion_with_a_reason(client_user, agent, on_duo):
    task = working(client_user, agent)
    previous = task.estimated_completion
    new = at(2026, 3, 12, 12, 0)
    task = services.task_adjust_estimate(
        by=agent, task=task, estimated_completion=new, reason="The API needs a second pass."
    )
    task.refresh_from_db()
    assert task.estimated_completion == new
    event = Event.objects.get(kind="task.estimate_adjusted")
    assert event.data["reason"] == "The API needs a second pass."
    assert dt.datetime.fromisoformat(event.data["previous"]) == previous
    assert f"estimate:{new.isoformat()}" in task_notes(client_user, task)


@pytest.mark.parametrize(
    ("value", "reason", "code", "field"),
    [
        (at(2026, 3, 12, 12, 0), "", "required", "reason"),
        (at(2026, 3, 12, 12, 0), " \n ", "required", "reason"),
        (dt.datetime(2026, 3, 12, 12, 0), "Why", "invalid_datetime", "estimated_completion"),
        ("2026-03-12T12:00", "Why", "invalid_datetime", "estimated_completion"),
        (dt.date(2026, 3, 12), "Why", "invalid_datetime", "estimated_completion"),
        (None, "Why", "invalid_datetime", "estimated_completion"),
        (at(2026, 3, 8, 14, 0), "Why", "before_start", "estimated_completion"),
    ],
)
def test_adjust_refuses_bad_input(client_user, agent, on_duo, value, reason, code, field):
    task = working(client_user, agent)
    with pytest.raises(DomainError) as exc:
        services.task_adjust_estimate(
            by=agent, task=task, estimated_completion=value, reason=reason
        )
    assert (exc.value.code, exc.value.field) == (code, field)
    task.refresh_from_db()
    assert task.estimated_completion == at(2026, 3, 9, 10, 0)
    assert not Event.objects.filter(kind="task.estimate_adjusted").exists()


# ---------------------------------------------------------------- deliver, approve, changes


def test_deliver_asks_the_client_for_approval(client_user, agent, on_duo):
    task = working(client_user, agent)
    task = services.task_deliver(
        by=agent, task=task, note="Done: see the new report.", now=at(2026, 3, 9, 12, 0)
    )
    assert (task.status, task.waiting_on, task.delivered_at) == (
        Status.PENDING_APPROVAL,
        WaitingOn.CLIENT,
        at(2026, 3, 9, 12, 0),
    )
    # First reminder: the end of the second working day after delivery.
    assert task.next_reminder_at == at(2026, 3, 11, 17, 0) and task.reminders_sent == 0
    assert task.messages.get().body == "Done: see the new report."
    assert kinds(task)[-2:] == ["task.delivered", "task.message"]
    keys = task_notes(client_user, task)
    assert f"delivered:{at(2026, 3, 9, 12, 0).isoformat()}" in keys


def test_approve_completes_and_starts_the_top_task(client_user, agent, manager, on_duo):
    other_agent = make_user("second@agency.test", Role.AGENT)
    first = pending(client_user, agent, "Delivered")
    working(client_user, agent, "Still working")
    queued = [
        services.task_accept(
            by=manager, task=submit(client_user, name), estimate_minutes="2h", assignee=assignee
        )
        for name, assignee in (("Top", other_agent), ("Second", agent))
    ]
    services.queue_reorder(by=client_user, company=on_duo, task_ids=[queued[0].pk, queued[1].pk])
    done = services.task_approve(by=client_user, task=first, now=at(2026, 3, 9, 12, 0))
    assert (done.status, done.waiting_on, done.closed_at, done.next_reminder_at) == (
        Status.COMPLETE,
        WaitingOn.NOBODY,
        at(2026, 3, 9, 12, 0),
        None,
    )
    top = Task.objects.get(title="Top")
    assert (top.status, top.started_at, top.estimated_completion) == (
        Status.WORKING,
        at(2026, 3, 9, 12, 0),
        at(2026, 3, 9, 14, 0),
    )
    assert top.assignee == other_agent  # the automatic start keeps the assignee
    second = Task.objects.get(title="Second")
    assert (second.status, second.queue_position) == (Status.ACCEPTED, 1)
    # The assignee of the started task is told; the client hears that work started.
    assert task_notes(other_agent, top) == ["auto-started"]
    assert task_notes(client_user, top) == ["accepted", "started"]
    assert task_notes(agent, done) == ["approved"]
    event = Event.objects.get(kind="task.started", subject_id=top.pk)
    assert event.data["automatic"] is True and event.actor is None
    assert kinds(done)[-1] == "task.approved"


def test_with_auto_start_off_nothing_starts(client_user, agent, on_duo):
    PortalSettings.objects.update(auto_start_next=False)
    first = pending(client_user, agent)
    queued = accepted(client_user, agent, "Queued")
    services.task_approve(by=client_user, task=first)
    queued.refresh_from_db()
    assert (queued.status, queued.queue_position) == (Status.ACCEPTED, 1)
    assert not Notification.objects.filter(dedupe_key__endswith=":auto-started").exists()


def test_approve_with_an_empty_queue_starts_nothing(client_user, agent, on_duo):
    done = services.task_approve(by=client_user, task=pending(client_user, agent))
    assert done.status == Status.COMPLETE
    assert not Task.objects.filter(status=Status.WORKING).exists()


def test_approve_without_a_free_slot_after_it_starts_nothing(
    client_user, agent, manager, company, duo, solo
):
    """Downgraded to Solo with two tasks holding slots: approving one still leaves none free."""
    services.subscription_set(by=manager, company=company, plan=duo)
    first = pending(client_user, agent, "One")
    working(client_user, agent, "Two")
    services.subscription_set(by=manager, company=company, plan=solo)
    queued = accepted(client_user, agent, "Queued")
    services.task_approve(by=client_user, task=first)
    queued.refresh_from_db()
    assert queued.status == Status.ACCEPTED


def test_request_changes_sends_the_work_back(client_user, agent, on_duo):
    task = pending(client_user, agent)
    with pytest.raises(DomainError) as exc:
        services.task_request_changes(by=client_user, task=task, message="   ")
    assert (exc.value.code, exc.value.field) == ("required", "message")
    task = services.task_request_changes(
        by=client_user, task=task, message="The chart colours are wrong."
    )
    assert (task.status, task.waiting_on, task.next_reminder_at) == (
        Status.WORKING,
        WaitingOn.AGENCY,
        None,
    )
    message = task.messages.get()
    assert (message.body, message.author, message.from_agency) == (
        "The chart colours are wrong.",
        client_user,
        False,
    )
    assert kinds(task)[-2:] == ["task.changes_requested", "task.message"]
    # Delivered again, approved this time.
    task = services.task_deliver(by=agent, task=task, now=at(2026, 3, 10, 10, 0))
    assert task.reminders_sent == 0 and task.next_reminder_at is not None
    assert services.task_approve(by=client_user, task=task).status == Status.COMPLETE


def test_request_changes_with_a_bad_file_changes_nothing(client_user, agent, on_duo, private_root):
    task = pending(client_user, agent)
    with pytest.raises(DomainError) as exc:
        services.task_request_changes(
            by=client_user, task=task, message="See file", files=[upload("x.exe", b"MZ")]
        )
    assert exc.value.code == "file_type_not_allowed"
    task.refresh_from_db()
    assert task.status == Status.PENDING_APPROVAL and task.next_reminder_at is not None
    assert not task.messages.exists() and files_under(private_root) == []
    assert "task.changes_requested" not in kinds(task)


# ---------------------------------------------------------------- the whole story


def test_the_whole_lifecycle_records_its_events_and_notifies_the_client(client_user, agent, on_duo):
    task = submit(client_user, "End to end")
    services.message_post(by=agent, task=task, body="Which dashboard?")
    services.message_post(by=client_user, task=task, body="Sales.")
    task = services.task_accept(by=agent, task=task, estimate_minutes="2.5h")
    task = services.task_start(by=agent, task=task, now=SUNDAY_3PM)
    task = services.task_deliver(by=agent, task=task, now=at(2026, 3, 9, 11, 0))
    task = services.task_request_changes(by=client_user, task=task, message="One more filter")
    task = services.task_deliver(by=agent, task=task, now=at(2026, 3, 9, 15, 0))
    task = services.task_approve(by=client_user, task=task, now=at(2026, 3, 9, 16, 0))
    assert kinds(task) == [
        "task.state_changed",
        "task.submitted",
        "task.message",
        "task.message",
        "task.state_changed",
        "task.accepted",
        "task.state_changed",
        "task.started",
        "task.state_changed",
        "task.delivered",
        "task.state_changed",
        "task.changes_requested",
        "task.message",
        "task.state_changed",
        "task.delivered",
        "task.state_changed",
        "task.approved",
    ]
    assert all(
        e.company_id == on_duo.pk and e.data["title"] == "End to end"
        for e in Event.objects.for_subject(task)
    )
    assert task_notes(client_user, task) == sorted(
        [
            "accepted",
            "started",
            f"delivered:{at(2026, 3, 9, 11, 0).isoformat()}",
            f"delivered:{at(2026, 3, 9, 15, 0).isoformat()}",
        ]
    )
    assert task_notes(agent, task) == ["approved"]


# ---------------------------------------------------------------- the demo


def test_the_demo_loads_tasks_in_every_status_once(private_root):
    from django.core.management import call_command

    from partnerdesk.crm.models import Company

    call_command("demo_data", stdout=io.StringIO())
    counts = {s: Task.objects.filter(status=s).count() for s in Status.values}
    assert all(counts.values()), counts
    clients = Company.objects.filter(lifecycle="client")
    assert all(services.current_plan(c.pk) for c in clients)
    plans = set(
        Subscription.objects.filter(ended_at__isnull=True).values_list("plan__name", flat=True)
    )
    assert plans == {"Solo", "Duo", "Team"}
    assert Subscription.objects.filter(ended_at__isnull=False).exists()  # some history
    nile = Company.objects.get(domain="niledental.com")
    queue = list(selectors.queue_of(nile.pk))
    assert len(queue) >= 3 and all(t.estimate_minutes for t in queue)
    assert [t.queue_position for t in queue] == list(range(1, len(queue) + 1))
    taken, limit = selectors.slot_usage(nile.pk)
    assert taken <= limit
    for company in clients:
        taken, limit = selectors.slot_usage(company.pk)
        assert taken <= limit, company
    assert Message.objects.filter(from_agency=True).exists()
    assert Message.objects.filter(from_agency=False).exists()
    assert PortalSettings.load().consultants.members.exists()
    assert TaskCategory.objects.filter(tasks__isnull=False).distinct().count() >= 8
    before = (Task.objects.count(), Message.objects.count(), Subscription.objects.count())
    call_command("demo_data", stdout=io.StringIO())
    assert (Task.objects.count(), Message.objects.count(), Subscription.objects.count()) == before
