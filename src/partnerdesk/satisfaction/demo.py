"""Demo satisfaction answers: a survey for every completed demo task and every closed demo
ticket whose contact has an address, most of them answered (mostly 4s and 5s, one low score
with a comment that notified the team lead), so the answers page and the Satisfaction report
have something to show. Written through the services; loaded once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from partnerdesk.core import clock
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.crm.models import StageKind
from partnerdesk.portal.models import Status, Task
from partnerdesk.tickets.models import Ticket

from . import links, services
from .models import Survey

# Answers in turn (None: not answered yet); a comment for the low one.
SCORES = [5, 2, 4, None, 5, 4, 5, 3, 5, None]
COMMENTS = {2: "The fix took longer than we were told, and nobody updated us in between."}


@transaction.atomic
def load() -> bool:
    """False when the demo's surveys are there already (or there is nothing to ask about)."""
    if Survey.objects.exists():
        return False
    now = clock.now()
    subjects = [
        *Task.objects.filter(status=Status.COMPLETE).order_by("pk"),
        *Ticket.objects.exclude(stage__kind=StageKind.OPEN)
        .filter(contact__isnull=False)
        .exclude(contact__email="")
        .order_by("pk"),
    ]
    created = 0
    for i, subject in enumerate(subjects):
        sent = now - dt.timedelta(days=2 + (i * 5) % 40, hours=i % 9)
        if isinstance(subject, Task):
            survey = services.survey_create_for_task(task=subject, by=SYSTEM, now=sent)
        else:
            survey = services.survey_create_for_ticket(ticket=subject, by=SYSTEM, now=sent)
        if survey is None:
            continue
        created += 1
        score = SCORES[i % len(SCORES)]
        if score is None:
            continue
        answered = sent + dt.timedelta(hours=3 + i % 20)
        services.survey_answer_from_link(
            token=links.make_token(survey), score=str(score), now=min(answered, now)
        )
        survey.refresh_from_db()
        if (comment := COMMENTS.get(score)) and survey.recipient is not None:
            services.survey_comment(
                survey=survey, by=survey.recipient, comment=comment, now=min(answered, now)
            )
    return created > 0


def survey_count() -> int:
    return Survey.objects.count()
