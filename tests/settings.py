"""Test settings: the real settings with fast hashing and tasks run inline."""

from partnerdesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

MEDIA_ROOT = DATA_DIR / "test-media"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Events are processed only in tests that ask for it (the `dispatch` fixture), so other tests
# see exactly the records they create.
PARTNERDESK_DISPATCH_EVENTS = False
PARTNERDESK_PRIVATE_ROOT = DATA_DIR / "test-private"  # noqa: F405
