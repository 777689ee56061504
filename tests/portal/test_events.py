"""Every status transition of a task records ``task.state_changed`` with ``from`` and ``to``, in
the transaction of the change, and it is the kind the automation trigger *Task request state
changed* listens to."""

from __future__ import annotations

import re

import pytest

from partnerdesk.automation import triggers
from partnerdesk.automation.models import Trigger
from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.portal import services
from partnerdesk.portal.events import TRANSITIONS, PortalEvent
from partnerdesk.portal.models import Status, Task
from tests.conftest import login
from tests.portal.conftest import accepted, submit

STATE_CHANGED = PortalEvent.TASK_STATE_CHANGED


def events(task) -> list[Event]:
    return list(Event.objects.for_subject(task).order_by("occurred_at", "id"))


def moves(task) -> list[tuple[str | None, str]]:
    """The (from, to) of the task's state changes, in order."""
    return [(e.data["from"], e.data["to"]) for e in events(task) if e.kind == STATE_CHANGED]


def transitions(task) -> list[str]:
    """The event that follows each state change (the transition's own event)."""
    found = events(task)
    # A state change is never the last event: its transition's own event follows it.
    return [found[i + 1].kind for i, e in enumerate(found) if e.kind == STATE_CHANGED]


def test_the_trigger_listens_to_the_state_change():
    assert STATE_CHANGED == "task.state_changed"
    assert Trigger.TASK_STATE_CHANGED in triggers.EVENT_TRIGGERS[str(STATE_CHANGED)]


def test_submit_accept_start_deliver_request_changes_approve(client_user, agent, on_duo):
    task = submit(client_user, "All the way")
    task = services.task_accept(by=agent, task=task, estimate_minutes="2h")
    task = services.task_start(by=agent, task=task)
    task = services.task_deliver(by=agent, task=task)
    task = services.task_request_changes(by=client_user, task=task, message="One more thing")
    task = services.task_deliver(by=agent, task=task)
    task = services.task_approve(by=client_user, task=task)
    assert moves(task) == [
        (None, Status.TRIAGE),
        (Status.TRIAGE, Status.ACCEPTED),
        (Status.ACCEPTED, Status.WORKING),
        (Status.WORKING, Status.PENDING_APPROVAL),
        (Status.PENDING_APPROVAL, Status.WORKING),
        (Status.WORKING, Status.PENDING_APPROVAL),
        (Status.PENDING_APPROVAL, Status.COMPLETE),
    ]
    assert transitions(task) == [
        PortalEvent.TASK_SUBMITTED,
        PortalEvent.TASK_ACCEPTED,
        PortalEvent.TASK_STARTED,
        PortalEvent.TASK_DELIVERED,
        PortalEvent.TASK_CHANGES_REQUESTED,
        PortalEvent.TASK_DELIVERED,
        PortalEvent.TASK_APPROVED,
    ]
    changes = [e for e in events(task) if e.kind == STATE_CHANGED]
    # Plain JSON strings, the actor who made the change, the task's company and title.
    assert all(type(e.data["to"]) is str for e in changes)
    client, staff = client_user, agent
    assert [e.actor for e in changes] == [client, staff, staff, staff, client, staff, client]
    assert all(e.company_id == on_duo.pk and e.data["title"] == "All the way" for e in changes)
    assert all(e.data["status"] == e.data["to"] for e in changes)


def test_decline(client_user, agent):
    task = services.task_decline(by=agent, task=submit(client_user), reason="Out of scope")
    assert moves(task) == [(None, Status.TRIAGE), (Status.TRIAGE, Status.DECLINED)]
    assert transitions(task)[-1] == PortalEvent.TASK_DECLINED


@pytest.mark.parametrize("queued", [False, True])
def test_withdraw_from_triage_or_from_the_queue(client_user, agent, queued):
    task = accepted(client_user, agent) if queued else submit(client_user)
    task = services.task_withdraw(by=client_user, task=task)
    before = Status.ACCEPTED if queued else Status.TRIAGE
    assert moves(task)[-1] == (before, Status.WITHDRAWN)
    assert transitions(task)[-1] == PortalEvent.TASK_WITHDRAWN


def test_an_automatic_start_is_a_state_change_by_the_system(client_user, agent, on_duo):
    first = services.task_start(by=agent, task=accepted(client_user, agent, "First"))
    services.task_start(by=agent, task=accepted(client_user, agent, "Second"))
    queued = accepted(client_user, agent, "Queued")  # Duo: two at once, this one waits
    first = services.task_deliver(by=agent, task=first)
    services.task_approve(by=client_user, task=first)  # a slot frees: "Queued" starts
    assert Task.objects.get(pk=queued.pk).status == Status.WORKING
    change = [e for e in events(queued) if e.kind == STATE_CHANGED][-1]
    assert (change.data["from"], change.data["to"], change.actor) == (
        Status.ACCEPTED,
        Status.WORKING,
        None,
    )


def test_the_state_change_is_undone_with_the_change(client_user, agent, monkeypatch):
    """Recorded in the transaction of the change: when the change fails, neither remains."""
    task = submit(client_user)

    def broken(*args, **kwargs):
        raise RuntimeError("the notification service fell over")

    monkeypatch.setattr(services.triage, "_notify", broken)
    with pytest.raises(RuntimeError):
        services.task_accept(by=agent, task=task, estimate_minutes="1h")
    assert Task.objects.get(pk=task.pk).status == Status.TRIAGE
    assert moves(task) == [(None, Status.TRIAGE)]


def test_a_state_change_reads_on_the_timeline(client_user, agent):
    task = accepted(client_user, agent)
    first, second = (e for e in events(task) if e.kind == STATE_CHANGED)
    assert describe(first) == "Status: — → Triage"
    assert describe(second) == "Status: Triage → Accepted"


def test_only_transitions_record_a_state_change():
    """The other task events (messages, reminders, new estimates) change no status."""
    others = {k for k in PortalEvent if k.startswith("task.")} - TRANSITIONS - {STATE_CHANGED}
    assert others == {
        PortalEvent.TASK_ESTIMATE_ADJUSTED,
        PortalEvent.TASK_APPROVAL_REMINDED,
        PortalEvent.TASK_MESSAGE,
    }


def test_the_staff_task_page_shows_the_timeline_like_every_record(client_user, agent):
    """Each entry's time and who did it sit in their own span (relative time, exact instant on
    hover), as on the other records' timelines: the date no longer runs into the text."""
    task = accepted(client_user, agent)
    html = login(agent).get(f"/app/tasks/{task.pk}/").content.decode()
    timeline = html[html.index('class="timeline"') :]
    assert re.search(
        r'<li><span class="when"><time datetime="[^"]+" title="[^"]+">[^<]+</time> · '
        r"<bdi>Agent</bdi></span>Status: Triage → Accepted</li>",
        timeline,
    ), timeline[:600]
