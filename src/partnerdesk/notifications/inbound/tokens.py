"""Signed reply addresses: ``reply+<token>@PARTNERDESK_REPLY_DOMAIN``.

A token names a conversation (a task, a ticket: its *kind* and id) and the person it was sent
to, and when it was made, signed with an HMAC of the secret key (salted per kind), so a reply
can only be posted on that conversation, as that person, for ``PARTNERDESK_REPLY_MAX_AGE_DAYS``.

Two shapes, both letters, digits and hyphens within a 64-character local part:

* ``<object>-<person>-<hours>-<signature>``: the kind registered with the empty prefix (the
  portal's tasks; the addresses on task emails sent before tickets had theirs still work);
* ``<prefix>-<object>-<person>-<hours>-<signature>``: any other kind, e.g. ``k`` for tickets.

Ids and the hours since 2024 are in base 36; the signature is 24 characters of base 32.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TokenKind:
    kind: str
    prefix: str  # letters; "" for the four-part shape
    salt: str


# kind -> TokenKind, and prefix -> TokenKind (filled by routing.register_reply_kind)
KINDS: dict[str, TokenKind] = {}
PREFIXES: dict[str, TokenKind] = {}


def register_token_kind(kind: str, *, prefix: str, salt: str) -> None:
    if prefix and not prefix.isalpha():
        raise ValueError(f"a token prefix is letters only: {prefix!r}")
    existing = PREFIXES.get(prefix)
    if existing is not None and existing.kind != kind:
        raise ValueError(f"token prefix {prefix!r} is already {existing.kind!r}'s")
    KINDS[kind] = PREFIXES[prefix] = TokenKind(kind, prefix, salt)


@dataclass(frozen=True)
class Token:
    kind: str
    object_id: int
    person_id: int
    issued_at: dt.datetime

    def expired(self, now: dt.datetime) -> bool:
        return now - self.issued_at > dt.timedelta(days=settings.PARTNERDESK_REPLY_MAX_AGE_DAYS)


class BadToken(Exception):
    """The token was not made by us (forged or mangled), or names no kind we know."""


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _signature(salt: str, payload: str) -> str:
    digest = salted_hmac(salt, payload, algorithm="sha256").digest()[:15]
    return base64.b32encode(digest).decode().lower().rstrip("=")  # 24 chars, [a-z2-7]


def make_token(kind: str, object_id: int, person_id: int, *, now: dt.datetime) -> str:
    spec = KINDS[kind]
    hours = int((now - EPOCH).total_seconds() // 3600)
    payload = f"{b36(object_id)}-{b36(person_id)}-{b36(hours)}"
    if spec.prefix:
        payload = f"{spec.prefix}-{payload}"
    return f"{payload}-{_signature(spec.salt, payload)}"


def read_token(token: str) -> Token:
    parts = (token or "").lower().split("-")
    if len(parts) == 4:
        prefix = ""
    elif len(parts) == 5:
        prefix = parts[0]
    else:
        raise BadToken(token)
    spec = PREFIXES.get(prefix)
    if spec is None:
        raise BadToken(token)
    payload, signature = "-".join(parts[:-1]), parts[-1]
    if not constant_time_compare(signature, _signature(spec.salt, payload)):
        raise BadToken(token)
    try:
        object_id, person_id, hours = (int(p, 36) for p in parts[-4:-1])
    except ValueError as exc:
        raise BadToken(token) from exc
    return Token(spec.kind, object_id, person_id, EPOCH + dt.timedelta(hours=hours))


def reply_address(kind: str, object_id: int, person_id: int, *, now: dt.datetime) -> str:
    token = make_token(kind, object_id, person_id, now=now)
    return f"reply+{token}@{settings.PARTNERDESK_REPLY_DOMAIN}"
