"""Renewal reminders (issue 12): emailed to whoever owns the renewal's communication on each
configured day before the deadline, once each, also when the job runs twice or from two
workers at once; never after *end services*. The emails really travel over SMTP (``mailbox``).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.core import periodic
from partnerdesk.core.events import describe, timeline
from partnerdesk.dashboard import reminders, services
from partnerdesk.dashboard.events import DashboardEvent
from partnerdesk.dashboard.models import OwnerMode, RenewalReminder, RenewalStatus
from partnerdesk.partner_program import services as pp_services
from tests.conftest import make_user

from .conftest import DEADLINE, RENEWS_ON, subscribe

pytestmark = pytest.mark.django_db

# The default reminder days before the deadline of 2027-01-15.
DUE_DAYS = {
    dt.date(2026, 12, 16): 30,
    dt.date(2027, 1, 1): 14,
    dt.date(2027, 1, 8): 7,
    dt.date(2027, 1, 14): 1,
}


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


@pytest.fixture
def partner_owned(manager, account, point_of_contact):
    return services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.PARTNER, point_of_contact=point_of_contact
    )


def test_reminders_fire_on_the_configured_days_and_never_twice(
    mailbox, set_today, subscription, partner_owned, point_of_contact
):
    sent_on: dict[dt.date, int] = {}
    for day in days(dt.date(2026, 12, 1), dt.date(2027, 1, 20)):
        set_today(day)
        before = len(mailbox.messages)
        # The job runs twice a day: the second run finds every reminder already sent.
        assert reminders.send_renewal_reminders() in (0, 1)
        assert reminders.send_renewal_reminders() == 0
        if len(mailbox.messages) > before:
            sent_on[day] = len(mailbox.messages) - before
    assert sent_on == dict.fromkeys(DUE_DAYS, 1)
    assert sorted(RenewalReminder.objects.values_list("days_before", flat=True)) == [1, 7, 14, 30]
    assert all(m.rcpt_tos == [point_of_contact.email] for m in mailbox.messages)


def test_the_periodic_job_sends_through_the_scheduler_once_per_period(
    mailbox, set_today, subscription, partner_owned
):
    assert "renewal_reminders" in {job.name for job in periodic.JOBS}
    set_today(dt.date(2026, 12, 16))
    now = dt.datetime(2026, 12, 16, 9, 0, tzinfo=dt.UTC)
    assert "renewal_reminders" in periodic.enqueue_due_jobs(now=now)  # immediate backend in tests
    assert "renewal_reminders" not in periodic.enqueue_due_jobs(now=now)
    # A later period runs the job again: the reminder is already sent.
    assert "renewal_reminders" in periodic.enqueue_due_jobs(now=now + dt.timedelta(hours=1))
    assert len(mailbox.messages) == 1


def test_a_late_run_sends_the_latest_reminder_due_once(
    mailbox, set_today, subscription, partner_owned
):
    set_today(dt.date(2027, 1, 9))  # no run since before the 30-day reminder
    assert reminders.send_renewal_reminders() == 1
    assert list(RenewalReminder.objects.values_list("days_before", flat=True)) == [7]
    set_today(dt.date(2027, 1, 14))
    assert reminders.send_renewal_reminders() == 1
    set_today(dt.date(2027, 1, 16))  # past the deadline: nothing more
    assert reminders.send_renewal_reminders() == 0
    assert len(mailbox.messages) == 2


def test_configured_days_are_used(mailbox, set_today, admin, subscription, partner_owned):
    services.renewal_settings_update(by=admin, reminder_days=[10, 3])
    sent = []
    for day in days(dt.date(2026, 12, 1), DEADLINE):
        set_today(day)
        if reminders.send_renewal_reminders():
            sent.append(day)
    assert sent == [dt.date(2027, 1, 5), dt.date(2027, 1, 12)]


def test_end_services_stops_them(mailbox, set_today, manager, account, subscription, partner_owned):
    set_today(dt.date(2026, 12, 16))
    assert reminders.send_renewal_reminders() == 1
    pp_services.services_end(by=manager, account=account, reason="The client moved agency")
    for day in DUE_DAYS:
        set_today(day)
        assert reminders.send_renewal_reminders() == 0
    assert len(mailbox.messages) == 1


def test_a_decided_renewal_gets_no_more_reminders(
    mailbox, set_today, manager, subscription, partner_owned
):
    set_today(dt.date(2026, 12, 16))
    assert reminders.send_renewal_reminders() == 1
    services.renewal_update(by=manager, subscription=subscription, status=RenewalStatus.CONFIRMED)
    set_today(dt.date(2027, 1, 1))
    assert reminders.send_renewal_reminders() == 0


def test_partner_owner_sends_to_the_point_of_contact_in_their_language(
    mailbox,
    set_today,
    manager,
    account,
    subscription,
    decision_maker,
    partner_user,
    point_of_contact,
):
    services.renewal_owner_set(
        by=manager,
        account=account,
        mode=OwnerMode.HUBSPOT,
        decision_maker=decision_maker,
        copied_user=partner_user,
    )
    set_today(dt.date(2026, 12, 16))
    assert reminders.send_renewal_reminders() == 1
    # Switching the owner to Partner sends the next reminder to the point of contact only.
    services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.PARTNER, point_of_contact=point_of_contact
    )
    set_today(dt.date(2027, 1, 1))
    assert reminders.send_renewal_reminders() == 1
    message = mailbox.messages[-1]
    assert message.rcpt_tos == ["poc@agency.test"]
    assert message.message["To"] == "poc@agency.test" and message.message["Cc"] is None
    assert 'lang="it"' in message.html  # the point of contact reads Italian
    assert "Marketing Hub Professional" in message.text
    assert f"/app/partner/accounts/{account.pk}/" in message.text  # written for the agency
    assert message.message["Auto-Submitted"] == "auto-generated"


def test_hubspot_owner_sends_to_the_decision_maker_with_the_partner_user_copied(
    mailbox, set_today, manager, account, subscription, decision_maker, partner_user
):
    services.renewal_owner_set(
        by=manager,
        account=account,
        mode=OwnerMode.HUBSPOT,
        decision_maker=decision_maker,
        copied_user=partner_user,
    )
    set_today(dt.date(2026, 12, 16))
    assert reminders.send_renewal_reminders() == 1
    (message,) = mailbox.messages
    assert message.message["To"] == "layla@acme-dental.com"
    assert message.message["Cc"] == "copied@agency.test"
    assert sorted(message.rcpt_tos) == ["copied@agency.test", "layla@acme-dental.com"]
    assert "Hello Layla Hassan" in message.text  # written for the client
    assert "/app/partner/" not in message.text  # no link into the agency's app
    assert "30 days left" in message.text
    # The timeline of the client's account says who got it.
    (event,) = [e for e in timeline(account) if e.kind == DashboardEvent.RENEWAL_REMINDER_SENT]
    assert event.data["to"] == ["layla@acme-dental.com"] and event.data["days_before"] == 30
    assert "copied to copied@agency.test" in describe(event)


def test_the_decision_maker_reads_the_language_of_their_user_account(
    mailbox, set_today, manager, account, subscription, decision_maker
):
    make_user(
        "layla@acme-dental.com",
        Role.CLIENT,
        company=account.company,
        client_role=ClientRole.ADMIN,
        language="ar",
    )
    services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.HUBSPOT, decision_maker=decision_maker
    )
    set_today(dt.date(2026, 12, 16))
    assert reminders.send_renewal_reminders() == 1
    assert 'lang="ar" dir="rtl"' in mailbox.messages[0].html


def test_the_default_setting_decides_and_falls_back_to_a_person(
    mailbox, set_today, admin, manager, account, subscription, point_of_contact, decision_maker
):
    set_today(dt.date(2026, 12, 16))
    # No owner row, default Partner, no point of contact anywhere, no company owner: nobody.
    assert reminders.send_renewal_reminders() == 0
    services.renewal_settings_update(by=admin, default_point_of_contact=point_of_contact)
    assert reminders.send_renewal_reminders() == 1
    assert mailbox.messages[-1].rcpt_tos == [point_of_contact.email]
    # Default HubSpot with the client's decision maker chosen (mode: default setting).
    services.renewal_settings_update(by=admin, default_owner="hubspot")
    services.renewal_owner_set(
        by=manager, account=account, mode=OwnerMode.DEFAULT, decision_maker=decision_maker
    )
    set_today(dt.date(2027, 1, 1))
    assert reminders.send_renewal_reminders() == 1
    assert mailbox.messages[-1].rcpt_tos == ["layla@acme-dental.com"]


def test_renewals_of_one_client_and_date_go_out_as_one_email(
    mailbox, set_today, manager, account, subscription, partner_owned
):
    subscribe(manager, account, product="Sales Hub Starter", mrr="50")
    subscribe(manager, account, product="CMS Hub", renews_on=dt.date(2027, 4, 1))
    set_today(dt.date(2026, 12, 16))
    assert reminders.send_renewal_reminders() == 1
    text = mailbox.messages[0].text
    assert "Marketing Hub Professional" in text and "Sales Hub Starter" in text
    assert "CMS Hub" not in text
    assert RenewalReminder.objects.count() == 2


def test_a_failed_send_is_tried_again_by_the_next_run(
    mailbox, set_today, settings, subscription, partner_owned
):
    set_today(dt.date(2026, 12, 16))
    mailers = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    assert reminders.send_renewal_reminders() == 0
    assert not RenewalReminder.objects.exists()
    settings.MAILERS = mailers
    assert reminders.send_renewal_reminders() == 1
    assert len(mailbox.messages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(
    mailbox, set_today, subscription, partner_owned
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    set_today(dt.date(2026, 12, 16))
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[int] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            n = reminders.send_renewal_reminders()
            with lock:
                results.append(n)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [0] * (workers - 1) + [1]
    assert len(mailbox.messages) == 1
    assert RenewalReminder.objects.count() == 1


def test_renewal_date_2027_03_01_has_its_reminders_around_the_deadline_2027_01_15():
    assert RENEWS_ON - dt.timedelta(days=45) == DEADLINE
