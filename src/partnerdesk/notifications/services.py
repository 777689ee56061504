"""Notifications: in-app rows and emails, once per user and cause, as each user prefers."""

from __future__ import annotations

from contextlib import nullcontext

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from partnerdesk.core.records import in_batch, in_first_pass, memoized

from .models import Kind, Notification, Preference
from .tasks import queue_email


def preferences_for(user) -> dict[str, tuple[bool, bool]]:
    prefs = {kind: (True, True) for kind in Kind.values}
    for pref in Preference.objects.filter(user=user):
        prefs[pref.kind] = (pref.in_app, pref.email)
    return prefs


def notify(
    *, users, kind: str, title, body: str = "", url: str = "", dedupe_key: str
) -> list[Notification]:
    """Create each user's notification once (by dedupe_key) and queue its email if wanted.

    ``title`` and ``body`` may be callables taking the user, so each recipient's text is
    rendered in their own language.
    """
    created = []
    users = [u for u in dict.fromkeys(users) if u is not None and u.is_active]
    if in_batch():  # a worker's batch: everyone's choices for the kind, read once per batch
        prefs = memoized(
            ("notification_preferences", kind),
            lambda: {p.user_id: p for p in Preference.objects.filter(kind=kind)},
        )
    else:
        prefs = {p.user_id: p for p in Preference.objects.filter(user__in=users, kind=kind)}
    for user in users:
        pref = prefs.get(user.pk)
        in_app, email = (pref.in_app, pref.email) if pref else (True, True)
        if not (in_app or email):
            continue
        with translation.override(user.language):
            text_title = str(title(user) if callable(title) else title)[:255]
            text_body = str(body(user) if callable(body) else body)
        try:
            # A batch's first pass makes no savepoint: a duplicate there runs the batch again.
            with nullcontext() if in_first_pass() else transaction.atomic():
                notification = Notification.objects.create(
                    user=user,
                    kind=kind,
                    title=text_title,
                    body=text_body,
                    url=url[:500],
                    dedupe_key=dedupe_key[:200],
                    in_app=in_app,
                    email_wanted=email,
                )
        except IntegrityError:
            if in_first_pass():
                raise
            continue  # this cause already notified this user
        created.append(notification)
        if email:
            queue_email(notification.pk)
    return created


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, in_app=True, read_at__isnull=True).count()


def mark_read(*, user, notification_ids=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def set_preferences(*, user, values: dict[str, tuple[bool, bool]]) -> None:
    with transaction.atomic():
        for kind, (in_app, email) in values.items():
            if kind in Kind.values:
                Preference.objects.update_or_create(
                    user=user, kind=kind, defaults={"in_app": in_app, "email": email}
                )
