"""Permission-matrix routes of the satisfaction app, and the fixtures they refer to (``Ref("...")``).

``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX and imports this module's
fixtures, so every check there (refusal before validation, other company's object) covers them.

The survey email's links (``satisfaction:answer``, ``satisfaction:comment``) are public: the
signed token is the proof, not a session. A token we did not sign is the same 400 ("this link
is not valid") for everybody, signed in or not, and records nothing; only GET answers and only
POST comments (405 otherwise). The client's answer page is their company's only (another
company's survey is the 404 of a missing one); the answers list is staff-only and the settings
admin-only, like every staff page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnerdesk.satisfaction.models import Survey
from tests.matrix.vocab import (
    ADMIN_INVALID_FORM,
    ADMIN_ONLY,
    ALL,
    API_OWNED_READ,
    API_READ,
    LOGIN,
    STAFF,
    E,
    Ref,
    Route,
    get,
    op,
    post,
    post_form,
)

BOGUS_TOKEN = "eyJzIjoxfQ:1vRbogus:not-our-signature"

ROUTES: dict[str, Route] = {
    # ------------------------------------------------------------ the email's links (public)
    "satisfaction:answer": Route(
        checks=(get(ALL(400)), post(ALL(405))), kwargs={"token": BOGUS_TOKEN, "score": "5"}
    ),
    "satisfaction:comment": Route(
        checks=(get(ALL(405)), post(ALL(400), {"proof": "x", "comment": "Hello"})),
        kwargs={"token": BOGUS_TOKEN},
    ),
    # ------------------------------------------------------------ the client's answer page
    # Clients of the survey's company only: staff have no portal page (404, like /portal/).
    # Posted without a score: the form comes back with 400.
    "satisfaction:portal_answer": Route(
        checks=(get(E(LOGIN, 200, 404, 404, 404)), post_form(E(LOGIN, 400, 404, 404, 404))),
        kwargs={"pk": Ref("csat_survey")},
        owned="pk",
    ),
    # ------------------------------------------------------------ staff
    "satisfaction:answers": Route(checks=(get(STAFF),)),
    "satisfaction:settings": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    # ------------------------------------------------------------ API
    "GET /api/satisfaction/surveys": op(API_READ),
    "GET /api/satisfaction/surveys/{survey_id}": op(
        API_OWNED_READ, survey_id=Ref("csat_survey"), owned="survey_id"
    ),
    # A client of the survey's company answers; staff are refused for the role (403) before
    # the body or the id is looked at; another company's survey is a missing one.
    "POST /api/satisfaction/surveys/{survey_id}/answer": op(
        E(401, 200, 404, 403, 403),
        {"score": 4, "comment": "Matrix"},
        survey_id=Ref("csat_survey"),
        owned="survey_id",
    ),
}


@pytest.fixture
def csat_survey(portal_task, client_user, agent):
    """An open survey of ``company`` (about its portal task), not answered yet."""
    now = timezone.now()
    return Survey.objects.create(
        task=portal_task,
        company_id=portal_task.company_id,
        recipient=client_user,
        recipient_email=client_user.email,
        agent=agent,
        sent_at=now,
        expires_at=now + dt.timedelta(days=14),
    )
