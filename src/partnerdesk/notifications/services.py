"""Notifications: in-app rows and emails, once per user and cause, as each user prefers."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Kind, Notification, Preference

log = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 5


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
            with transaction.atomic():
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
            continue  # this cause already notified this user
        created.append(notification)
        if email:
            from .tasks import send_notification_email

            transaction.on_commit(
                lambda pk=notification.pk: send_notification_email.enqueue(notification_id=pk)
            )
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


def send_email(notification: Notification) -> None:
    user = notification.user
    with translation.override(user.language):
        context = {
            "notification": notification,
            "user": user,
            "url": settings.SITE_URL + notification.url
            if notification.url.startswith("/")
            else notification.url,
            "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
            "preferences_url": settings.SITE_URL + reverse("notifications:preferences"),
        }
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(
        notification.title, text, settings.DEFAULT_FROM_EMAIL, [user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def backoff(attempt: int) -> dt.timedelta:
    """1, 2, 4, 8, … minutes, at most an hour."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempt - 1)))
