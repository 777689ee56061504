"""The staff task desk shows Start work disabled, with the reason, when the client has no free
slot ("Duo plan: 2 of 2 in progress"), instead of failing after the click (issue 15, item 8).
The task list computes it for every row in constant queries; the service still decides."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.crm import services as crm_services
from partnerdesk.portal import selectors, services
from partnerdesk.portal.models import Status, Task
from tests.conftest import login, make_user
from tests.portal.conftest import accepted

pytestmark = pytest.mark.django_db

DISABLED = re.compile(
    r'<button[^>]*disabled aria-describedby="(start-reason[-\d]*)">Start work</button>\s*'
    r'<p class="reason[^"]*" id="\1">(.*?)</p>',
    re.S,
)


def fill(company_client, agent, n: int) -> None:
    """Start ``n`` tasks of the client's company (its plan must allow them)."""
    for i in range(n):
        services.task_start(by=agent, task=accepted(company_client, agent, f"Working {i}"))


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def test_a_full_duo_client_gets_a_disabled_start_with_the_reason(on_duo, client_user, agent):
    fill(client_user, agent, 2)
    waiting = accepted(client_user, agent, "Next in the queue")
    html = login(agent).get(f"/app/tasks/{waiting.pk}/").content.decode()
    section = html[html.index('id="start"') :]
    match = DISABLED.search(section)
    assert match, section[:600]
    assert text(match.group(2)) == (
        "Duo plan: 2 of 2 in progress. A slot frees when the client approves a task."
    )


def test_a_free_slot_leaves_start_enabled(on_duo, client_user, agent):
    fill(client_user, agent, 1)
    waiting = accepted(client_user, agent, "Next in the queue")
    html = login(agent).get(f"/app/tasks/{waiting.pk}/").content.decode()
    section = html[html.index('id="start"') : html.index("</section>", html.index('id="start"'))]
    assert "<button>Start work</button>" in section
    assert "disabled" not in section


def test_without_a_plan_start_is_disabled_and_says_so(company, client_user, agent):
    waiting = accepted(client_user, agent, "No plan yet")
    html = login(agent).get(f"/app/tasks/{waiting.pk}/").content.decode()
    match = DISABLED.search(html)
    assert match and text(match.group(2)) == "No plan: choose one on the company's page first."


def test_the_server_still_refuses_when_the_slot_went_meanwhile(on_duo, client_user, agent):
    """The page showed Start work enabled; another agent took the last slot before the click."""
    fill(client_user, agent, 1)
    waiting = accepted(client_user, agent, "Raced")
    other = accepted(client_user, agent, "Taken meanwhile")
    page = login(agent)
    assert "<button>Start work</button>" in page.get(f"/app/tasks/{waiting.pk}/").content.decode()
    services.task_start(by=agent, task=other)
    response = page.post(f"/app/tasks/{waiting.pk}/start/", follow=True)
    waiting.refresh_from_db()
    assert waiting.status == Status.ACCEPTED
    assert "Working or Pending Approval" in response.content.decode()


# ---------------------------------------------------------------- the task list


def second_client(admin, plan, name: str):
    slug = name.lower().replace(" ", "")
    company = crm_services.company_create(by=admin, name=name, domain=f"{slug}.test", country="IT")
    user = make_user(
        f"client@{slug}.test", Role.CLIENT, company=company, client_role=ClientRole.ADMIN
    )
    services.subscription_set(by=admin, company=company, plan=plan)
    return company, user


def rows(html: str) -> dict[str, str]:
    """Each accepted row's Start work cell, by task title."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        title = re.search(r'<a href="/app/tasks/\d+/">([^<]+)</a>', row)
        if title and 'class="start"' in row:
            found[unescape(title.group(1))] = row[row.index('class="start"') :]
    return found


def test_the_task_list_offers_start_work_on_accepted_rows(admin, on_duo, client_user, agent, solo):
    fill(client_user, agent, 2)
    accepted(client_user, agent, "Full client's task")
    _company, free_user = second_client(admin, solo, "Free Client")
    accepted(free_user, agent, "Free client's task")
    html = login(agent).get("/app/tasks/?status=accepted").content.decode()
    cells = rows(html)
    assert set(cells) == {"Full client's task", "Free client's task"}
    full = DISABLED.search(cells["Full client's task"])
    assert full and text(full.group(2)) == "Duo plan: 2 of 2 in progress"
    assert "disabled" not in cells["Free client's task"]
    assert 'aria-label="Start work on Free client&#x27;s task"' in cells["Free client's task"]
    # Working rows have no Start work.
    assert "Working 0" in login(agent).get("/app/tasks/").content.decode()
    assert "Working 0" not in rows(login(agent).get("/app/tasks/").content.decode())


def test_the_task_list_reads_slots_in_constant_queries(admin, on_duo, client_user, agent, duo):
    page = login(agent)
    accepted(client_user, agent, "First")
    page.get("/app/tasks/?status=accepted")  # warm up
    with CaptureQueriesContext(connection) as few:
        page.get("/app/tasks/?status=accepted")
    for i in range(4):
        _company, user = second_client(admin, duo, f"Client {i}")
        accepted(user, agent, f"Task of client {i}")
        services.task_start(by=agent, task=accepted(user, agent, f"Working of client {i}"))
    with CaptureQueriesContext(connection) as many:
        response = page.get("/app/tasks/?status=accepted")
    assert len(rows(response.content.decode())) == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_starting_from_the_list_comes_back_to_it(on_duo, client_user, agent):
    task = accepted(client_user, agent, "From the list")
    back = "/app/tasks/?status=accepted&q=From"
    response = login(agent).post(f"/app/tasks/{task.pk}/start/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert Task.objects.get(pk=task.pk).status == Status.WORKING


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/app/tasks/", "//evil.example/", "/app/"]
)
def test_start_goes_back_only_to_the_task_list(on_duo, client_user, agent, elsewhere):
    task = accepted(client_user, agent, "Elsewhere")
    response = login(agent).post(f"/app/tasks/{task.pk}/start/", {"next": elsewhere})
    assert response["Location"] == f"/app/tasks/{task.pk}/"


def test_slots_of_reads_any_number_of_companies_in_two_queries(on_duo, company, other_company):
    with CaptureQueriesContext(connection) as ctx:
        slots = selectors.slots_of([company.pk, other_company.pk])
    assert len(ctx.captured_queries) == 2
    assert slots[company.pk].limit == 2 and slots[company.pk].free
    assert slots[other_company.pk].plan is None and not slots[other_company.pk].free
    assert selectors.slots_of([]) == {}
