"""Query budgets of every report (ARCHITECTURE.md rule 7): each registered report's page, CSV
and API answer run the same number of SQL queries with ``SMALL`` and with ``LARGE`` (4×) units
of data (tests/reports/query_world.py), and the page at most its pinned budget.

Every report in ``reports.registry.REPORTS`` is measured, so a new report fails here until it
has a budget in ``BUDGETS``. The pages are requested with the default filters (the last 30
days, where the data is) as the admin, and once more as an agent (the scope of their own and
their teams' work).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partnerdesk.accounts.models import Role
from partnerdesk.accounts.services import api_token_create
from partnerdesk.reports import selectors  # noqa: F401  (registers the reports)
from partnerdesk.reports.registry import REPORTS
from tests.conftest import login, make_user
from tests.reports.query_world import QueryWorld

SMALL = 3
LARGE = 12  # 4 x SMALL

# slug -> the most SQL queries its page may run as the admin (pinned from measurements). Around
# a report's own queries the page runs ~7: the session, the user, and one per filter offered
# (the choices of its select boxes). The CSV and the API run the report's own queries with less
# around them.
BUDGETS: dict[str, int] = {
    "client-work": 14,
    # the tickets and the tasks (a count per period each), the types with their articles
    "most-requested": 13,
    "satisfaction": 16,
    "self-serve": 12,
    # per target: a grouped count of settled and one of open breached targets and a
    # percentile query; the labels; the causes of delay (2); the grouping's choices
    "sla-compliance": 17,
    "team-workload": 15,
    # the pipeline, its stages, the stays' count and percentiles, the open tickets
    "time-in-stage": 13,
}

VIEWS = ("page", "csv", "api", "agent page")


def _count(client, url) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(ctx.captured_queries), body


@pytest.fixture(scope="module")
def measures(django_db_setup, django_db_blocker):
    counts: dict[tuple[str, str], dict[int, int]] = {}
    bodies: dict[tuple[str, str], dict[int, bytes]] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        admin = make_user("reports-qc-admin@agency.test", Role.ADMIN)
        agent = make_user("reports-qc-agent@agency.test", Role.AGENT)
        world = QueryWorld(admin)
        staff, mine = login(admin), login(agent)
        api = Client(
            headers={"Authorization": f"Bearer {api_token_create(user=admin, name='q')[1]}"}
        )
        for size in (SMALL, LARGE):
            world.grow(size - world.units)
            for slug in REPORTS:
                urls = {
                    "page": (staff, f"/app/reports/{slug}/"),
                    "csv": (staff, f"/app/reports/{slug}/export.csv"),
                    "api": (api, f"/api/reports/{slug}"),
                    "agent page": (mine, f"/app/reports/{slug}/"),
                }
                for view, (client, url) in urls.items():
                    client.get(url)  # warm up: per-process caches, the token's last use
                    n, body = _count(client, url)
                    counts.setdefault((slug, view), {})[size] = n
                    bodies.setdefault((slug, view), {})[size] = body
        transaction.set_rollback(True)
    for (slug, view), got in sorted(counts.items()):  # shown with -s
        print(f"  {slug:16} {view:10} queries {got}")
    return counts, bodies


def test_every_report_has_a_budget():
    missing = sorted(set(REPORTS) - set(BUDGETS))
    assert not missing, f"give each report a budget in BUDGETS: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("slug", sorted(REPORTS))
def test_constant_and_within_budget(measures, slug, view):
    counts, bodies = measures
    got = counts[(slug, view)]
    assert got[SMALL] == got[LARGE], (
        f"{slug} {view}: {got[SMALL]} queries with {SMALL} units of data, {got[LARGE]} with "
        f"{LARGE}: a query per row"
    )
    if view == "page":
        assert got[LARGE] <= BUDGETS[slug], f"{slug}: {got[LARGE]} queries, budget {BUDGETS[slug]}"
        # The data shows: more units, other figures (else the count proves nothing).
        assert bodies[(slug, view)][SMALL] != bodies[(slug, view)][LARGE], slug
