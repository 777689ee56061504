"""Files attached to a request or a message: checked before anything is written, stored under
the private root, and removed again when the write that stored them fails."""

from __future__ import annotations

import mimetypes

from partnerdesk.core.files import (  # noqa: F401 (re-exported: the services' public names)
    MAX_NAME,
    attachment_name,
    files_removed_on_error,
    validate_upload,
)

from ..models import Attachment, Message, Task

# The name, the limits and the clean-up are core.files' (shared with the tickets' files).
_files_removed_on_error = files_removed_on_error


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
