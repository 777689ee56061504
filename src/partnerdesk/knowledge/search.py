"""Full-text search over articles: PostgreSQL's text search where the database is PostgreSQL, a
portable ``LIKE`` search on SQLite. ``matching(qs, text, mode=...)`` narrows a queryset to the
articles that match and annotates each with ``search_rank`` (higher is better); callers order.

PostgreSQL. Each language is searched with its own text-search configuration (``english``,
``italian``, and ``simple`` — no stemming, no stop words — for Arabic and any other language):
one arm per configuration, ``language = 'en' AND vector('english') @@ query('english')``, OR-ed
together. Each arm's vector is the expression of a partial GIN index (migration 0002, created on
PostgreSQL only), so a search is a bitmap OR of index scans, never a scan of every article. The
vector weighs the title (A) over the tags (B) over the body (C), which ``ts_rank`` uses.

Modes. ``"all"`` (the search box): every word must match (``websearch_to_tsquery``: quoted
phrases and ``-word`` work). ``"any"`` (suggestions while a client types a request): any word
matches, as a prefix (the last word is often half-typed), so the articles sharing the most
words rank first; a short list of stop words is dropped first (the ``simple`` configuration
keeps them, and so would the portable search).

SQLite. Every word (``"all"``) or any word (``"any"``) must occur in the title, tags or body
(``LIKE``, case-insensitive for ASCII); the rank counts title matches 4, tag matches 2, body
matches 1, and a title containing the whole query 8.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast

Mode = Literal["all", "any"]

# language code -> PostgreSQL text-search configuration; every other language uses SIMPLE.
CONFIGS = {"en": "english", "it": "italian"}
SIMPLE = "simple"
MAX_TERMS = 12
MAX_QUERY = 200

# Words too common to suggest anything by (the "any" mode); PostgreSQL's english and italian
# configurations drop their own, this list matters for Arabic (``simple``) and SQLite.
_STOP_WORDS = """
    a an and are as at be but by can do does for from have how i if in is it me my no not of on
    or our please the this to we what when where which who why with you your hi hello thanks
    il lo la le gli un una uno di da del della dei delle in con su per tra fra che non come e è
    ho ha mi ci si sono come cosa quando dove perché vorrei grazie ciao buongiorno
    في من على إلى الى عن ما لا هل كيف مع أو او أن ان هذا هذه تم لم لن قد كان يا شكرا مرحبا
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
WORD = re.compile(r"\w+", re.UNICODE)


def config_for(language: str) -> str:
    """The text-search configuration of a language (``simple`` for Arabic and the rest)."""
    return CONFIGS.get(language, SIMPLE)


def terms(text: str, *, drop_stop_words: bool) -> list[str]:
    """The distinct words of ``text``, lower case, in order (at most MAX_TERMS)."""
    found: list[str] = []
    for word in WORD.findall((text or "")[: MAX_QUERY * 10].lower()):
        word = word.strip("_")
        if not word or word in found:
            continue
        if drop_stop_words and (word in STOP_WORDS or len(word) < 2):
            continue
        found.append(word)
        if len(found) == MAX_TERMS:
            break
    return found


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def matching(qs: QuerySet, text: str, *, mode: Mode = "all") -> QuerySet:
    """The articles of ``qs`` matching ``text``, each annotated with ``search_rank``.

    Text with no searchable word matches nothing."""
    words = terms(text, drop_stop_words=mode == "any")
    if not words:
        return qs.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    if is_postgresql():
        return _postgresql(qs, text, words, mode)
    return _portable(qs, text, words, mode)


# ---------------------------------------------------------------- PostgreSQL


def document(config: str) -> CombinedExpression:
    """An article's text-search vector in ``config``: title A, tags B, body C.

    The partial GIN indexes of migration 0002 are built on exactly this expression (a copy
    frozen there); change both together, with a migration that recreates the indexes."""
    return (
        SearchVector("title", config=config, weight="A")
        + SearchVector("tags", config=config, weight="B")
        + SearchVector("body", config=config, weight="C")
    )


def arms() -> list[tuple[str, Q]]:
    """(configuration, the articles it searches): one arm per configuration, each the
    condition of its partial index."""
    return [
        *((config, Q(language=code)) for code, config in CONFIGS.items()),
        (SIMPLE, ~Q(language__in=list(CONFIGS))),
    ]


def _query(config: str, text: str, words: list[str], mode: Mode) -> SearchQuery:
    if mode == "any":
        # Words only (\w+, nothing tsquery syntax could read), each a prefix, any of them.
        raw = " | ".join(f"{word}:*" for word in words)
        return SearchQuery(raw, config=config, search_type="raw")
    return SearchQuery(text[:MAX_QUERY], config=config, search_type="websearch")


def _postgresql(qs: QuerySet, text: str, words: list[str], mode: Mode) -> QuerySet:
    condition = Q()
    ranks = []
    aliases = {}
    for index, (config, scope) in enumerate(arms()):
        name = f"_search_{index}"
        query = _query(config, text, words, mode)
        aliases[name] = document(config)
        condition |= scope & Q(**{name: query})
        ranks.append(When(scope, then=SearchRank(document(config), query)))
    return (
        qs.alias(**aliases)
        .filter(condition)
        .annotate(
            search_rank=Case(*ranks, default=Value(0.0), output_field=FloatField()),
        )
    )


# ---------------------------------------------------------------- SQLite (and any other)


def _portable(qs: QuerySet, text: str, words: list[str], mode: Mode) -> QuerySet:
    condition: Q | None = None
    score: Any = None
    for word in words:
        hit = Q(title__icontains=word) | Q(tags__icontains=word) | Q(body__icontains=word)
        if condition is None:
            condition = hit
        else:
            condition = (condition & hit) if mode == "all" else (condition | hit)
        for field, weight in (("title", 4), ("tags", 2), ("body", 1)):
            term = Case(
                When(Q(**{f"{field}__icontains": word}), then=Value(weight)),
                default=Value(0),
                output_field=IntegerField(),
            )
            score = term if score is None else score + term
    whole = text.strip()[:MAX_QUERY]
    bonus = Case(
        When(title__icontains=whole, then=Value(8)), default=Value(0), output_field=IntegerField()
    )
    return qs.filter(condition).annotate(search_rank=Cast(bonus + score, FloatField()))
