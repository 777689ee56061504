"""The staff home's query budget (ARCHITECTURE.md rule 7), per role and for the trends the page
loads after it has shown: the same number of SQL queries with ten times the tickets, client
tasks, deals and staff, pinned. (The plans behind
them, at 200,000 tickets on PostgreSQL: test_scale_postgres.py.)"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.models import Role
from tests.conftest import login, make_user

from .home_data import add_deals, add_tasks, add_tickets

pytestmark = pytest.mark.django_db

# request -> queries. Both roles: the session and the user, the team's ticket counts (one
# statement), the open deal stages, the open deals and their values per pipeline (the kept
# totals, one), the clients and contacts (one), the client tasks waiting (two: the kept
# totals, and those past their estimated completion counted up to the cap), the user's open
# deals. An agent: their tickets' states (one), their next due (one per target), their client
# tasks (counts, the list). A manager: the workload (three: each person's open work as the
# database keeps it, the staff, and the people shown with their breached tickets). The
# trends, loaded after the page: the session and the user, tickets opened / closed per day,
# first responses / resolutions per week.
PINNED = {"agent": 14, "manager": 12, "trends": 6}
TRENDS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "trends"}


def section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    return html[start : html.index("</section>", start)]


def rows(html: str, ident: str) -> int:
    return len(re.findall(r"<tr>", section(html, ident)))


def test_the_home_costs_the_same_with_ten_times_the_data(agent, manager, company):
    now = timezone.now()
    staff = [agent, manager]
    measured: dict[str, list[int]] = {"agent": [], "manager": [], "trends": []}
    shown: dict[str, list[int]] = {"next-due": [], "workload": [], "my-tasks": []}
    for size in (1, 10):
        staff += [make_user(f"agent{len(staff)}-{i}@agency.test", Role.AGENT) for i in range(size)]
        add_tickets(now, [*staff, agent], [company], 12 * size)
        add_tasks(now, [agent, *staff], company, 12 * size, start=12 * (size - 1))
        add_deals(manager, company, 10 * size, start=10 * (size - 1))
        requests = (("agent", agent, {}), ("manager", manager, {}), ("trends", agent, TRENDS))
        for name, user, headers in requests:
            client = login(user)
            url = "/app/?trends=1" if headers else "/app/"
            client.get(url, **headers)  # warm up (per-process caches)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, **headers)
            assert response.status_code == 200
            measured[name].append(len(ctx.captured_queries))
            html = response.content.decode()
            if name == "agent":
                shown["next-due"].append(rows(html, "next-due"))
                shown["my-tasks"].append(section(html, "my-tasks").count("<li>"))
            elif name == "manager":
                shown["workload"].append(rows(html, "workload"))
    # more data shows more rows (or the measurement would prove nothing)
    for name, (small, large) in shown.items():
        assert 0 < small < large, (name, small, large)
    for name, (small, large) in measured.items():
        assert small == large, f"{name}: {small} queries with the small data, {large} with more"
        assert large == PINNED[name], f"{name}: {large} queries, pinned {PINNED[name]}"
