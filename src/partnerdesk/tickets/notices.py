"""The text of the status emails to customers (issue 14, part 4): built-in texts, the admins'
edits, validation and rendering.

A pipeline's ``CustomerNotice`` for an event holds the text per language; a language without
its own text uses the built-in text in that language (translated with the app), so a new
translation reaches every pipeline that kept the built-in text. Texts are Django template text
rendered by an engine with no template loader (no include, no extends) on a plain dictionary of
strings (``CONTEXT_NAMES``): nothing of the database is reachable from a template. They are
checked when saved (``check_template``): a text that does not compile or render is a form
error, never a failed email. Sending is ``notice_mail``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core.defaults import install_once
from partnerdesk.core.errors import DomainError, FieldError
from partnerdesk.core.permissions import require_admin
from partnerdesk.crm.models import Contact, ObjectType, Pipeline

from .models import CustomerNotice, NoticeEvent, Ticket

SUBJECT_MAX = 200
BODY_MAX = 5000
# The names a text may use, each a string.
CONTEXT_NAMES = (
    "ticket_number",
    "ticket_subject",
    "ticket_status",
    "portal_link",
    "contact_name",
    "agency_name",
)
# Tags that would reach beyond the text (other templates, the context's internals).
FORBIDDEN_TAGS = {"include", "extends", "block", "load", "debug", "ssi"}

ENGINE = Engine(
    dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, string_if_invalid=""
)


def languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def builtin_text(event: str, language: str | None = None) -> dict[str, str]:
    """The built-in subject and body of ``event`` in ``language`` (the active one if None)."""
    with translation.override(language or translation.get_language()):
        subject = _("[{{ agency_name }} #{{ ticket_number }}] {{ ticket_subject }}")
        hello = _("Hello {{ contact_name }},")
        follow = _("Follow your request in the client portal: {{ portal_link }}")
        bodies = {
            NoticeEvent.OPENED: _(
                "We received your request “{{ ticket_subject }}” and opened it as "
                "#{{ ticket_number }}. Reply to this email to add anything."
            ),
            NoticeEvent.WAITING_ON_CUSTOMER: _(
                "We need something from you to go on with your request #{{ ticket_number }} "
                "“{{ ticket_subject }}”: please see our last message and reply to this email."
            ),
            NoticeEvent.RESOLVED: _(
                "We resolved your request #{{ ticket_number }} “{{ ticket_subject }}”. If "
                "anything is still not right, reply to this email and we will look at it again."
            ),
        }
        body = f"{hello}\n\n{bodies[NoticeEvent(event)]}\n\n{follow}\n\n{{{{ agency_name }}}}"
    return {"subject": subject, "body": body}


def texts_for(notice: CustomerNotice | None, event: str, language: str) -> dict[str, str]:
    """The subject and body a contact in ``language`` gets: the notice's own text in that
    language, else the built-in one."""
    own = (notice.texts if notice is not None else {}).get(language) or {}
    if own.get("subject") and own.get("body"):
        return {"subject": own["subject"], "body": own["body"]}
    return builtin_text(event, language)


# ---------------------------------------------------------------- checking and rendering


def sample_context() -> dict[str, str]:
    """What the preview and the check render a text with."""
    return {
        "ticket_number": "1042",
        "ticket_subject": _("The invoice page shows an error"),
        "ticket_status": _("Waiting on you"),
        "portal_link": settings.SITE_URL + "/portal/tickets/1042/",
        "contact_name": "Mario",
        "agency_name": str(settings.PARTNERDESK["AGENCY_NAME"]),
    }


def _render(text: str, context: Mapping[str, str]) -> str:
    return ENGINE.from_string(text).render(Context(dict(context), autoescape=False))


def template_error(text: str) -> str | None:
    """Why ``text`` cannot be used (None when it can)."""
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = (token.split_contents() or [""])[0]
            if name in FORBIDDEN_TAGS:
                return _("The tag “%(tag)s” cannot be used here.") % {"tag": name}
    try:
        _render(text, sample_context())
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        return _("This text has a template error: %(error)s") % {"error": exc}
    except Exception as exc:  # a filter that fails on a string, …
        return _("This text cannot be rendered: %(error)s") % {"error": exc}
    return None


def render_notice(
    *, notice: CustomerNotice | None, event: str, language: str, context: Mapping[str, str]
) -> tuple[str, str, str]:
    """(subject, text, HTML) of the email in ``language``; a stored text that fails to render
    (it was checked when saved) falls back to the built-in text."""
    with translation.override(language):
        text = texts_for(notice, event, language)
        try:
            subject, body = _render(text["subject"], context), _render(text["body"], context)
        except Exception:
            text = builtin_text(event, language)
            subject, body = _render(text["subject"], context), _render(text["body"], context)
        html = render_to_string(
            "tickets/email/notice.html",
            {
                "body": body.strip(),
                "agency_name": str(settings.PARTNERDESK["AGENCY_NAME"]),
            },
        )
    return " ".join(subject.split())[:255], body.strip() + "\n", html


def contact_name(contact: Contact) -> str:
    return (contact.first_name or str(contact) or contact.email).strip()


def ticket_context(ticket: Ticket, contact: Contact, language: str) -> dict[str, str]:
    """The values a notice about ``ticket`` is rendered with (the status in ``language``)."""
    with translation.override(language):
        status = ticket.stage.customer_status
    return {
        "ticket_number": str(ticket.pk),
        "ticket_subject": ticket.name,
        "ticket_status": status,
        "portal_link": settings.SITE_URL
        + reverse("portal_tickets:detail", kwargs={"pk": ticket.pk}),
        "contact_name": contact_name(contact),
        "agency_name": str(settings.PARTNERDESK["AGENCY_NAME"]),
    }


# ---------------------------------------------------------------- editing


def notice_for(pipeline: Pipeline, event: str) -> CustomerNotice | None:
    return CustomerNotice.objects.filter(pipeline=pipeline, event=event).first()


def check_texts(texts: Mapping[str, Mapping[str, str]], event: str) -> dict[str, dict[str, str]]:
    """The texts to store (those that differ from the built-in ones), or a DomainError naming
    every field to correct."""
    errors: list[FieldError] = []
    kept: dict[str, dict[str, str]] = {}
    for language, _name in languages():
        given = texts.get(language) or {}
        subject = " ".join(str(given.get("subject") or "").split())
        body = str(given.get("body") or "").strip().replace("\r\n", "\n")
        if not subject and not body:
            continue
        for name, value, limit in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
            field = f"{name}_{language}"
            if not value:
                errors.append(
                    FieldError(field, "required", _("Write a text, or leave both empty."))
                )
            elif len(value) > limit:
                message = _("At most %(n)s characters.") % {"n": limit}
                errors.append(FieldError(field, "too_long", message))
            elif (why := template_error(value)) is not None:
                errors.append(FieldError(field, "invalid_template", why))
        if {"subject": subject, "body": body} != builtin_text(event, language):
            kept[language] = {"subject": subject, "body": body}
    if errors:
        raise DomainError(
            code="invalid_template",
            message=_("Correct the email texts: %(fields)s.")
            % {"fields": ", ".join(str(e.field) for e in errors)},
            errors=errors,
        )
    return kept


@transaction.atomic
def customer_notice_save(
    *, pipeline: Pipeline, event: str, by, enabled: bool, texts: Mapping[str, Mapping[str, str]]
) -> CustomerNotice:
    """Turn a pipeline's notice on ``event`` on or off and set its texts per language
    (``{language: {"subject", "body"}}``; empty, or the built-in text: the built-in one)."""
    require_admin(by)
    if pipeline.object_type != ObjectType.TICKET:
        raise DomainError(
            code="invalid_pipeline",
            message=_("Only ticket pipelines email their customers."),
            field="pipeline",
        )
    if event not in NoticeEvent.values:
        raise DomainError(code="invalid_event", message=_("Unknown event."), field="event")
    kept = check_texts(texts, event)
    notice, _created = CustomerNotice.objects.select_for_update().get_or_create(
        pipeline=pipeline, event=event
    )
    notice.enabled = bool(enabled)
    notice.texts = kept
    notice.updated_by = by if isinstance(by, User) else None
    notice.save()
    return notice


# ---------------------------------------------------------------- defaults


def install_customer_notices() -> None:
    """Each default ticket pipeline gets its three notices once (switched off, with the built-in
    text in the default language), so admins find them ready to switch on and edit."""
    for pipeline in Pipeline.objects.filter(object_type=ObjectType.TICKET).exclude(key=""):
        for event in NoticeEvent.values:
            language = settings.LANGUAGE_CODE

            def create(pipeline=pipeline, event=event, language=language):
                return CustomerNotice.objects.get_or_create(
                    pipeline=pipeline,
                    event=event,
                    defaults={"texts": {language: builtin_text(event, language)}},
                )

            install_once(f"tickets.customernotice.{pipeline.key}.{event}", create)
