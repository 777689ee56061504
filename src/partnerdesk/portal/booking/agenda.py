"""Booking with an agenda: the session, and the agenda on the task's thread, in one transaction.

The agenda travels in the invitations (``session_book``); posting it as the booker's message on
the task keeps it where both sides read the task, after the emails are gone, and tells the
agency side like any other message.

Not re-exported by the package: ``portal.services`` imports the booking package (a closed task
cancels its sessions), so the package itself never imports ``portal.services``; this module,
imported by the pages and the API only, may.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import ConsultationSession, Task
from ..services import message_post
from .services import clean_agenda, session_book


def session_book_with_agenda(
    *, by, task: Task, starts_at, agenda: str = "", now: dt.datetime | None = None
) -> ConsultationSession:
    """Book the slot (``session_book``) and post a non-empty agenda on the task's thread."""
    agenda = clean_agenda(agenda)
    with transaction.atomic():
        session = session_book(by=by, task=task, starts_at=starts_at, agenda=agenda, now=now)
        if agenda:
            heading = _("Agenda for the consultation session:")
            message_post(by=by, task=task, body=f"{heading}\n\n{agenda}")
    return session
