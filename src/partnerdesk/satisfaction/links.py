"""The signed links of a survey email, and the proof that lets its answerer add a comment.

A survey link is ``/csat/<token>/<score>/``. The token is ``django.core.signing`` over the
survey's id with this module's salt (a ``TimestampSigner``: it also carries when it was
made): nobody can make one for another survey, or change the id in it, without the secret key.
The score is the one link of five the client clicked; it is not signed (the recipient holds
all five). How long a link works is the survey's own ``expires_at``, not the token's age, so a
changed setting never shortens the links already sent.

After a one-click score the thank-you page carries a *comment proof*: the survey id and the
moment it was answered, signed with another salt. It lets the same browser add a comment
without signing in for ``COMMENT_WINDOW`` after the answer; after that, the comment needs a
signed-in user of the client's company ("login for the comment if the link is old").
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import MAX_SCORE, MIN_SCORE, Survey

SALT = "partnerdesk.satisfaction.link"
COMMENT_SALT = "partnerdesk.satisfaction.comment"
COMMENT_WINDOW = dt.timedelta(hours=1)


class BadLink(Exception):
    """The token was not made by us (forged, mangled or cut short)."""


def make_token(survey: Survey) -> str:
    return signing.dumps({"s": survey.pk}, salt=SALT, compress=False)


def read_token(token: str) -> int:
    """The survey id a token names; BadLink when the signature does not hold."""
    try:
        data = signing.loads(token or "", salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadLink(token) from exc
    survey_id = data.get("s") if isinstance(data, dict) else None
    if not isinstance(survey_id, int) or isinstance(survey_id, bool) or survey_id < 1:
        raise BadLink(token)
    return survey_id


def answer_path(survey: Survey, score: int, token: str | None = None) -> str:
    return reverse(
        "satisfaction:answer", kwargs={"token": token or make_token(survey), "score": score}
    )


def answer_links(survey: Survey) -> list[tuple[int, str]]:
    """The five one-click links (absolute), 1 to 5, as (score, url)."""
    token = make_token(survey)
    return [
        (score, settings.SITE_URL + answer_path(survey, score, token))
        for score in range(MIN_SCORE, MAX_SCORE + 1)
    ]


def portal_path(survey: Survey) -> str:
    return reverse("satisfaction:portal_answer", kwargs={"pk": survey.pk})


def comment_proof(survey: Survey) -> str:
    assert survey.answered_at is not None
    return signing.dumps(
        {"s": survey.pk, "a": _stamp(survey.answered_at)}, salt=COMMENT_SALT, compress=False
    )


def proof_holds(proof: str, survey: Survey) -> bool:
    """Whether ``proof`` was given for this survey's answer (its age is checked by the
    service, against the clock the rules use)."""
    try:
        data = signing.loads(proof or "", salt=COMMENT_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return (
        isinstance(data, dict)
        and survey.answered_at is not None
        and data.get("s") == survey.pk
        and data.get("a") == _stamp(survey.answered_at)
    )


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()
