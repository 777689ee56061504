"""The client tasks per status, waiting-on and assignee that the database keeps
(``portal.totals``): right through every kind of write, what the staff's triage list and API
count with (the kept total, not a count of the tasks), and gone with the tasks after a flush.
"""

from __future__ import annotations

import itertools

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from partnerdesk.core import clock, totals
from partnerdesk.core.pagination import capped_count
from partnerdesk.portal import selectors
from partnerdesk.portal import totals as task_totals
from partnerdesk.portal.models import Status, Task, TaskCount, WaitingOn
from tests.conftest import login
from tests.dashboard.home_data import add_tasks

pytestmark = pytest.mark.django_db


def agrees() -> bool:
    return totals.differences(task_totals.TASKS_PER_STATE) == {}


def kept_filters(agent) -> list[dict]:
    """Every combination of the filters the kept total answers (and an unknown status)."""
    statuses = [None, "open", "all", *Status.values]
    waiting = [None, WaitingOn.AGENCY, WaitingOn.CLIENT]
    assignee = [None, str(agent.pk), "none"]
    return [
        {k: v for k, v in (("status", s), ("waiting", w), ("assignee", a)) if v is not None}
        for s, w, a in itertools.product(statuses, waiting, assignee)
    ]


def test_the_total_follows_every_kind_of_write(agent, admin, company):
    tasks = add_tasks(clock.now(), [agent, admin], company, 21)  # a bulk insert
    assert agrees()
    task = tasks[0]
    task.status, task.waiting_on, task.assignee = Status.PENDING_APPROVAL, "client", admin
    task.save()
    Task.objects.filter(assignee=agent).update(assignee=None)  # a bulk update
    Task.objects.filter(status=Status.ACCEPTED).update(waiting_on="client")
    Task.objects.filter(pk=tasks[1].pk).update(title="Renamed")  # none of the three
    Task.objects.filter(pk__in=[t.pk for t in tasks[5:9]]).delete()
    assert agrees()
    assert task_totals.task_count() == Task.objects.count() == 17


def test_the_staff_list_counts_what_it_lists_for_every_kept_filter(agent, admin, company):
    add_tasks(clock.now(), [agent, admin], company, 30)
    for params in kept_filters(agent):
        qs = selectors.triage_list(params)
        assert selectors.triage_count(agent, params, qs) == capped_count(qs), params


def test_the_staff_read_the_kept_total_and_clients_count_their_own(
    agent, admin, company, client_user, api_client_for
):
    add_tasks(clock.now(), [agent, admin], company, 14)
    open_now = Task.objects.filter(status__in=["triage", "accepted", "working"]).count()
    open_now += Task.objects.filter(status="pending_approval").count()
    # A figure the tasks do not have: whoever shows it read the kept total.
    TaskCount.objects.create(status=Status.TRIAGE, waiting_on="agency", assignee_id=None, n=5)

    assert api_client_for(agent).get("/api/tasks").json()["count"] == open_now + 5
    html = login(agent).get("/app/tasks/").content.decode()
    assert f"{open_now + 5} records" in html
    counts = selectors.triage_counts()
    assert (
        counts["agency"]["count"]
        == Task.objects.filter(
            status__in=["triage", "accepted", "working", "pending_approval"], waiting_on="agency"
        ).count()
        + 5
    )
    # A client's list is their company's tasks, counted: never the agency's total.
    assert api_client_for(client_user).get("/api/tasks").json()["count"] == open_now
    # Filters the total does not answer are counted too.
    search = api_client_for(agent).get("/api/tasks", {"q": "Task"}).json()
    assert search["count"] == open_now


def test_past_the_cap_the_kept_total_pages_like_a_count(agent, api_client_for):
    TaskCount.objects.create(status=Status.TRIAGE, waiting_on="agency", assignee_id=None, n=20_000)
    body = api_client_for(agent).get("/api/tasks").json()
    assert (body["count"], body["count_is_exact"]) == (10_000, False)


def test_no_total_is_left_of_tasks_all_gone(agent, admin, company):
    # A flush on SQLite deletes row by row in no set order: the totals emptied first, the
    # tasks' deletion then leaves -1 rows. post_migrate (sent after every flush) drops them.
    add_tasks(clock.now(), [agent, admin], company, 7)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_taskcount")
        cursor.execute("DELETE FROM portal_task")
    assert task_totals.task_count() == -7
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert not TaskCount.objects.exists()

    add_tasks(clock.now(), [agent], company, 2)  # tasks left: the rows are figures, kept
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert task_totals.task_count() == 2
