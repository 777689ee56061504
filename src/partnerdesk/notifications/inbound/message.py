"""One inbound email as the pipeline and the owner apps see it: who sent it, to which
addresses, which earlier messages it answers, its text and files, and the bounce that answers
it when it cannot be posted."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock

from .. import inbound_mail
from ..models import BounceSent

log = logging.getLogger(__name__)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# How many of the References a thread lookup reads (the newest ones).
MAX_REFERENCES = 20


@dataclass
class Result:
    """What became of one message.

    ``status``: "posted" (on an existing conversation), "opened" (a new ticket), "held" (the
    unknown-sender queue), "duplicate" (delivered before), "bounced" (and the sender told
    why), "ignored" (automatic mail, a sender over the rate limit: nothing posted, nothing
    answered)."""

    status: str
    reason: str = ""
    message_id: int | None = None  # the record posted (a task's Message, a TicketNote)
    target: str = ""  # e.g. "task:12", "ticket:34"
    bounce_to: str = ""
    details: dict = field(default_factory=dict)


def _addresses(values) -> list[str]:
    return [
        address.strip().lower()
        for _name, address in getaddresses([str(v) for v in values])
        if "@" in address
    ]


@dataclass
class Inbound:
    message: EmailMessage
    envelope_to: list[str] = field(default_factory=list)
    raw: bytes = b""  # as received (kept by whoever stores the email whole)

    @cached_property
    def sender(self) -> str:
        return parseaddr(str(self.message.get("From", "")))[1].strip().lower()

    @cached_property
    def sender_name(self) -> str:
        return parseaddr(str(self.message.get("From", "")))[0].strip()

    @cached_property
    def subject(self) -> str:
        return " ".join(str(self.message.get("Subject", "")).split())

    @cached_property
    def message_id(self) -> str | None:
        found = MESSAGE_ID.search(str(self.message.get("Message-ID", "")))
        return found.group(0)[:255] if found else None

    @cached_property
    def recipients(self) -> list[str]:
        """Every address it was delivered or written to: the envelope's first, then
        Delivered-To, X-Original-To, To and Cc (lowercased, each once)."""
        msg = self.message
        values = [
            *self.envelope_to,
            *msg.get_all("Delivered-To", []),
            *msg.get_all("X-Original-To", []),
            *msg.get_all("To", []),
            *msg.get_all("Cc", []),
        ]
        return list(dict.fromkeys(_addresses(values)))

    @cached_property
    def copied(self) -> list[str]:
        """The people it was written to (To and Cc), without the sender."""
        msg = self.message
        found = _addresses([*msg.get_all("To", []), *msg.get_all("Cc", [])])
        return [a for a in dict.fromkeys(found) if a != self.sender]

    @cached_property
    def thread_ids(self) -> list[str]:
        """The Message-IDs it answers, the one it replies to first, then the References from
        the newest."""
        replied = MESSAGE_ID.findall(str(self.message.get("In-Reply-To", "")))
        references = MESSAGE_ID.findall(str(self.message.get("References", "")))
        ids = [*replied, *reversed(references[-MAX_REFERENCES:])]
        return [i[:255] for i in dict.fromkeys(ids)]

    def reply_token(self) -> str | None:
        """The token of the first reply address (``reply+<token>@PARTNERDESK_REPLY_DOMAIN``)
        among the recipients, or None."""
        domain = settings.PARTNERDESK_REPLY_DOMAIN.lower()
        for address in self.recipients:
            local, _at, host = address.partition("@")
            if host == domain and local.startswith("reply+"):
                return local[len("reply+") :]
        return None

    def text(self) -> str:
        """What its author wrote (quoted history, signature and sign-off removed)."""
        return inbound_mail.reply_text(self.message)

    def files(self):
        return inbound_mail.attachments(self.message)

    def bounce(
        self,
        reason: str,
        text,
        *,
        language: str | None = None,
        template: str = "notifications/email/bounce.txt",
        context: dict | None = None,
    ) -> Result:
        """Tell the sender, in ``language`` (else the language of a user with the sender's
        address, else the default), that nothing was posted and why (``text``); returns the
        bounced result. A bounce is itself marked automatic (Auto-Submitted), so a
        well-behaved auto-responder does not answer it."""
        if not claim_bounce(self.sender, reason):
            log.info("inbound: no bounce to %s (over the hourly limit): %s", self.sender, reason)
            return Result("ignored", "bounce_limit", details={"bounce": reason})
        send_bounce(self, text, language=language, template=template, context=context or {})
        return Result("bounced", reason, bounce_to=self.sender)


def claim_bounce(address: str, reason: str) -> bool:
    """Record a bounce to ``address`` unless it had ``PARTNERDESK_BOUNCE_RATE_LIMIT`` of them
    in the last hour (then False: more would feed a loop)."""
    if not address:
        return True
    now = clock.now()
    sent = BounceSent.objects.filter(address=address, sent_at__gte=now - dt.timedelta(hours=1))
    if sent.count() >= settings.PARTNERDESK_BOUNCE_RATE_LIMIT:
        return False
    BounceSent.objects.filter(sent_at__lt=now - dt.timedelta(days=1)).delete()
    BounceSent.objects.create(address=address, reason=reason[:32], sent_at=now)
    return True


def language_of(address: str) -> str:
    user = User.objects.filter(email__iexact=address, is_active=True).only("language").first()
    return user.language if user is not None and user.language else settings.LANGUAGE_CODE


def send_bounce(inbound: Inbound, text, *, language, template: str, context: dict) -> None:
    if not inbound.sender:
        return
    with translation.override(language or language_of(inbound.sender)):
        body = render_to_string(
            template,
            {
                "reason": str(text),
                "subject": inbound.subject,
                "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
                "site_url": settings.SITE_URL,
                **context,
            },
        )
        subject = _("Your reply was not posted")
    message = EmailMultiAlternatives(
        str(subject),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [inbound.sender],
        headers={"Auto-Submitted": "auto-replied"},
    )
    if inbound.message_id:
        message.extra_headers["In-Reply-To"] = inbound.message_id
        message.extra_headers["References"] = inbound.message_id
    message.send()
