"""The shared inbound-email pipeline (see ``routing``): parsing, signed reply addresses
(``tokens``), the registry the owner apps hand their handlers to, and bounces. The text
cleaning is ``notifications.inbound_mail``'s."""

from .message import Inbound, Result, language_of
from .routing import (
    REASONS,
    receive,
    register_mailbox_finder,
    register_reply_kind,
    register_thread_finder,
)
from .tokens import BadToken, Token, make_token, read_token, reply_address

__all__ = [
    "REASONS",
    "BadToken",
    "Inbound",
    "Result",
    "Token",
    "language_of",
    "make_token",
    "read_token",
    "receive",
    "register_mailbox_finder",
    "register_reply_kind",
    "register_thread_finder",
    "reply_address",
]
