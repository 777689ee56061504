"""Files attached to a request or a message: checked before anything is written, stored under
the private root, and removed again when the write that stored them fails."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from contextlib import contextmanager
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError

from ..models import Attachment, Message, Task

# Attachment.name holds at most this many characters.
MAX_NAME = 255


def attachment_name(upload) -> str:
    """The name an upload is stored and shown under, and the one the type check judges.

    The last part of any path (``/`` or ``\\``), without NUL, control or format characters
    (PostgreSQL refuses NUL in text; a right-to-left override would disguise the extension), in
    NFC, and at most ``MAX_NAME`` characters: a longer name loses the end of its stem, never its
    extension. The file itself is stored under a name of its own (``models.attachment_path``),
    so two uploads with the same name never meet."""
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


def validate_upload(upload) -> None:
    """Refuse a file that is too large or of a type not allowed, naming the file."""
    name = attachment_name(upload)
    ext = PurePath(name).suffix.lower().lstrip(".")
    allowed = [t.lower() for t in settings.PARTNERDESK_ATTACHMENT_TYPES]
    if not name or ext not in allowed:
        raise DomainError(
            code="file_type_not_allowed",
            message=_("“%(name)s”: files of this type cannot be attached (allowed: %(types)s).")
            % {"name": name or "?", "types": ", ".join(allowed)},
            field="attachments",
        )
    limit = settings.PARTNERDESK_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            code="file_too_large",
            message=_("“%(name)s” is larger than %(limit)s MB.")
            % {"name": name, "limit": round(limit / 1024 / 1024, 1)},
            field="attachments",
        )
    if upload.size == 0:
        raise DomainError(
            code="file_empty",
            message=_("“%(name)s” is empty.") % {"name": name},
            field="attachments",
        )


@contextmanager
def _files_removed_on_error():
    """Files stored inside the block are deleted again if the block fails, so a refused or
    failed write leaves no orphan file behind."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for file in stored:
            file.storage.delete(file.name)
        raise


def _attach(*, by, task: Task, files, stored: list, message: Message | None = None):
    """Store validated uploads under the private root and record them on the task."""
    saved = []
    for upload in files:
        name = attachment_name(upload)
        attachment = Attachment(
            task=task,
            message=message,
            name=name,
            content_type=(mimetypes.guess_type(name)[0] or "application/octet-stream")[:100],
            size=upload.size,
            uploaded_by=by,
        )
        attachment.file.save(name, upload, save=False)
        stored.append(attachment.file)
        attachment.save()
        saved.append(attachment)
    return saved
