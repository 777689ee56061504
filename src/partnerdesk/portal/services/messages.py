"""Messages on a task, from either side: each is emailed with its full content to the other
side after commit (mail.py). A closed task (Complete, Declined, Withdrawn) takes no more
messages, from the page, the API or a reply by email alike."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.permissions import require_party

from ..events import PortalEvent
from ..mail import send_message_emails_task
from ..models import CLOSED_STATUSES, Message, Status, Task, Via, WaitingOn
from .attachments import _attach, _files_removed_on_error, validate_upload
from .common import _clean_text, _event


def _closed(status: str) -> DomainError:
    return conflict(
        "task_closed",
        _(
            "This task is closed (%(status)s): it takes no more messages. "
            "Submit a new request for anything more."
        )
        % {"status": Status(status).label},
    )


def message_post(
    *,
    by,
    task: Task,
    body: str,
    files=(),
    via: str = Via.WEB,
    email_message_id: str | None = None,
) -> Message:
    """Post a message on a task; it is emailed with its full content to the other side.

    Refused with ``task_closed`` once the task is closed; the status is read again under a lock
    on the task, so a message racing the task's closing is refused too."""
    require_party(by, task.company_id)
    if task.status in CLOSED_STATUSES and not email_message_id:
        # Said before the text and the files are judged; an email is first checked for being
        # a re-delivery of one already posted (below), which is not refused.
        raise _closed(task.status)
    body = _clean_text(body, "body", required=True, limit=20000)
    files = list(files or [])
    for upload in files:
        validate_upload(upload)
    with _files_removed_on_error() as stored, transaction.atomic():
        if email_message_id and Message.objects.filter(email_message_id=email_message_id).exists():
            raise conflict("duplicate_email", _("This email was already posted."))
        # Only the task row: the lifecycle services lock the company first, then the task.
        status = Task.objects.select_for_update().values_list("status", flat=True).get(pk=task.pk)
        if status in CLOSED_STATUSES:
            raise _closed(status)
        message = Message.objects.create(
            task=task,
            author=by,
            body=body,
            via=via,
            email_message_id=email_message_id or None,
            from_agency=by.is_agency_staff,
        )
        _attach(by=by, task=task, files=files, stored=stored, message=message)
        if task.status == Status.TRIAGE:
            waiting = WaitingOn.CLIENT if by.is_agency_staff else WaitingOn.AGENCY
            if task.waiting_on != waiting:
                Task.objects.filter(pk=task.pk).update(waiting_on=waiting)
                task.waiting_on = waiting
        _event(task, PortalEvent.TASK_MESSAGE, by, message_id=message.pk, via=via)
        transaction.on_commit(lambda: send_message_emails_task.enqueue(message_id=message.pk))
    return message
