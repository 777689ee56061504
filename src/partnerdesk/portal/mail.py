"""Task message emails: each message goes to the other side with its full content, and a
personal reply address that lets the recipient answer without signing in (see inbound.py).

The reply address is ``reply+<token>@PARTNERDESK_REPLY_DOMAIN``; the token names the task and
the recipient and is signed (HMAC of the secret key), so a reply can only be posted on that
task, as that person. Tokens, the pipeline that reads replies and the bounces are shared with
the tickets (``notifications.inbound``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.tasks import task as background_task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from partnerdesk.core import clock
from partnerdesk.core.queue import enqueue_later
from partnerdesk.notifications.delivery import backoff
from partnerdesk.notifications.inbound import tokens
from partnerdesk.notifications.models import Kind, Notification

from .models import Message
from .recipients import agency_recipients, client_recipients

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


# ---------------------------------------------------------------- the signed reply token

# Task tokens are the four-part shape of notifications.inbound.tokens (no prefix), signed with
# the salt they always had, so reply addresses on emails sent before still work.
REPLY_KIND = "task"
SALT = "partnerdesk.portal.reply"
tokens.register_token_kind(REPLY_KIND, prefix="", salt=SALT)
BadToken = tokens.BadToken


def make_token(task_id: int, user_id: int, *, now: dt.datetime | None = None) -> str:
    """``<task>-<user>-<hours since 2024, base 36>-<signature>``: within a 64-character local
    part and made only of letters, digits and hyphens."""
    return tokens.make_token(REPLY_KIND, task_id, user_id, now=now or clock.now())


@dataclass(frozen=True)
class Token:
    task_id: int
    user_id: int
    issued_at: dt.datetime


def read_token(token: str) -> Token:
    parsed = tokens.read_token(token)
    if parsed.kind != REPLY_KIND:
        raise BadToken(token)
    return Token(parsed.object_id, parsed.person_id, parsed.issued_at)


def reply_address(task_id: int, user_id: int) -> str:
    return f"reply+{make_token(task_id, user_id)}@{settings.PARTNERDESK_REPLY_DOMAIN}"


def thread_id(task_id: int) -> str:
    return f"<task-{task_id}@{settings.PARTNERDESK_REPLY_DOMAIN}>"


def message_id(message_pk: int, user_id: int) -> str:
    return f"<message-{message_pk}-{user_id}@{settings.PARTNERDESK_REPLY_DOMAIN}>"


# ---------------------------------------------------------------- sending


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def send_message_emails(message_pk: int, attempt: int = 0) -> int:
    """Email a message to each recipient of the other side once; returns how many were sent.

    "Once" is a Notification row per recipient with the dedupe key ``message:<id>`` (unique per
    user), claimed before sending: a retried task skips recipients already claimed.
    """
    message = (
        Message.objects.select_related("task__company", "task__assignee", "task__requested_by")
        .select_related("author")
        .filter(pk=message_pk)
        .first()
    )
    if message is None:
        return 0
    task = message.task
    recipients = client_recipients(task) if message.from_agency else agency_recipients(task)
    attachments = list(message.attachments.all())
    sent, failed = 0, False
    for user in recipients:
        if user.pk == message.author_id or not user.email:
            continue
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user,
                    kind=Kind.TASK,
                    title=task.title[:255],
                    body=message.body,
                    url=reverse(
                        "taskdesk:detail" if user.is_agency_staff else "portal:task_detail",
                        kwargs={"pk": task.pk},
                    ),
                    dedupe_key=f"message:{message.pk}",
                    in_app=True,
                    email_wanted=True,
                )
        except IntegrityError:
            continue  # already sent to this user (a retried task)
        try:
            _send_one(message, user, attachments)
        except Exception:
            # Release the claim so that the retry (after a backoff) sends it.
            Notification.objects.filter(pk=notification.pk).delete()
            failed = True
            log.warning("message %s: email to %s failed", message_pk, user.email, exc_info=True)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=clock.now())
        sent += 1
    if failed and attempt < MAX_ATTEMPTS:
        enqueue_later(
            send_message_emails_task,
            clock.now() + backoff(attempt + 1),
            message_id=message_pk,
            attempt=attempt + 1,
        )
    return sent


@background_task
def send_message_emails_task(message_id: int, attempt: int = 0) -> int:
    """The background task of ``send_message_emails`` (enqueued after a message is posted, and
    again with backoff while a send fails). It lives here, with the sending, so that the
    services enqueue it and it re-enqueues itself without importing portal.tasks."""
    return send_message_emails(message_id, attempt)


def _send_one(message, user, attachments) -> None:
    task = message.task
    agency = settings.PARTNERDESK["AGENCY_NAME"]
    with translation.override(user.language):
        context = {
            "message": message,
            "task": task,
            "user": user,
            "agency_name": agency,
            "author": message.author.display_name if message.author else agency,
            "task_url": _absolute(
                reverse(
                    "taskdesk:detail" if user.is_agency_staff else "portal:task_detail",
                    kwargs={"pk": task.pk},
                )
            ),
            "attachments": [
                (a.name, _absolute(reverse("portal:attachment", kwargs={"pk": a.pk})))
                for a in attachments
            ],
        }
        subject = f"[{agency}] {task.title}"
        text = render_to_string("portal/email/message.txt", context)
        html = render_to_string("portal/email/message.html", context)
    email = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        reply_to=[reply_address(task.pk, user.pk)],
        headers={
            "Message-ID": message_id(message.pk, user.pk),
            "In-Reply-To": thread_id(task.pk),
            "References": thread_id(task.pk),
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(html, "text/html")
    email.send()
