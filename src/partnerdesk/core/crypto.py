"""Encryption at rest for secret values (MultiFernet: the first key encrypts, all decrypt)."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.PARTNERDESK_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(("partnerdesk-secrets:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("A secret value could not be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key."""
    return _fernet().rotate(token.encode()).decode()


def reset_cache() -> None:
    _fernet.cache_clear()
