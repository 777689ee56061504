"""The event kinds the satisfaction app records, on the task or the ticket asked about (so
they are entries of its timeline). Data: ``survey_id`` and what each says below."""

from enum import StrEnum


class CsatEvent(StrEnum):
    SENT = "csat.sent"  # {"survey_id", "recipient_email"}
    ANSWERED = "csat.answered"  # {"survey_id", "score", "via", "comment"}
    COMMENTED = "csat.commented"  # {"survey_id", "comment"}: added after a one-click score
