"""The triage page's quick filters and the staff home's client-task tile: counts of open
tasks that stop at a cap (index range scans, never every open task counted), exact below it
and shown as "N+" past it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Q

from partnerdesk.core import clock, pagination
from partnerdesk.dashboard.selectors import home
from partnerdesk.portal import selectors
from partnerdesk.portal.models import OPEN_STATUSES, Status, Task, TaskCategory, WaitingOn
from tests.conftest import login

pytestmark = pytest.mark.django_db


def tasks(company, client_user, **rows):
    """Tasks of ``company`` in each (status, waiting_on, overdue) of ``rows``: name -> n."""
    category = TaskCategory.objects.get(name="HubSpot Administration")
    now = clock.now()
    made = []
    for key, n in rows.items():
        status, waiting_on, late = key.split("__")
        due = now + dt.timedelta(hours=-2 if late == "late" else 2)
        made += [
            Task(
                company=company,
                title=f"{key} {i}",
                category=category,
                status=status,
                waiting_on=waiting_on,
                requested_by=client_user,
                estimated_completion=due,
            )
            for i in range(n)
        ]
    Task.objects.bulk_create(made)


def test_the_quick_filter_counts_are_the_counts_of_the_open_tasks(company, client_user):
    tasks(
        company,
        client_user,
        triage__agency__ontime=3,
        working__agency__late=2,
        working__client__ontime=1,
        pending_approval__client__late=2,
        complete__agency__late=4,  # closed: never counted
        declined__client__ontime=2,
    )
    now = clock.now()
    want = Task.objects.filter(status__in=OPEN_STATUSES).aggregate(
        agency=Count("id", filter=Q(waiting_on=WaitingOn.AGENCY)),
        client=Count("id", filter=Q(waiting_on=WaitingOn.CLIENT)),
        overdue=Count("id", filter=Q(status=Status.WORKING, estimated_completion__lt=now)),
    )
    assert want == {"agency": 5, "client": 3, "overdue": 2}
    got = selectors.triage_counts(now=now)
    assert got == {name: {"count": n, "exact": True} for name, n in want.items()}


def test_past_the_cap_a_count_says_so(company, client_user, agent):
    tasks(company, client_user, triage__agency__ontime=4, working__client__ontime=2)
    got = selectors.triage_counts(cap=3)
    assert got["agency"] == {"count": 3, "exact": False}
    assert got["client"] == {"count": 2, "exact": True}
    html = login(agent).get("/app/tasks/").content.decode()
    assert "Waiting on us: 4<" in html  # the page counts to COUNT_CAP


def test_the_home_tile_and_the_triage_page_show_a_capped_count_with_a_plus(
    company, client_user, manager, monkeypatch
):
    tasks(company, client_user, triage__agency__ontime=4)
    monkeypatch.setattr(home, "HOME_CAP", 3)
    html = login(manager).get("/app/").content.decode()
    assert '<div class="num">3+</div>Client tasks waiting on us' in html
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    html = login(manager).get("/app/tasks/").content.decode()
    assert "Waiting on us: 3+<" in html
