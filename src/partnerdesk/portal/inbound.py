"""Reply-by-email: an emailed reply becomes a message on its task, or a polite bounce.

Automatic mail (out-of-office replies, bounces, bulk and list mail, no-reply senders: see
notifications.inbound_mail) is recognised first and dropped: nothing is posted and nothing is
answered, and a log line records it. Otherwise a reply is posted only when its reply address
carries a valid token (mail.read_token) for a task the named user may still see, the token is
not too old, and the sender is that user; its text is cleaned by inbound_mail.reply_text
(quoted history, attribution line, signature and trailing sign-off removed; HTML-only replies
sanitised). Anything else posts nothing and the sender gets a bounce that says why; so does
a reply to a task that is closed (it takes no more messages: services.message_post).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.notifications import inbound_mail

from . import mail, services
from .models import Status, Task, Via

log = logging.getLogger(__name__)

REASONS = {
    "no_token": _("The address you wrote to is not a reply address of a task."),
    "forged": _(
        "The reply address is not one we issued, so we could not tell which task it is for."
    ),
    "expired": _("The reply address has expired. Please answer from the task page instead."),
    "unknown": _("The task or the person this reply address was made for no longer exists."),
    "sender": _("Replies to this address are accepted only from the person it was sent to."),
    "forbidden": _("You can no longer see this task."),
    "empty": _("Your reply had no text we could post (after removing the quoted email)."),
    "refused": _("Your reply could not be posted: %(why)s"),
    "closed": _(
        "This task is closed (%(status)s), so it takes no more messages. "
        "Submit a new request for anything more."
    ),
}


@dataclass
class Result:
    status: str  # "posted", "duplicate", "bounced", "ignored"
    reason: str = ""
    message_id: int | None = None
    bounce_to: str = ""
    details: dict = field(default_factory=dict)


def _token_in(msg: EmailMessage, envelope: list[str]) -> str | None:
    domain = settings.PARTNERDESK_REPLY_DOMAIN.lower()
    headers = [
        *envelope,
        *msg.get_all("Delivered-To", []),
        *msg.get_all("X-Original-To", []),
        *msg.get_all("To", []),
        *msg.get_all("Cc", []),
    ]
    for _name, address in getaddresses([str(h) for h in headers]):
        local, _at, host = address.lower().partition("@")
        if host == domain and local.startswith("reply+"):
            return local[len("reply+") :]
    return None


def receive(raw: bytes, *, envelope_to: list[str] | None = None) -> Result:
    """Handle one RFC 822 message. Raises ValueError when ``raw`` is not an email at all."""
    if not raw or not raw.strip():
        raise ValueError("empty input")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not msg.keys():
        raise ValueError("no headers")
    automatic = inbound_mail.automatic_reason(msg)
    if automatic:
        log.info(
            "inbound email dropped as automatic mail (%s): from %s, subject %r, message-id %s",
            automatic,
            msg.get("From", ""),
            str(msg.get("Subject", "")),
            msg.get("Message-ID", ""),
        )
        return Result("ignored", "automatic", details={"why": automatic})
    sender = parseaddr(str(msg.get("From", "")))[1].strip()

    def bounce(reason: str, user=None, **params) -> Result:
        _send_bounce(sender, reason, msg, user=user, params=params)
        return Result("bounced", reason, bounce_to=sender)

    token = _token_in(msg, envelope_to or [])
    if token is None:
        return bounce("no_token")
    try:
        parsed = mail.read_token(token)
    except (mail.BadToken, ValueError):
        return bounce("forged")
    user = User.objects.filter(pk=parsed.user_id).first()
    task = Task.objects.filter(pk=parsed.task_id).select_related("company").first()
    if user is None or task is None or not user.is_active:
        return bounce("unknown")
    max_age = dt.timedelta(days=settings.PARTNERDESK_REPLY_MAX_AGE_DAYS)
    if clock.now() - parsed.issued_at > max_age:
        return bounce("expired", user)
    if sender.lower() != (user.email or "").lower():
        return bounce("sender", user)
    if not (user.is_agency_staff or user.company_id == task.company_id):
        return bounce("forbidden", user)
    body = inbound_mail.reply_text(msg)
    if not body:
        return bounce("empty", user)
    message_id = str(msg.get("Message-ID", "")).strip()[:255] or None
    try:
        posted = services.message_post(
            by=user,
            task=task,
            body=body,
            files=inbound_mail.attachments(msg),
            via=Via.EMAIL,
            email_message_id=message_id,
        )
    except DomainError as exc:
        if exc.code == "duplicate_email":
            return Result("duplicate")
        if exc.code == "task_closed":
            # Read again: the task may have closed after it was read above. The label is said
            # in the recipient's language (the bounce is written in it).
            task.refresh_from_db(fields=["status"])
            return bounce("closed", user, status=Status(task.status).label)
        return bounce("refused", user, why=str(exc.message))
    return Result("posted", message_id=posted.pk)


def _send_bounce(to: str, reason: str, original: EmailMessage, *, user, params: dict) -> None:
    language = user.language if user is not None else "en"
    with translation.override(language):
        text = str(REASONS[reason]) % params if params else str(REASONS[reason])
        context = {
            "reason": text,
            "subject": str(original.get("Subject", "")),
            "closed": reason == "closed",
            "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
            "site_url": settings.SITE_URL,
        }
        subject = str(_("Your reply was not posted"))
        body = render_to_string("portal/email/bounce.txt", context)
    message = EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers={"Auto-Submitted": "auto-replied"},
    )
    original_id = str(original.get("Message-ID", "")).strip()
    if original_id:
        message.extra_headers["In-Reply-To"] = original_id
    message.send()
