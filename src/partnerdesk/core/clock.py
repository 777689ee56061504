"""The one source of "now" for business rules, so tests (even of a live server) can set time."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()
