"""Reply-by-email on tasks: the portal's handler in the shared inbound pipeline
(``notifications.inbound``), which drops automatic mail, finds the reply address and checks
its signature before it calls ``handle_reply`` here.

A reply is posted only when its token names a task the named user may still see, the token is
not too old, and the sender is that user; its text is cleaned by the pipeline (quoted
history, attribution line, signature and trailing sign-off removed; HTML-only replies
sanitised). Anything else posts nothing and the sender gets a bounce that says why; so does
a reply to a task that is closed (it takes no more messages: services.message_post).
"""

from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.notifications import inbound as pipeline
from partnerdesk.notifications.inbound import Inbound, Result, Token

from . import mail, services
from .models import Status, Task, Via

log = logging.getLogger(__name__)

# Re-exported: the one pipeline every inbound email goes through (tasks and tickets alike).
receive = pipeline.receive

REASONS = {
    **pipeline.REASONS,
    "expired": _("The reply address has expired. Please answer from the task page instead."),
    "unknown": _("The task or the person this reply address was made for no longer exists."),
    "sender": _("Replies to this address are accepted only from the person it was sent to."),
    "forbidden": _("You can no longer see this task."),
    "empty": _("Your reply had no text we could post (after removing the quoted email)."),
    "refused": _("Your reply could not be posted: %(why)s"),
    "closed": _(
        "This task is closed (%(status)s), so it takes no more messages. "
        "Submit a new request for anything more."
    ),
}


def handle_reply(inbound: Inbound, token: Token) -> Result:
    """Post the reply on the token's task as the token's user, or bounce it."""

    def bounce(reason: str, user=None, **params) -> Result:
        language = user.language if user is not None else pipeline.language_of(inbound.sender)
        with translation.override(language):
            text = str(REASONS[reason]) % params if params else str(REASONS[reason])
        return inbound.bounce(
            reason,
            text,
            language=language,
            template="portal/email/bounce.txt",
            context={"closed": reason == "closed"},
        )

    user = User.objects.filter(pk=token.person_id).first()
    task = Task.objects.filter(pk=token.object_id).select_related("company").first()
    if user is None or task is None or not user.is_active:
        return bounce("unknown")
    if token.expired(clock.now()):
        return bounce("expired", user)
    if inbound.sender != (user.email or "").lower():
        return bounce("sender", user)
    if not (user.is_agency_staff or user.company_id == task.company_id):
        return bounce("forbidden", user)
    body = inbound.text()
    if not body:
        return bounce("empty", user)
    try:
        posted = services.message_post(
            by=user,
            task=task,
            body=body,
            files=inbound.files(),
            via=Via.EMAIL,
            email_message_id=inbound.message_id,
        )
    except DomainError as exc:
        if exc.code == "duplicate_email":
            return Result("duplicate", target=f"task:{task.pk}")
        if exc.code == "task_closed":
            # Read again: the task may have closed after it was read above. The label is said
            # in the recipient's language (the bounce is written in it).
            task.refresh_from_db(fields=["status"])
            return bounce("closed", user, status=Status(task.status).label)
        return bounce("refused", user, why=str(exc.message))
    return Result("posted", message_id=posted.pk, target=f"task:{task.pk}")


pipeline.register_reply_kind(mail.REPLY_KIND, prefix="", salt=mail.SALT, handler=handle_reply)
