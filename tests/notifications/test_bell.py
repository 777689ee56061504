"""The bell in every page's header (issue 15, item 6): its unread count arrives with the page,
loaded with the signed-in user (no query of its own, no empty badge filled in after load); it
opens a panel in place with the latest notifications and "Mark all read"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.notifications.views import PANEL_SIZE
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

COUNT = re.compile(
    r'<span id="bell-count"[^>]*>\s*<span class="count" id="unread-count"[^>]*>(\d+)<'
)


def notify(user, n: int, *, read: bool = False, in_app: bool = True, prefix: str = "Notice"):
    now = timezone.now()
    made = [
        Notification.objects.create(
            user=user,
            kind=Kind.TASK,
            title=f"{prefix} {i}",
            url=f"/app/tasks/?n={i}",
            dedupe_key=f"{prefix}-{i}",
            read_at=now if read else None,
            in_app=in_app,
        )
        for i in range(n)
    ]
    # Newest last: created_at is auto_now_add, so spread them out for a stable order.
    for i, item in enumerate(made):
        Notification.objects.filter(pk=item.pk).update(created_at=now - dt.timedelta(minutes=n - i))
    return made


def test_the_count_arrives_with_the_page(agent, admin):
    notify(agent, 3)
    notify(agent, 2, read=True, prefix="Old")
    notify(agent, 4, in_app=False, prefix="Email only")
    notify(admin, 5, prefix="Not yours")
    html = login(agent).get("/app/").content.decode()
    assert COUNT.search(html).group(1) == "3"
    # The periodic refresh stays; the request on load that filled an empty badge is gone.
    bell = html[
        html.index('<details class="bell"') : html.index(
            "</details>", html.index('<details class="bell"')
        )
    ]
    assert 'hx-trigger="every 30s"' in bell
    assert "load" not in re.search(r'hx-trigger="([^"]*)"', bell).group(1)


def test_no_unread_shows_no_badge(agent):
    notify(agent, 2, read=True)
    html = login(agent).get("/app/").content.decode()
    assert 'id="unread-count"' not in html
    assert 'id="bell-count"' in html  # the refresh target is there all the same


def test_the_count_costs_no_query_of_its_own(agent):
    notify(agent, 2)
    client = login(agent)
    client.get("/notifications/badge/")  # warm up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/notifications/badge/")
    assert ">2<" in response.content.decode()
    touching = [q["sql"] for q in ctx.captured_queries if "notifications_notification" in q["sql"]]
    assert len(touching) == 1 and "accounts_user" in touching[0], touching  # the user's query
    assert len(ctx.captured_queries) == 2  # the session, the user with the count


def test_a_client_user_has_the_bell_too(client_user):
    notify(client_user, 1)
    html = login(client_user).get("/portal/").content.decode()
    assert COUNT.search(html).group(1) == "1"


def test_the_panel_lists_the_latest_with_the_unread_marked(agent, admin):
    notify(agent, PANEL_SIZE + 3)
    notify(admin, 2, prefix="Not yours")
    Notification.objects.filter(user=agent, title="Notice 10").update(read_at=timezone.now())
    response = login(agent).get("/notifications/panel/")
    assert response.status_code == 200
    html = response.content.decode()
    titles = re.findall(r"<button class=\"link\"><span dir=\"auto\">(Notice \d+)", html)
    assert titles == [f"Notice {i}" for i in range(PANEL_SIZE + 2, 2, -1)]  # newest first
    assert "Not yours" not in html
    assert html.count('<li class="unread">') == PANEL_SIZE - 1
    assert 'id="bell-mark-all"' in html and 'name="panel" value="1"' in html
    assert 'href="/notifications/"' in html  # every notification, on its page
    # Each item opens its record and is marked read on the way (the list's form).
    assert (
        f'name="open" value="{Notification.objects.get(user=agent, title="Notice 4").pk}"' in html
    )
    # The badge is refreshed out of band with the panel.
    assert re.search(r'<span id="bell-count" hx-swap-oob="innerHTML">.*>10<', html, re.S)


def test_an_empty_panel_says_so(agent):
    html = login(agent).get("/notifications/panel/").content.decode()
    assert "No notifications." in html


def test_mark_all_read_in_the_panel_redraws_it_with_no_count(agent, admin):
    notify(agent, 3)
    notify(admin, 2, prefix="Not yours")
    response = login(agent).post(
        "/notifications/read/", {"panel": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<li class="unread">' not in html and "Notice 0" in html
    assert 'id="unread-count"' not in html  # the out-of-band badge is empty
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=admin, read_at__isnull=True).count() == 2


def test_mark_all_read_without_javascript_falls_back_to_the_notifications_page(agent):
    notify(agent, 3)
    response = login(agent).post("/notifications/read/", {"panel": "1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()


def test_the_panel_needs_a_signed_in_user(client):
    response = client.get("/notifications/panel/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_session_signed_in_through_the_form_loads_the_count(agent, client):
    """The sign-in form's backend is the one that loads the count (accounts.auth.UserBackend)."""
    notify(agent, 2)
    response = client.post("/accounts/login/", {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    assert COUNT.search(client.get("/app/").content.decode()).group(1) == "2"
