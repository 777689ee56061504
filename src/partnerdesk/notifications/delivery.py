"""Sending a notification by email, and the retry schedule every outgoing email shares."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Notification

log = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 5


def mailer():
    """The default mailer; ``with mailer() as connection:`` sends several emails over one
    connection."""
    return mailers["default"]


def send_email(notification: Notification) -> None:
    email_message(notification).send()


def email_message(notification: Notification) -> EmailMultiAlternatives:
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
    return message


def backoff(attempt: int) -> dt.timedelta:
    """1, 2, 4, 8, … minutes, at most an hour."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempt - 1)))
