"""Sign-in throttle per account (across every IP) and the client address behind proxies."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from partnerdesk.accounts import auth, throttle
from partnerdesk.accounts.models import LoginThrottle
from tests.conftest import PASSWORD
from tests.test_settings_env import settings_json

LOGIN = "/accounts/login/"
AFTER = 4
CAP = 60


@pytest.fixture(autouse=True)
def _throttle(settings):
    settings.PARTNERDESK_LOGIN_THROTTLE_AFTER = AFTER
    settings.PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY = CAP


def sign_in(email, password, ip):
    """A sign-in from a fresh browser at ``ip`` (each below axes' per-IP limit)."""
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": email, "password": password})


def blocked_until(email) -> dt.datetime | None:
    return LoginThrottle.objects.get(username=email.lower()).blocked_until


def let_the_wait_pass(email) -> None:
    LoginThrottle.objects.filter(username=email.lower()).update(
        blocked_until=timezone.now() - dt.timedelta(seconds=1)
    )


# ---------------------------------------------------------------- the rule


def test_delays_grow_exponentially_to_the_cap():
    delays = [throttle.delay_after(n).total_seconds() for n in range(1, AFTER + 10)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert throttle.delay_after(10_000).total_seconds() == CAP


@pytest.mark.django_db
def test_failures_count_per_address_and_expire():
    now = timezone.now()
    for _ in range(AFTER):
        assert throttle.login_attempt_wait("Someone@Example.test", now=now) == 0
        throttle.login_failed(" someone@example.test", now=now)
    assert throttle.login_attempt_wait("SOMEONE@example.test", now=now) == 1
    # An hour without a failure: forgotten (and pruned).
    later = now + throttle.RESET_AFTER + dt.timedelta(seconds=1)
    assert throttle.login_attempt_wait("someone@example.test", now=later) == 0
    assert throttle.prune(now=later + dt.timedelta(seconds=1)) == 1


@pytest.mark.django_db
def test_one_attempt_at_a_time_once_throttled():
    now = timezone.now()
    for _ in range(AFTER - 1):
        throttle.login_failed("a@example.test", now=now)
    # The next attempt would start the delay if it failed: it takes the slot, a second one
    # sent at the same moment waits.
    assert throttle.login_attempt_wait("a@example.test", now=now) == 0
    assert throttle.login_attempt_wait("a@example.test", now=now) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_on_a_throttled_account_let_one_through():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    now = timezone.now()
    for _ in range(AFTER):
        throttle.login_failed("race@example.test", now=now - dt.timedelta(seconds=5))
    attempts = 8
    barrier = threading.Barrier(attempts)
    waits, errors = [], []

    def attempt():
        try:
            barrier.wait()
            waits.append(throttle.login_attempt_wait("race@example.test", now=now))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(waits) == [0] + [2] * (attempts - 1)


# ---------------------------------------------------------------- through the sign-in page


@pytest.mark.django_db
def test_guessing_spread_over_many_ips_is_slowed_per_account(agent):
    # Each address fails once: axes (per IP and account) never locks anything.
    for i in range(AFTER):
        response = sign_in(agent.email, f"guess-{i}", f"198.51.100.{i + 1}")
        assert response.status_code == 200
    # From yet another address, even the right password must wait.
    response = sign_in(agent.email, PASSWORD, "203.0.113.9")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    body = response.content.decode()
    assert "Too many attempts for this account; try again in 1 second." in body
    assert "_auth_user_id" not in response.client.session
    assert 'value="agent@agency.test"' in body  # the form comes back filled in

    # A refused attempt is not checked and not counted: the wait does not grow.
    until = blocked_until(agent.email)
    sign_in(agent.email, "another-guess", "203.0.113.10")
    assert blocked_until(agent.email) == until
    assert LoginThrottle.objects.get(username=agent.email).failures == AFTER

    # Each further failure doubles the wait ...
    let_the_wait_pass(agent.email)
    assert sign_in(agent.email, "guess-x", "203.0.113.11").status_code == 200
    response = sign_in(agent.email, PASSWORD, "203.0.113.12")
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert "try again in 2 seconds." in response.content.decode()

    # ... and once it has passed the right password signs in and clears the count.
    let_the_wait_pass(agent.email)
    response = sign_in(agent.email, PASSWORD, "203.0.113.13")
    assert response.status_code == 302
    assert not LoginThrottle.objects.filter(username=agent.email).exists()


@pytest.mark.django_db
def test_the_wait_is_capped_so_no_stranger_can_lock_an_account(agent):
    now = timezone.now()
    for _ in range(AFTER + 20):
        throttle.login_failed(agent.email, now=now)
    response = sign_in(agent.email, PASSWORD, "203.0.113.20")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= CAP


@pytest.mark.django_db
def test_an_unknown_address_is_throttled_alike(agent):
    for i in range(AFTER):
        sign_in("nobody@agency.test", "guess", f"198.51.100.{i + 1}")
    response = sign_in("nobody@agency.test", "guess", "203.0.113.9")
    assert response.status_code == 429  # no hint whether the account exists


@pytest.mark.django_db
def test_other_accounts_are_not_slowed(agent, manager):
    for i in range(AFTER):
        sign_in(agent.email, "guess", f"198.51.100.{i + 1}")
    assert sign_in(manager.email, PASSWORD, "198.51.100.1").status_code == 302


@pytest.mark.django_db
def test_axes_still_locks_an_account_and_ip_pair(agent, settings):
    settings.PARTNERDESK_LOGIN_THROTTLE_AFTER = 100
    client = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": agent.email, "password": f"wrong-{i}"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


@pytest.mark.django_db
def test_api_tokens_are_not_throttled(agent, api_client_for):
    api = api_client_for(agent)
    for i in range(AFTER + 3):
        sign_in(agent.email, "guess", f"198.51.100.{i + 1}")
    assert sign_in(agent.email, PASSWORD, "203.0.113.9").status_code == 429
    assert api.get("/api/companies").status_code == 200


# ---------------------------------------------------------------- the client address


def request_from(remote, forwarded=None, header="HTTP_X_FORWARDED_FOR"):
    extra = {header: forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.1"),  # no proxy configured: a client's header is ignored
        (1, None, "10.0.0.1"),  # configured, but nothing forwarded
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the left part is the client's own
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the first proxy's view
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.PARTNERDESK_PROXY_COUNT = count
    settings.PARTNERDESK_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert auth.client_ip(request_from("10.0.0.1", forwarded)) == expected


def test_client_ip_from_another_header(settings):
    settings.PARTNERDESK_PROXY_COUNT = 1
    settings.PARTNERDESK_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = request_from("10.0.0.1", "203.0.113.5", header="HTTP_X_REAL_IP")
    assert auth.client_ip(request) == "203.0.113.5"


@pytest.mark.django_db
def test_behind_a_proxy_one_client_does_not_lock_out_another(agent, settings):
    settings.PARTNERDESK_PROXY_COUNT = 1
    settings.PARTNERDESK_LOGIN_THROTTLE_AFTER = 100
    proxy = "10.0.0.1"  # every request arrives from the proxy
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.66")
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = attacker.post(LOGIN, {"username": agent.email, "password": f"wrong-{i}"})
    assert response.status_code == 429  # the attacker's address is locked ...
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    response = owner.post(LOGIN, {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 302  # ... the account's owner, behind the same proxy, is not


def test_proxy_settings_come_from_the_environment(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PARTNERDESK_DATA_DIR": str(tmp_path),
        "PARTNERDESK_PROXY_COUNT": "2",
        "PARTNERDESK_CLIENT_IP_HEADER": "X-Real-IP",
        "PARTNERDESK_LOGIN_THROTTLE_AFTER": "7",
        "PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY": "120",
    }
    values = settings_json(
        env,
        "[s.PARTNERDESK_PROXY_COUNT, s.PARTNERDESK_CLIENT_IP_HEADER, s.AXES_CLIENT_IP_CALLABLE,"
        " s.PARTNERDESK_LOGIN_THROTTLE_AFTER, s.PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY]",
    )
    assert values == [2, "HTTP_X_REAL_IP", "partnerdesk.accounts.auth.client_ip", 7, 120]
    defaults = settings_json(
        {k: v for k, v in env.items() if not k.startswith("PARTNERDESK_") or "DATA" in k},
        "[s.PARTNERDESK_PROXY_COUNT, s.PARTNERDESK_CLIENT_IP_HEADER]",
    )
    assert defaults == [0, "HTTP_X_FORWARDED_FOR"]
