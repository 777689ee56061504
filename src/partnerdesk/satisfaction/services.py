"""Satisfaction surveys: sending one when work ends, answering it once, commenting, settings.

**Once per task or ticket.** ``Survey.task`` and ``Survey.ticket`` are unique: a task completed
again, a ticket closed twice or an event processed twice finds the survey there and sends
nothing more.

**One answer.** Every answer (one-click link, portal, API) goes through ``_record_answer``:
the survey row is locked (``select_for_update``), then written by a conditional ``UPDATE …
WHERE answered_at IS NULL`` whose row count must be 1. Two clicks at once record one score; the
other is told it was already answered. Nothing is recorded after ``expires_at``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Role, User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import (
    SYSTEM,
    Actor,
    person,
    require_admin,
    require_client_of,
    require_staff,
)
from partnerdesk.core.records import UNSET, Unset, given
from partnerdesk.crm.models import StageKind
from partnerdesk.portal.models import Status, Task
from partnerdesk.portal.recipients import client_recipients
from partnerdesk.tickets.models import Ticket

from . import errors, links
from .events import CsatEvent
from .mail import send_survey_email_task
from .models import MAX_SCORE, SCORES, AnsweredVia, Survey, SurveySettings

COMMENT_LIMIT = 5000
LINK_SCORES = frozenset(str(score) for score in SCORES)  # the five links' "1" … "5"


# ---------------------------------------------------------------- sending


def _agent(user: User | None) -> User | None:
    return user if user is not None and user.is_agency_staff else None


def task_recipient(task: Task) -> User | None:
    """The client asked about a task: its requester, else who hears from us about it."""
    users = [u for u in client_recipients(task) if u.is_client and u.company_id == task.company_id]
    return next((u for u in users if u.email), None)


def ticket_recipient(email: str, company_id: int) -> User | None:
    """The active client user of the company whose address is the ticket contact's."""
    return (
        User.objects.filter(
            email__iexact=email,
            role=Role.CLIENT,
            is_active=True,
            company_id=company_id,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def survey_create_for_task(*, task: Task, by: Actor = SYSTEM, now: dt.datetime | None = None):
    """The survey of a completed task (created once, then emailed); None when none is due:
    surveys of tasks are off, the task is not complete, or nobody can be asked."""
    require_staff(by)
    if not SurveySettings.load().enabled_for_tasks:
        return None
    task = Task.objects.select_related("requested_by", "assignee").get(pk=task.pk)
    if task.status != Status.COMPLETE:
        return None
    existing = Survey.objects.filter(task=task).first()
    if existing is not None:
        return existing
    recipient = task_recipient(task)
    if recipient is None:
        return None
    return _create(
        by=by,
        subject=task,
        fields={"task": task},
        company_id=task.company_id,
        recipient=recipient,
        email=recipient.email,
        agent=_agent(task.assignee),
        now=now,
    )


@transaction.atomic
def survey_create_for_ticket(*, ticket: Ticket, by: Actor = SYSTEM, now: dt.datetime | None = None):
    """The survey of a closed ticket with a contact whose address is known; None otherwise (or
    when surveys of tickets are off, or the ticket is open again)."""
    require_staff(by)
    if not SurveySettings.load().enabled_for_tickets:
        return None
    ticket = Ticket.objects.select_related("stage", "contact", "owner").get(pk=ticket.pk)
    if ticket.stage.kind == StageKind.OPEN or ticket.contact is None:
        return None
    email = (ticket.contact.email or "").strip().lower()
    company_id = ticket.company_id or ticket.contact.company_id
    if not email or company_id is None:
        return None
    existing = Survey.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    return _create(
        by=by,
        subject=ticket,
        fields={"ticket": ticket},
        company_id=company_id,
        recipient=ticket_recipient(email, company_id),
        email=email,
        agent=_agent(ticket.owner),
        now=now,
    )


def _create(*, by, subject, fields, company_id, recipient, email, agent, now) -> Survey:
    now = now or clock.now()
    days = SurveySettings.load().link_valid_days
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                **fields,
                company_id=company_id,
                recipient=recipient,
                recipient_email=email,
                language=recipient.language if recipient else django_settings.LANGUAGE_CODE,
                agent=agent,
                sent_at=now,
                expires_at=now + dt.timedelta(days=days),
            )
    except IntegrityError:  # created meanwhile by another worker
        return Survey.objects.get(**fields)
    record_event(
        kind=CsatEvent.SENT,
        subject=subject,
        actor=person(by),
        company_id=company_id,
        data={"survey_id": survey.pk, "recipient_email": email},
    )
    transaction.on_commit(lambda: send_survey_email_task.enqueue(survey_id=survey.pk))
    return survey


# ---------------------------------------------------------------- answering


def _score(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SCORE:
        raise errors.invalid_score()
    return value


def _clean_comment(value) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if len(text) > COMMENT_LIMIT:
        raise DomainError(
            code="too_long",
            message=_("At most %(n)s characters.") % {"n": COMMENT_LIMIT},
            field="comment",
        )
    return text


def _record_answer(
    *, survey_id: int, score, comment: str, via: str, by: Actor, now: dt.datetime | None
) -> Survey:
    """Record the one answer of a survey (the caller's transaction), or say why not."""
    now = now or clock.now()
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None:
        raise errors.invalid_link()
    score = _score(score)
    comment = _clean_comment(comment)
    if survey.answered_at is not None:
        raise errors.already_answered(survey)
    if now >= survey.expires_at:
        raise errors.expired(survey)
    answerer = person(by)
    updated = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        score=score,
        answered_at=now,
        answered_via=via,
        answered_by=answerer,
        comment=comment,
        commented_at=now if comment else None,
    )
    if updated != 1:  # answered between the lock and the update: never twice
        survey.refresh_from_db()
        raise errors.already_answered(survey)
    survey.refresh_from_db()
    record_event(
        kind=CsatEvent.ANSWERED,
        subject=survey.task or survey.ticket,
        actor=answerer,
        company_id=survey.company_id,
        data={"survey_id": survey.pk, "score": score, "via": via, "comment": comment},
    )
    return survey


@transaction.atomic
def survey_answer_from_link(*, token: str, score, now: dt.datetime | None = None) -> Survey:
    """A one-click answer from the email: the signed token is the proof (no sign-in)."""
    try:
        survey_id = links.read_token(token)
    except links.BadLink as exc:
        raise errors.invalid_link() from exc
    if str(score) not in LINK_SCORES:
        raise errors.invalid_link()  # not one of the five links we sent
    score = int(str(score))
    return _record_answer(
        survey_id=survey_id, score=score, comment="", via=AnsweredVia.EMAIL, by=None, now=now
    )


@transaction.atomic
def survey_answer(
    *,
    survey: Survey,
    by: Actor,
    score,
    comment: str = "",
    via: str = AnsweredVia.PORTAL,
    now: dt.datetime | None = None,
) -> Survey:
    """A signed-in user of the client's company answers (the portal, the API)."""
    require_client_of(by, survey.company_id, _("Only a user of the client's company can answer."))
    return _record_answer(
        survey_id=survey.pk, score=score, comment=comment, via=via, by=by, now=now
    )


# ---------------------------------------------------------------- commenting


def _record_comment(*, survey_id: int, comment, by: Actor, now: dt.datetime) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey_id)
    text = _clean_comment(comment)
    if not text:
        raise DomainError(code="required", message=_("Write a comment first."), field="comment")
    if survey.answered_at is None:
        raise errors.not_answered()
    updated = Survey.objects.filter(pk=survey.pk, commented_at__isnull=True).update(
        comment=text, commented_at=now
    )
    if updated != 1:
        survey.refresh_from_db()
        raise errors.already_commented(survey)
    survey.refresh_from_db()
    record_event(
        kind=CsatEvent.COMMENTED,
        subject=survey.task or survey.ticket,
        actor=person(by),
        company_id=survey.company_id,
        data={"survey_id": survey.pk, "comment": text},
    )
    return survey


def comment_window_open(survey: Survey, now: dt.datetime | None = None) -> bool:
    return survey.answered_at is not None and (now or clock.now()) <= (
        survey.answered_at + links.COMMENT_WINDOW
    )


@transaction.atomic
def survey_comment_from_link(
    *, token: str, proof: str, comment, now: dt.datetime | None = None
) -> Survey:
    """A comment right after a one-click score, without signing in: the thank-you page's proof
    holds for ``links.COMMENT_WINDOW`` after the answer; later, sign in (403
    ``sign_in_to_comment``)."""
    now = now or clock.now()
    try:
        survey_id = links.read_token(token)
    except links.BadLink as exc:
        raise errors.invalid_link() from exc
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise errors.invalid_link()
    if survey.answered_at is None:
        raise errors.not_answered()
    if not (links.proof_holds(proof, survey) and comment_window_open(survey, now)):
        raise errors.sign_in_to_comment()
    return _record_comment(survey_id=survey.pk, comment=comment, by=None, now=now)


@transaction.atomic
def survey_comment(*, survey: Survey, by: Actor, comment, now: dt.datetime | None = None) -> Survey:
    """A signed-in user of the client's company adds the comment of an answered survey."""
    require_client_of(by, survey.company_id, _("Only a user of the client's company can comment."))
    return _record_comment(survey_id=survey.pk, comment=comment, by=by, now=now or clock.now())


# ---------------------------------------------------------------- settings


@transaction.atomic
def survey_settings_update(
    *,
    by: Actor,
    enabled_for_tasks: bool | Unset = UNSET,
    enabled_for_tickets: bool | Unset = UNSET,
    link_valid_days: int | Unset = UNSET,
    low_score_threshold: int | Unset = UNSET,
) -> SurveySettings:
    """When surveys are sent, how long they stay open, and which scores alert the team lead.
    A change applies to surveys sent from then on."""
    require_admin(by)
    SurveySettings.load()
    row = SurveySettings.objects.select_for_update().get(pk=1)
    fields = given(
        enabled_for_tasks=enabled_for_tasks,
        enabled_for_tickets=enabled_for_tickets,
        link_valid_days=link_valid_days,
        low_score_threshold=low_score_threshold,
    )
    for name in ("enabled_for_tasks", "enabled_for_tickets"):
        if name in fields and not isinstance(fields[name], bool):
            raise DomainError(code="invalid", message=_("Choose yes or no."), field=name)
    days = fields.get("link_valid_days", row.link_valid_days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise DomainError(
            code="invalid_days",
            message=_("Enter a number of days from 1 to 365."),
            field="link_valid_days",
        )
    threshold = fields.get("low_score_threshold", row.low_score_threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold < 5:
        raise DomainError(
            code="invalid_threshold",
            message=_("Enter a score from 0 (never) to 4."),
            field="low_score_threshold",
        )
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row
