"""The survey email: the question, five one-click links (1 to 5) and a link to the portal, in
the recipient's language.

Sent by a background task once the survey's transaction commits, exactly like the portal's
message emails: the row is *claimed* first (a conditional ``UPDATE`` that stamps
``email_claimed_at``), so two workers never both send it; a failed send releases the claim,
keeps the error and is retried with the notifications' backoff, at most
``notifications.delivery.MAX_EMAIL_ATTEMPTS`` times. A survey answered (in the portal) or
closed before its email left is not sent at all.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.tasks import task as background_task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from partnerdesk.core import clock
from partnerdesk.core.queue import enqueue_later
from partnerdesk.notifications.delivery import MAX_EMAIL_ATTEMPTS, backoff

from . import links
from .models import SCORE_LABELS, Survey

log = logging.getLogger(__name__)
# A claim older than this belongs to a worker that died mid-send: it may be taken again.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)


def send_survey_email(survey_id: int, attempt: int = 0) -> bool:
    """Send a survey's email once; True when this call sent it."""
    now = clock.now()
    claimed = (
        Survey.objects.filter(
            pk=survey_id,
            emailed_at__isnull=True,
            answered_at__isnull=True,
            expires_at__gt=now,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
        )
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(email_claimed_at=now, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return False
    survey = Survey.objects.select_related("task", "ticket", "company", "recipient").get(
        pk=survey_id
    )
    try:
        message(survey).send()
    except Exception as exc:  # any transport failure: release the claim, retry later
        log.warning("survey %s: email to %s failed", survey_id, survey.recipient_email)
        Survey.objects.filter(pk=survey_id).update(
            email_claimed_at=None, email_error=str(exc)[:2000]
        )
        if survey.email_attempts < MAX_EMAIL_ATTEMPTS:
            enqueue_later(
                send_survey_email_task,
                clock.now() + backoff(attempt + 1),
                survey_id=survey_id,
                attempt=attempt + 1,
            )
        return False
    Survey.objects.filter(pk=survey_id).update(emailed_at=clock.now(), email_error="")
    return True


@background_task
def send_survey_email_task(survey_id: int, attempt: int = 0) -> bool:
    """The background task of ``send_survey_email`` (enqueued when a survey is created, and
    again with backoff while a send fails)."""
    return send_survey_email(survey_id, attempt)


def message(survey: Survey) -> EmailMultiAlternatives:
    """The email of a survey, rendered in its language (and its recipient's time zone)."""
    agency = settings.PARTNERDESK["AGENCY_NAME"]
    zone = survey.recipient.timezone if survey.recipient and survey.recipient.timezone else None
    with translation.override(survey.language), timezone.override(zone or settings.TIME_ZONE):
        context = {
            "survey": survey,
            "agency_name": agency,
            "title": survey.subject_title,
            "is_task": survey.task_id is not None,
            "links": [
                (score, SCORE_LABELS[score], url) for score, url in links.answer_links(survey)
            ],
            "portal_url": settings.SITE_URL + links.portal_path(survey)
            if survey.recipient_id
            else "",
        }
        subject = translation.gettext("[%(agency)s] How satisfied are you? %(title)s") % {
            "agency": agency,
            "title": " ".join(survey.subject_title.split()),
        }
        text = render_to_string("satisfaction/email/survey.txt", context)
        html = render_to_string("satisfaction/email/survey.html", context)
    email = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [survey.recipient_email],
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    email.attach_alternative(html, "text/html")
    return email
