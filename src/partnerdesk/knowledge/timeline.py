"""Sentences for the knowledge base's timeline entries (one per ``KnowledgeEvent`` kind)."""

from django.conf import settings
from django.utils.translation import gettext as _

from partnerdesk.core.events import describe_changes as _changes
from partnerdesk.core.events import register_describer

from .events import KnowledgeEvent as E


def _language(code) -> str:
    names = dict(settings.LANGUAGES)
    return str(names.get(code, code or ""))


def _category(event) -> str:
    d = event.data
    if d.get("created"):
        return _("Help center category %(n)s added") % {"n": d.get("name")}
    if d.get("deleted"):
        return _("Help center category %(n)s removed") % {"n": d.get("name")}
    return _("Help center category %(n)s changed: %(c)s") % {
        "n": d.get("name"),
        "c": _changes(event),
    }


def _deflected(event) -> str:
    d = event.data
    text = _("A client found the answer in “%(a)s” and did not submit their request") % {
        "a": d.get("article")
    }
    if d.get("task_category"):
        text += " " + _("(category %(c)s)") % {"c": d["task_category"]}
    return f"{text}: “{d['query']}”" if d.get("query") else text


SENTENCES = {
    E.ARTICLE_CREATED: lambda e: (
        _("Article “%(t)s” written (%(l)s)")
        % {"t": e.data.get("title"), "l": _language(e.data.get("language"))}
    ),
    E.ARTICLE_UPDATED: lambda e: _("Article changed: %(c)s") % {"c": _changes(e)},
    E.ARTICLE_PUBLISHED: lambda e: _("Article “%(t)s” published") % {"t": e.data.get("title")},
    E.ARTICLE_UNPUBLISHED: lambda e: (
        _("Article “%(t)s” unpublished: back to draft") % {"t": e.data.get("title")}
    ),
    E.ARTICLE_DELETED: lambda e: _("Article “%(t)s” deleted") % {"t": e.data.get("title")},
    E.CATEGORY_SAVED: _category,
    E.REQUEST_DEFLECTED: _deflected,
}

for _kind_value, _sentence in SENTENCES.items():
    register_describer(_kind_value, _sentence)
