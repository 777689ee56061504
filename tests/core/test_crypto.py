"""Encryption at rest: MultiFernet with rotation; a derived key when none is configured."""

import pytest
from cryptography.fernet import Fernet

from partnerdesk.core import crypto


@pytest.fixture(autouse=True)
def fresh_cache():
    crypto.reset_cache()
    yield
    crypto.reset_cache()


def test_round_trip_and_randomized(settings):
    settings.PARTNERDESK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    a, b = crypto.encrypt("s3cret ✓"), crypto.encrypt("s3cret ✓")
    assert a != b
    assert "s3cret" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "s3cret ✓"


def test_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PARTNERDESK_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("value")
    settings.PARTNERDESK_ENCRYPTION_KEYS = [new, old]
    crypto.reset_cache()
    assert crypto.decrypt(token) == "value"
    rotated = crypto.rotate(token)
    assert Fernet(new.encode()).decrypt(rotated.encode()) == b"value"
    settings.PARTNERDESK_ENCRYPTION_KEYS = [new]
    crypto.reset_cache()
    assert crypto.decrypt(rotated) == "value"
    with pytest.raises(ValueError, match="could not be decrypted"):
        crypto.decrypt(token)


def test_cache_needs_reset_to_see_new_keys(settings):
    settings.PARTNERDESK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt("x")
    settings.PARTNERDESK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert crypto.decrypt(token) == "x"  # still the cached keys
    crypto.reset_cache()
    with pytest.raises(ValueError):
        crypto.decrypt(token)


def test_derived_key_from_secret_key(settings):
    settings.PARTNERDESK_ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "a" * 50
    token = crypto.encrypt("value")
    assert crypto.decrypt(token) == "value"
    settings.SECRET_KEY = "b" * 50
    crypto.reset_cache()
    with pytest.raises(ValueError):
        crypto.decrypt(token)


@pytest.mark.parametrize("garbage", ["", "not-a-token", "gAAAAA" + "x" * 40])
def test_garbage_raises_value_error(garbage):
    with pytest.raises(ValueError):
        crypto.decrypt(garbage)
