"""Notifications: SLA alerts to the ticket owner and the pipeline's team once per target,
per-user preferences, the unread badge, marking read (pages and API), email retries."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import engine
from partnerdesk.core.models import Event
from partnerdesk.notifications import services as notification_services
from partnerdesk.notifications.models import Kind, Notification, Preference
from partnerdesk.tickets import services as tickets
from tests.automation import run_deferred
from tests.automation.conftest import free_port
from tests.conftest import login, make_user
from tests.tickets import open_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch")]

H = dt.timedelta(hours=1)


@pytest.fixture
def team(support_lead):
    """The Email Creation pipeline's team: the lead and an Italian-speaking member."""
    member = make_user("member-it@agency.test", Role.AGENT, language="it")
    Team.objects.get(name="Support Team").members.add(member)
    return [support_lead, member]


@pytest.fixture
def breached(agent, company):
    """An Email Creation ticket (48 h resolution target) opened 100 hours ago, owned by agent."""
    return open_ticket(
        agent, "Email Creation", now=timezone.now() - 100 * H, company=company, owner=agent
    )


def sla_notes(kind=None):
    qs = Notification.objects.filter(kind__in=[Kind.SLA_DUE_SOON, Kind.SLA_BREACHED])
    return qs.filter(kind=kind) if kind else qs


def test_a_breached_ticket_notifies_its_owner_and_the_pipeline_team_once(
    agent, team, breached, committed, mailbox
):
    recipients = [agent, *team]
    for _ in range(3):
        with committed():
            tickets.sla_sweep()
    [event] = Event.objects.filter(kind="ticket.sla_breached")
    assert event.processed_at is not None
    # Processed again (a retried task, a second worker): no second notification.
    assert engine.process_event(event.pk) == 0
    Event.objects.filter(pk=event.pk).update(processed_at=None)
    with committed():
        engine.process_event(event.pk)

    notes = sla_notes()
    assert sorted(n.user_id for n in notes) == sorted(u.pk for u in recipients)
    assert {n.kind for n in notes} == {Kind.SLA_BREACHED}
    by_user = {n.user_id: n for n in notes}
    assert by_user[agent.pk].title == f"SLA breached (resolution): {breached.name}"
    assert by_user[team[1].pk].title == f"SLA violato (risoluzione): {breached.name}"
    assert by_user[agent.pk].url == f"/app/tickets/{breached.pk}/"
    assert "was due at" in by_user[agent.pk].body
    for user in recipients:
        [received] = mailbox.to(user.email)
        assert received.subject == by_user[user.pk].title
        assert by_user[user.pk].body in received.text
    assert len(mailbox.messages) == len(recipients)


def test_due_soon_then_breached_each_notify_once_per_target(
    agent, team, company, committed, mailbox
):
    ticket = open_ticket(agent, "Email Creation", now=timezone.now(), company=company, owner=agent)
    warn, due = ticket.resolution_warn_at, ticket.resolution_due_at
    assert warn < due

    for now in (warn + H / 60, warn + H / 30, due + H / 60, due + H, due + 10 * H):
        with committed():
            tickets.sla_sweep(now=now)

    recipients = {agent.pk, *(u.pk for u in team)}
    for kind in (Kind.SLA_DUE_SOON, Kind.SLA_BREACHED):
        assert sorted(sla_notes(kind).values_list("user_id", flat=True)) == sorted(recipients)
    assert len(mailbox.messages) == 2 * len(recipients)
    subjects = sorted(m.subject for m in mailbox.to(agent.email))
    assert subjects == [
        f"SLA breached (resolution): {ticket.name}",
        f"SLA due soon (resolution): {ticket.name}",
    ]


def test_the_owner_in_the_team_is_notified_once(agent, breached, committed, mailbox):
    Team.objects.get(name="Support Team").members.add(agent)
    with committed():
        tickets.sla_sweep()
    assert list(sla_notes().values_list("user_id", flat=True)) == [agent.pk]
    assert len(mailbox.to(agent.email)) == 1


# ---------------------------------------------------------------- preferences


def preferences_form(**overrides) -> dict:
    data = {}
    for kind in Kind.values:
        for channel in ("in_app", "email"):
            if overrides.get(f"{kind}__{channel}", True):
                data[f"{kind}__{channel}"] = "on"
    return data


def test_preferences_choose_the_channels(agent, breached, committed, mailbox):
    team = Team.objects.get(name="Support Team")
    email_off = make_user("email-off@agency.test", Role.AGENT)
    app_off = make_user("app-off@agency.test", Role.AGENT)
    both_off = make_user("both-off@agency.test", Role.AGENT)
    other_kind_off = make_user("other-off@agency.test", Role.AGENT)
    team.members.add(email_off, app_off, both_off, other_kind_off)
    notification_services.set_preferences(user=email_off, values={"sla_breached": (True, False)})
    page = login(app_off).post(
        "/notifications/preferences/", preferences_form(sla_breached__in_app=False)
    )
    assert page.status_code == 302
    assert Preference.objects.get(user=app_off, kind="sla_breached").in_app is False
    login(both_off).post(
        "/notifications/preferences/",
        preferences_form(sla_breached__in_app=False, sla_breached__email=False),
    )
    notification_services.set_preferences(
        user=other_kind_off, values={"sla_due_soon": (False, False)}
    )

    with committed():
        tickets.sla_sweep()

    def note(user):
        return Notification.objects.filter(user=user).first()

    assert note(email_off).in_app and not note(email_off).email_wanted
    assert mailbox.to(email_off.email) == []
    assert notification_services.unread_count(email_off) == 1

    assert not note(app_off).in_app and note(app_off).email_wanted
    assert len(mailbox.to(app_off.email)) == 1
    assert notification_services.unread_count(app_off) == 0
    assert breached.name not in login(app_off).get("/notifications/").content.decode()

    assert note(both_off) is None and mailbox.to(both_off.email) == []
    assert note(other_kind_off).in_app and len(mailbox.to(other_kind_off.email)) == 1
    assert len(mailbox.to(agent.email)) == 1  # no preference row: both channels


def test_the_preferences_page_shows_the_current_choices(agent):
    notification_services.set_preferences(user=agent, values={"workflow": (False, True)})
    html = login(agent).get("/notifications/preferences/").content.decode()

    def checkbox(name):
        [tag] = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
        return " checked" in tag

    assert not checkbox("workflow__in_app") and checkbox("workflow__email")
    assert checkbox("sla_breached__in_app") and checkbox("sla_breached__email")
    assert notification_services.preferences_for(agent)["workflow"] == (False, True)
    assert notification_services.preferences_for(agent)["sla_breached"] == (True, True)


# ---------------------------------------------------------------- badge, list, marking read


def test_unread_badge_list_and_mark_read(agent, breached, committed, client):
    with committed():
        tickets.sla_sweep()
    web = login(agent)
    note = Notification.objects.get(user=agent)

    badge = web.get("/notifications/badge/").content.decode()
    assert 'id="unread-count"' in badge and ">1</span>" in badge
    page = web.get("/app/").content.decode()
    assert 'hx-get="/notifications/badge/"' in page and "every" in page  # polled, no reload
    assert note.title in web.get("/notifications/").content.decode()
    assert note.title in web.get("/notifications/?unread=1").content.decode()

    opened = web.post("/notifications/read/", {"id": note.pk, "open": note.pk})
    assert opened.status_code == 302 and opened["Location"] == f"/app/tickets/{breached.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert "unread-count" not in web.get("/notifications/badge/").content.decode()
    assert note.title not in web.get("/notifications/?unread=1").content.decode()
    assert client.get("/notifications/badge/").status_code == 302  # signed out: to the login


def test_notifications_api(agent, support_lead, breached, committed, api_client_for):
    with committed():
        tickets.sla_sweep()
    Team.objects.get(name="Email Provisioning").members.add(agent)
    with committed():
        notification_services.notify(
            users=[agent, support_lead], kind=Kind.WORKFLOW, title="Hello", dedupe_key="test:1"
        )
    api = api_client_for(agent)

    listed = api.get("/api/notifications").json()
    assert listed["count"] == 2 and listed["unread"] == 2
    assert [i["title"] for i in listed["items"]] == [
        "Hello",
        f"SLA breached (resolution): {breached.name}",
    ]
    first = listed["items"][0]["id"]
    lead_note = Notification.objects.get(user=support_lead, title="Hello")

    def mark(body):
        response = api.post("/api/notifications/read", json.dumps(body), "application/json")
        assert response.status_code == 200, response.content
        return response.json()

    assert mark({"ids": [first, lead_note.pk]}) == {"marked": 1, "unread": 1}  # not the lead's
    assert Notification.objects.get(pk=lead_note.pk).read_at is None
    assert api.get("/api/notifications?unread=true").json()["count"] == 1
    assert mark({}) == {"marked": 1, "unread": 0}
    assert api.get("/api/notifications?unread=true").json()["items"] == []
    assert api.get("/api/notifications").json()["count"] == 2
    bad = api.post("/api/notifications/read", json.dumps({"ids": "all"}), "application/json")
    assert bad.status_code == 422


# ---------------------------------------------------------------- email delivery retries


def test_an_email_that_cannot_be_sent_is_retried_with_backoff(
    agent, breached, committed, mailbox, smtp_server, settings, deferring_tasks
):
    _collector, port = smtp_server
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 5},
        }
    }
    before = timezone.now()
    with committed():
        tickets.sla_sweep()

    note = Notification.objects.get(user=agent)
    assert note.emailed_at is None and note.email_attempts == 1 and note.email_error
    [retry] = deferring_tasks
    assert retry.kwargs == {"notification_id": note.pk}
    assert retry.task.run_after - before >= dt.timedelta(minutes=1)
    assert mailbox.messages == []

    settings.MAILERS["default"]["OPTIONS"]["port"] = port  # the mail server is back
    assert run_deferred() == ["sent"]
    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_attempts == 2 and note.email_error == ""
    assert [m.subject for m in mailbox.to(agent.email)] == [note.title]
    # Never twice: a duplicate task finds it sent.
    from partnerdesk.notifications.tasks import send_notification_email

    assert send_notification_email.call(notification_id=note.pk) == "skipped"
