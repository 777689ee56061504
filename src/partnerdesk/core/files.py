"""Uploaded files kept outside the web root: the private storage, the name a file is stored and
shown under, the size and type limits, and the clean-up of files a failed write stored.

Shared by every app that takes attachments (the portal's tasks, the tickets' conversations),
so the limits (``PARTNERDESK_ATTACHMENT_MAX_BYTES``, ``PARTNERDESK_ATTACHMENT_TYPES``) and
the checks are the same everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from pathlib import PurePath
from typing import cast

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.functional import LazyObject
from django.utils.translation import gettext as _

from .errors import DomainError

# An attachment's name holds at most this many characters.
MAX_NAME = 255


class PrivateStorage(LazyObject):
    """Files outside the web root (never under STATIC or MEDIA URLs); served by a view that
    checks who may see them."""

    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.PARTNERDESK_PRIVATE_ROOT, base_url=None)


private_storage = PrivateStorage()


def get_private_storage() -> Storage:
    """The field's storage as a callable: migrations then name this function, not the
    directory of the checkout they were generated in."""
    return cast(Storage, private_storage)  # a lazy FileSystemStorage


def attachment_name(upload) -> str:
    """The name an upload is stored and shown under, and the one the type check judges.

    The last part of any path (``/`` or ``\\``), without NUL, control or format characters
    (PostgreSQL refuses NUL in text; a right-to-left override would disguise the extension), in
    NFC, and at most ``MAX_NAME`` characters: a longer name loses the end of its stem, never its
    extension. The file itself is stored under a name of its own (each model's upload path), so
    two uploads with the same name never meet."""
    raw = unicodedata.normalize("NFC", str(getattr(upload, "name", "") or ""))
    last = re.split(r"[/\\]", raw)[-1]
    name = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in last).strip()
    if len(name) <= MAX_NAME:
        return name
    suffix = PurePath(name).suffix
    if not suffix or len(suffix) >= MAX_NAME:
        return name[:MAX_NAME]
    stem = name[: -len(suffix)][: MAX_NAME - len(suffix)].rstrip()
    return stem + suffix


def validate_upload(upload, *, field: str = "attachments") -> None:
    """Refuse a file that is too large or of a type not allowed, naming the file."""
    name = attachment_name(upload)
    ext = PurePath(name).suffix.lower().lstrip(".")
    allowed = [t.lower() for t in settings.PARTNERDESK_ATTACHMENT_TYPES]
    if not name or ext not in allowed:
        raise DomainError(
            code="file_type_not_allowed",
            message=_("“%(name)s”: files of this type cannot be attached (allowed: %(types)s).")
            % {"name": name or "?", "types": ", ".join(allowed)},
            field=field,
        )
    limit = settings.PARTNERDESK_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            code="file_too_large",
            message=_("“%(name)s” is larger than %(limit)s MB.")
            % {"name": name, "limit": round(limit / 1024 / 1024, 1)},
            field=field,
        )
    if upload.size == 0:
        raise DomainError(
            code="file_empty",
            message=_("“%(name)s” is empty.") % {"name": name},
            field=field,
        )


@contextmanager
def files_removed_on_error():
    """Files stored inside the block (appended to the list it yields) are deleted again if the
    block fails, so a refused or failed write leaves no orphan file behind."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for file in stored:
            file.storage.delete(file.name)
        raise
