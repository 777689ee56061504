"""The satisfaction API: surveys and their answers (staff: all; a client: their company's,
another company's is a 404), and a client answering in the app. The same selector and
services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema
from pydantic import StrictInt

from partnerdesk.accounts.api_auth import CLIENT
from partnerdesk.core.api import (
    Id,
    OneOf,
    OptionalId,
    Page,
    PageParams,
    Problem,
    Strict,
    paginate,
)
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import selectors, services
from .models import MAX_SCORE, MIN_SCORE, AnsweredVia, Survey
from .services import COMMENT_LIMIT

router = Router(tags=["satisfaction"])
ERRORS = {403: Problem, 404: Problem, 409: Problem, 410: Problem, 422: Problem}


class CsatRef(Schema):
    id: int
    name: str


class CsatSurveyOut(Schema):
    id: int
    kind: Literal["task", "ticket"]
    task: CsatRef | None
    ticket: CsatRef | None
    company: CsatRef
    agent: CsatRef | None = Field(description="The task's assignee or ticket's owner when sent")
    recipient_email: str
    language: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    score: int | None
    comment: str
    answered_at: dt.datetime | None
    answered_via: Annotated[str, OneOf(AnsweredVia)] | None
    commented_at: dt.datetime | None


def survey_out(survey: Survey, user=None) -> dict:
    task, ticket, agent = survey.task, survey.ticket, survey.agent
    return {
        "id": survey.pk,
        "kind": survey.kind,
        "task": {"id": task.pk, "name": task.title} if task is not None else None,
        "ticket": {"id": ticket.pk, "name": ticket.name} if ticket is not None else None,
        "company": {"id": survey.company_id, "name": survey.company.name},
        "agent": {"id": agent.pk, "name": agent.display_name} if agent is not None else None,
        "recipient_email": survey.recipient_email,
        "language": survey.language,
        "sent_at": survey.sent_at,
        "expires_at": survey.expires_at,
        "score": survey.score,
        "comment": survey.comment,
        "answered_at": survey.answered_at,
        "answered_via": survey.answered_via or None,
        "commented_at": survey.commented_at,
    }


class CsatSurveyPage(Page):
    items: list[CsatSurveyOut]


class CsatSurveyFilters(Schema):
    answered: bool | None = Field(
        None, description="true: answered; false: not answered; none: all"
    )
    score: int | None = Field(None, ge=MIN_SCORE, le=MAX_SCORE)
    kind: Literal["task", "ticket"] | None = None
    company_id: int | None = OptionalId
    agent_id: int | None = OptionalId
    answered_from: dt.date | None = None
    answered_to: dt.date | None = None


class CsatAnswerIn(Strict):
    score: StrictInt = Field(
        ..., ge=MIN_SCORE, le=MAX_SCORE, description="1 (very dissatisfied) to 5"
    )
    comment: str = Field("", max_length=COMMENT_LIMIT)


def _survey(request, survey_id: int) -> Survey:
    return get_object_for_user_or_404(
        selectors.surveys_for(request.auth), request.auth, pk=survey_id
    )


@router.get(
    "/satisfaction/surveys",
    response=CsatSurveyPage,
    summary="List satisfaction surveys and answers (client users: their company's)",
)
def list_surveys(request, filters: Query[CsatSurveyFilters], page: Query[PageParams]):
    qs = selectors.filter_surveys(
        request.auth,
        selectors.SurveyFilters(
            answered=filters.answered,
            score=filters.score,
            kind=filters.kind,
            company_id=filters.company_id,
            agent_id=filters.agent_id,
            answered_from=filters.answered_from,
            answered_to=filters.answered_to,
        ),
    )
    return paginate(qs, page, survey_out)


@router.get(
    "/satisfaction/surveys/{survey_id}",
    response={200: CsatSurveyOut, 404: Problem},
    summary="One satisfaction survey",
)
def get_survey(request, survey_id: int = Id):
    return survey_out(_survey(request, survey_id))


@router.post(
    "/satisfaction/surveys/{survey_id}/answer",
    auth=CLIENT,
    response={200: CsatSurveyOut, **ERRORS},
    summary="Answer a satisfaction survey (a user of the client's company)",
    description=(
        "Records the one answer of the survey: 409 `already_answered` when it has one (nothing "
        "changes), 410 `expired` after `expires_at`, 422 for a score outside 1–5."
    ),
)
def answer_survey(request, payload: CsatAnswerIn, survey_id: int = Id):
    survey = _survey(request, survey_id)
    services.survey_answer(
        survey=survey,
        by=request.auth,
        score=payload.score,
        comment=payload.comment,
        via=AnsweredVia.API,
    )
    return survey_out(_survey(request, survey_id))
