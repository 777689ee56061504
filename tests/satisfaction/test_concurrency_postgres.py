"""Two (or ten) clicks on the survey links at once record one answer, on PostgreSQL.

Each thread has its own database connection and all are released at once by a barrier, so
the answers really race; one wins, every other is told it was already answered. Skipped on
SQLite, whose writers are serialised anyway (IMMEDIATE transactions). Run with:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csat .venv/bin/python -m pytest \
        tests/satisfaction/test_concurrency_postgres.py -q -p no:cacheprovider
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from partnerdesk.core.models import Event
from partnerdesk.satisfaction import links, services
from partnerdesk.satisfaction.events import CsatEvent
from tests.portal.test_concurrency_postgres import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency tests run on PostgreSQL")


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_clicks_record_one_answer(survey, client_user, round_):
    token = links.make_token(survey)
    calls = [
        lambda score=1 + i % 5: services.survey_answer_from_link(token=token, score=score)
        for i in range(10)
    ]
    calls.append(lambda: services.survey_answer(survey=survey, by=client_user, score=3))
    results = race(calls)
    outcomes = Counter(r[0] if r[0] == "ok" else r[1] for r in results)
    assert outcomes == {"ok": 1, "already_answered": 10}, outcomes
    survey.refresh_from_db()
    winner = next(r[1] for r in results if r[0] == "ok")
    assert survey.score == winner.score and survey.answered_at is not None
    assert Event.objects.filter(kind=CsatEvent.ANSWERED).count() == 1
