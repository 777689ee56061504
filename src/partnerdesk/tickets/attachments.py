"""Files of a ticket's conversation: checked with the portal's limits (core.files) before
anything is written, stored under the private root, removed again if the write fails."""

from __future__ import annotations

import mimetypes

from partnerdesk.accounts.models import User
from partnerdesk.core.files import attachment_name, validate_upload

from .models import Ticket, TicketAttachment, TicketNote


def check_files(files) -> list:
    """The uploads as a list, each checked (size, type, not empty): DomainError names the
    first one refused, before anything is stored."""
    files = list(files or [])
    for upload in files:
        validate_upload(upload)
    return files


def attach(
    *, ticket: Ticket, note: TicketNote | None, files, stored: list, by=None, contact=None
) -> list[TicketAttachment]:
    """Store checked uploads and record them on the ticket (and the note). Each stored file is
    appended to ``stored`` (core.files.files_removed_on_error deletes them on failure)."""
    saved = []
    for upload in files:
        name = attachment_name(upload)
        attachment = TicketAttachment(
            ticket=ticket,
            note=note,
            name=name,
            content_type=(mimetypes.guess_type(name)[0] or "application/octet-stream")[:100],
            size=upload.size,
            uploaded_by=by if isinstance(by, User) else None,
            uploaded_by_contact=contact,
        )
        attachment.file.save(name, upload, save=False)
        stored.append(attachment.file)
        attachment.save()
        saved.append(attachment)
    return saved
