"""Sentences for the satisfaction events on a task's or a ticket's timeline."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import register_describer

from .events import CsatEvent

SENTENCES = {
    CsatEvent.SENT: lambda e: (
        _("Satisfaction survey sent to %(email)s") % {"email": e.data.get("recipient_email", "")}
    ),
    CsatEvent.ANSWERED: lambda e: (
        _("The client rated this %(score)s out of 5") % {"score": e.data.get("score", "?")}
        + (f": “{e.data['comment']}”" if e.data.get("comment") else "")
    ),
    CsatEvent.COMMENTED: lambda e: (
        _("The client commented on their rating: “%(comment)s”")
        % {"comment": e.data.get("comment", "")}
    ),
}

for _kind, _sentence in SENTENCES.items():
    register_describer(_kind, _sentence)
