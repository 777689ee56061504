"""The satisfaction app's refusals: stable codes, a sentence that says why, the HTTP status.

``invalid_link`` (400) a link we did not make; ``already_answered`` (409) a survey answered
before (nothing recorded); ``expired`` (410) a survey past its ``expires_at``; ``invalid_score``
(422) a score outside 1–5; ``not_answered`` (409) a comment before the score;
``already_commented`` (409); ``sign_in_to_comment`` (403) a comment from an old link.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict

from .models import MAX_SCORE, MIN_SCORE, Survey


def when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def invalid_link() -> DomainError:
    return DomainError(
        code="invalid_link",
        message=_(
            "This link is not valid: it was changed or cut short. Open the link exactly as it "
            "is in the email. Nothing was recorded."
        ),
        status=400,
    )


def invalid_score() -> DomainError:
    return DomainError(
        code="invalid_score",
        message=_("Choose a score from %(min)s to %(max)s.") % {"min": MIN_SCORE, "max": MAX_SCORE},
        field="score",
    )


def already_answered(survey: Survey) -> DomainError:
    return conflict(
        "already_answered",
        _(
            "This survey was already answered on %(when)s, with %(score)s out of 5. Nothing new was recorded."
        )
        % {"when": when(survey.answered_at), "score": survey.score},
        field="score",
    )


def expired(survey: Survey) -> DomainError:
    return DomainError(
        code="expired",
        message=_("This survey closed on %(when)s. Nothing was recorded.")
        % {"when": when(survey.expires_at)},
        status=410,
    )


def not_answered() -> DomainError:
    return conflict("not_answered", _("Give a score first, then a comment."), field="comment")


def already_commented(survey: Survey) -> DomainError:
    return conflict(
        "already_commented",
        _("A comment was already added on %(when)s.") % {"when": when(survey.commented_at)},
        field="comment",
    )


def sign_in_to_comment() -> DomainError:
    return DomainError(
        code="sign_in_to_comment",
        message=_(
            "This link is too old to add a comment without signing in. Sign in to the portal "
            "to add it."
        ),
        status=403,
    )
