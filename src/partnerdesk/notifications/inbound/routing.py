"""The one inbound pipeline: every email that reaches Partnerdesk (``manage.py inbound_email``
from an MTA pipe, or the ``manage.py inbound_smtp`` listener) goes through ``receive``.

1. **Parse** (not an email: ``ValueError``, the command's exit code 65).
2. **Automatic mail** (out-of-office, auto-replies, bounces, bulk and list mail, no-reply
   senders: ``inbound_mail.automatic_reason``) is dropped before anything else: nothing is
   posted and nothing is answered, whatever address it came to (answering automatic mail is
   how mail loops start). A log line records it. So is mail from our own sending or reply
   addresses (``is_own_address``).
3. **A signed reply address** among the recipients: the token's kind names the owner app's
   handler (``register_reply_kind``). A token we did not sign bounces (*forged*).
4. **A thread**: the Message-IDs it answers (In-Reply-To, References), for replies whose
   signed address was lost (someone replied to the wrong header, forwarded, or copied the
   address by hand); each registered thread finder (``register_thread_finder``) may claim it.
5. **A mailbox**: a registered mailbox finder (``register_mailbox_finder``) may claim mail to
   one of its addresses (support@ opening a ticket).
6. Nothing claimed it: it bounces (*no_token*).

The owner apps (the portal's tasks, the tickets) register from their ``AppConfig.ready``; this
app never imports them. A handler returns a ``Result``; it bounces through
``Inbound.bounce`` with a reason in the sender's language.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .. import inbound_mail
from . import tokens
from .message import Inbound, Result

log = logging.getLogger(__name__)

ReplyHandler = Callable[[Inbound, tokens.Token], Result]
Finder = Callable[[Inbound], Result | None]

REPLY_HANDLERS: dict[str, ReplyHandler] = {}
THREAD_FINDERS: dict[str, Finder] = {}
MAILBOX_FINDERS: dict[str, Finder] = {}

# Reasons the pipeline itself bounces with (the owner apps have their own).
REASONS = {
    "no_token": _(
        "The address you wrote to is not a reply address of a conversation with us, nor one "
        "of our support addresses."
    ),
    "forged": _(
        "The reply address is not one we issued, so we could not tell which conversation it is for."
    ),
}


def is_own_address(address: str) -> bool:
    """Mail from the address we send from, or from a reply address, is our own coming back
    (a forward rule, a loop): never posted, never answered."""
    own = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].strip().lower()
    domain = settings.PARTNERDESK_REPLY_DOMAIN.lower()
    return bool(address) and (address == own or address.rpartition("@")[2] == domain)


def register_reply_kind(kind: str, *, prefix: str, salt: str, handler: ReplyHandler) -> None:
    """Route replies to ``reply+<token>@…`` whose token is of ``kind`` to ``handler``.

    ``prefix`` starts the kind's tokens (letters; "" for the four-part tokens of the tasks),
    ``salt`` salts their signature."""
    tokens.register_token_kind(kind, prefix=prefix, salt=salt)
    REPLY_HANDLERS[kind] = handler


def register_thread_finder(kind: str, finder: Finder) -> None:
    """``finder(inbound)`` returns a Result when the message answers one of ``kind``'s
    threads (``inbound.thread_ids``) and it handled it, else None."""
    THREAD_FINDERS[kind] = finder


def register_mailbox_finder(kind: str, finder: Finder) -> None:
    """``finder(inbound)`` returns a Result when the message was sent to one of ``kind``'s
    addresses (``inbound.recipients``) and it handled it, else None."""
    MAILBOX_FINDERS[kind] = finder


def parse(raw: bytes) -> EmailMessage:
    if not raw or not raw.strip():
        raise ValueError("empty input")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not message.keys():
        raise ValueError("no headers")
    return message


def receive(raw: bytes, *, envelope_to: list[str] | None = None) -> Result:
    """Handle one RFC 822 message. Raises ValueError when ``raw`` is not an email at all; any
    other exception is a temporary failure (the MTA keeps the message and retries)."""
    inbound = Inbound(parse(raw), list(envelope_to or []), raw=raw)
    automatic = inbound_mail.automatic_reason(inbound.message)
    if automatic:
        log.info(
            "inbound email dropped as automatic mail (%s): from %s, subject %r, message-id %s",
            automatic,
            inbound.message.get("From", ""),
            inbound.subject,
            inbound.message_id or "",
        )
        return Result("ignored", "automatic", details={"why": automatic})
    if is_own_address(inbound.sender):
        log.info("inbound email dropped: it comes from our own address %s", inbound.sender)
        return Result("ignored", "own_address")
    token = inbound.reply_token()
    if token is not None:
        try:
            parsed = tokens.read_token(token)
        except tokens.BadToken:
            return inbound.bounce("forged", REASONS["forged"])
        return REPLY_HANDLERS[parsed.kind](inbound, parsed)
    if inbound.thread_ids:
        for finder in THREAD_FINDERS.values():
            result = finder(inbound)
            if result is not None:
                return result
    for finder in MAILBOX_FINDERS.values():
        result = finder(inbound)
        if result is not None:
            return result
    return inbound.bounce("no_token", REASONS["no_token"])
