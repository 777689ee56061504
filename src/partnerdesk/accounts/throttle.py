"""Sign-in throttle per account: a growing delay, never a lockout a stranger can trigger.

django-axes locks one (address, IP) pair after ``AXES_FAILURE_LIMIT`` failures; guessing spread
over many IPs never reaches that limit. This throttle counts the failed sign-ins of an address
whatever IP they come from:

- the first ``PARTNERDESK_LOGIN_THROTTLE_AFTER`` failures cost nothing;
- from then on, after each failure the next attempt for that address must wait 1, 2, 4, 8, …
  seconds, capped at ``PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY`` (a few minutes);
- an attempt made while it must wait is answered 429 "try again in N seconds" *without*
  checking the password and without counting, so nobody can push the wait past the cap: a
  stranger can slow an account down, never lock it for an hour;
- a successful sign-in clears the count, and so does ``RESET_AFTER`` without any failure.

Once the count is past the free failures, an attempt first takes the one slot with a
conditional UPDATE (the wait it would cause if it failed), so attempts sent at the same moment
cannot all slip through between two failures. Any address typed in is throttled alike, an
account's or not, so the answer never tells whether an account exists.

Only the sign-in form is throttled: API tokens and password reset links do not go through it.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from .models import LoginThrottle

# Failures are forgotten after this long without another one.
RESET_AFTER = dt.timedelta(hours=1)


def normalize(username: str) -> str:
    """The key of an address: "Agent@X.test " and "agent@x.test" share one count."""
    return username.strip().lower()


def free_failures() -> int:
    return max(settings.PARTNERDESK_LOGIN_THROTTLE_AFTER, 1)


def delay_after(failures: int) -> dt.timedelta:
    """The wait after the ``failures``-th failure in a row (none before the free ones run out)."""
    over = failures - free_failures()
    if over < 0:
        return dt.timedelta(0)
    cap = settings.PARTNERDESK_LOGIN_THROTTLE_MAX_DELAY
    return dt.timedelta(seconds=min(2 ** min(over, 30), cap))


def _current_failures(row: LoginThrottle, now: dt.datetime) -> int:
    return row.failures if row.last_failure_at >= now - RESET_AFTER else 0


def _seconds_until(when: dt.datetime, now: dt.datetime) -> int:
    return max(math.ceil((when - now).total_seconds()), 1)


def login_attempt_wait(username: str, *, now: dt.datetime | None = None) -> int:
    """Seconds the caller must wait before this attempt is checked; 0: go ahead."""
    now = now or timezone.now()
    key = normalize(username)
    row = LoginThrottle.objects.filter(username=key).first()
    if row is None:
        return 0
    if row.blocked_until and row.blocked_until > now:
        return _seconds_until(row.blocked_until, now)
    upcoming = _current_failures(row, now) + 1
    if upcoming < free_failures():
        return 0
    # Should this attempt fail, the next one waits: take the slot now, so only one attempt
    # at a time gets checked while the account is throttled.
    taken = (
        LoginThrottle.objects.filter(pk=row.pk)
        .filter(Q(blocked_until__isnull=True) | Q(blocked_until__lte=now))
        .update(blocked_until=now + delay_after(upcoming))
    )
    if taken:
        return 0
    row.refresh_from_db(fields=["blocked_until"])
    return _seconds_until(row.blocked_until, now) if row.blocked_until else 0


@transaction.atomic
def login_failed(username: str, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    row, _created = LoginThrottle.objects.select_for_update().get_or_create(
        username=normalize(username), defaults={"last_failure_at": now}
    )
    row.failures = _current_failures(row, now) + 1
    row.last_failure_at = now
    wait = delay_after(row.failures)
    row.blocked_until = now + wait if wait else None
    row.save(update_fields=["failures", "last_failure_at", "blocked_until"])


def login_succeeded(username: str) -> None:
    LoginThrottle.objects.filter(username=normalize(username)).delete()


def prune(*, now: dt.datetime | None = None) -> int:
    """Forget the counts nobody added to for ``RESET_AFTER`` (they count as zero already)."""
    now = now or timezone.now()
    return LoginThrottle.objects.filter(
        Q(blocked_until__isnull=True) | Q(blocked_until__lt=now),
        last_failure_at__lt=now - RESET_AFTER,
    ).delete()[0]


def wait_message(seconds: int) -> str:
    return ngettext(
        "Too many attempts for this account; try again in %(seconds)d second.",
        "Too many attempts for this account; try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}
