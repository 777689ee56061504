"""Reads of the knowledge base. ``search_articles`` is the one definition of "the articles that
match": the staff list, the help center, the suggestions and the API all call it.

Who sees what: staff every article, client users the published ones (``articles_for``);
deflections through the tenancy scope (a client: their company's).

A client sees their language first. Lists for a client (``prefer_language``) put the articles
in their language first and show one version of each *family* (an original and its
translations): the one in their language when it is listed, else the original.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from partnerdesk.core import clock
from partnerdesk.crm.models import ObjectType, Pipeline, Stage
from partnerdesk.portal.models import TaskCategory

from . import search
from .models import Article, ArticleStatus, Category, Deflection
from .search import Mode

SUGGESTIONS = 5


# ---------------------------------------------------------------- who sees what


def articles_for(user) -> QuerySet[Article]:
    """Every article for staff, the published ones for client users, none for anyone else."""
    qs = Article.objects.select_related("category")
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_agency_staff:
        return qs
    if user.is_client:
        return qs.filter(status=ArticleStatus.PUBLISHED)
    return qs.none()


def article_for(user, pk: Any) -> Article:
    """One article ``user`` may read, or a 404 (a client asking for a draft: the same 404)."""
    article = articles_for(user).select_related("author", "translation_of").filter(pk=pk).first()
    if article is None:
        raise Http404("Not found.")
    return article


# ---------------------------------------------------------------- search


def tag_filter(tag: str) -> Q:
    """Articles with the tag ``tag`` (the stored list is "a,b,c", lower case)."""
    tag = " ".join(tag.split()).lower()
    return (
        Q(tags=tag)
        | Q(tags__startswith=f"{tag},")
        | Q(tags__endswith=f",{tag}")
        | Q(tags__contains=f",{tag},")
    )


def _narrow(
    qs: QuerySet[Article],
    *,
    query: str,
    mode: Mode,
    language: str | None,
    published_only: bool,
    status: str | None,
    category: Any,
    task_category: Any,
    request_type: Any,
    pipeline: Any,
    tag: str | None,
) -> QuerySet[Article]:
    if published_only:
        qs = qs.filter(status=ArticleStatus.PUBLISHED)
    if status:
        qs = qs.filter(status=status)
    if language:
        qs = qs.filter(language=language)
    if category is not None:
        qs = qs.filter(category=category)
    if task_category is not None:
        qs = qs.filter(task_categories=task_category)
    if request_type is not None:
        qs = qs.filter(request_types=request_type)
    if pipeline is not None:
        qs = qs.filter(pipelines=pipeline)
    if tag:
        qs = qs.filter(tag_filter(tag))
    if query:
        qs = search.matching(qs, query, mode=mode)
    return qs


def search_articles(
    query: str | None = "",
    *,
    language: str | None = None,
    published_only: bool = True,
    category: Category | int | None = None,
    task_category: TaskCategory | int | None = None,
    request_type: Stage | int | None = None,
    pipeline: Pipeline | int | None = None,
    tag: str | None = None,
    status: str | None = None,
    prefer_language: str | None = None,
    mode: Mode = "all",
    base: QuerySet[Article] | None = None,
) -> QuerySet[Article]:
    """The articles matching ``query`` (all of them without one) and the filters, best first.

    ``language`` keeps one language only; ``prefer_language`` (a client's) puts that language
    first and lists one version of each article: the one in that language if it is listed,
    else the original if it is listed, else its translations. With a query the best matches
    come first (``search_rank``), else the newest.
    """
    query = (query or "").strip()
    filters: dict[str, Any] = {
        "query": query,
        "mode": mode,
        "language": language,
        "published_only": published_only,
        "status": status,
        "category": category,
        "task_category": task_category,
        "request_type": request_type,
        "pipeline": pipeline,
        "tag": tag,
    }
    qs = _narrow(
        base if base is not None else Article.objects.select_related("category"), **filters
    )
    order: list[str] = []
    if prefer_language:
        siblings = _narrow(Article.objects.filter(language=prefer_language), **filters).filter(
            Q(pk=OuterRef("translation_of_id"))
            | Q(translation_of_id=OuterRef("pk"))
            | Q(translation_of_id=OuterRef("translation_of_id"))
        )
        # No version in the reader's language: the original stands for its translations.
        original_listed = _narrow(Article.objects.all(), **filters).filter(
            pk=OuterRef("translation_of_id")
        )
        qs = qs.filter(
            Q(language=prefer_language) | (~Exists(siblings) & ~Exists(original_listed))
        ).annotate(
            language_rank=Case(
                When(language=prefer_language, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        order.append("language_rank")
    if query:
        order.append("-search_rank")
    order += ["-published_at", "-id"] if published_only else ["-updated_at", "-id"]
    return qs.order_by(*order)


def with_deflection_counts(qs: QuerySet[Article]) -> QuerySet[Article]:
    """Each article with ``deflection_count``: one subquery, not a query per row."""
    counts = (
        Deflection.objects.filter(article=OuterRef("pk"))
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        deflection_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


# ---------------------------------------------------------------- suggestions


def _family(article: Article) -> int:
    return article.translation_of_id or article.pk


def _best_per_family(articles: Iterable[Article]) -> list[Article]:
    """The first article of each family, in the order given."""
    seen: set[int] = set()
    kept = []
    for article in articles:
        if _family(article) in seen:
            continue
        seen.add(_family(article))
        kept.append(article)
    return kept


def suggest_for_request(
    task_category: TaskCategory | None,
    text: str,
    language: str | None,
    *,
    limit: int = SUGGESTIONS,
) -> list[Article]:
    """What to read before submitting a request: the published articles linked to its
    category first, then those matching what was typed (any of its words); within each, the
    client's language first (else the original), then the better text match, then the newest.
    One version per article family, at most ``limit``. Two queries."""
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED).select_related("category")
    linked: list[Article] = []
    if task_category is not None:
        linked = list(
            published.filter(task_categories=task_category).order_by("-published_at", "-id")[:50]
        )
    matched = {
        article.pk: article
        for article in search.matching(published, text, mode="any").order_by(
            "-search_rank", "-published_at"
        )[:50]
    } if search.terms(text, drop_stop_words=True) else {}  # fmt: skip
    linked_ids = {a.pk for a in linked}
    candidates = {**matched, **{a.pk: a for a in linked}}
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)

    def rank(article: Article) -> tuple:
        text_rank = getattr(matched.get(article.pk), "search_rank", 0.0) or 0.0
        return (
            article.pk not in linked_ids,
            article.language != language,
            article.translation_of_id is not None,  # else the original before its translations
            -text_rank,
            -(article.published_at or epoch).timestamp(),
            -article.pk,
        )

    return _best_per_family(sorted(candidates.values(), key=rank))[:limit]


# ---------------------------------------------------------------- one article


def family(article: Article, *, published_only: bool) -> list[Article]:
    """The article's original and all its translations (itself included), by language."""
    root = _family(article)
    qs = Article.objects.filter(Q(pk=root) | Q(translation_of_id=root))
    if published_only:
        qs = qs.filter(status=ArticleStatus.PUBLISHED)
    return list(qs.only("pk", "title", "language", "status", "translation_of_id"))


def related(article: Article, language: str | None, limit: int = 5) -> list[Article]:
    """Other published articles of the article's category (one version per family, the
    reader's language first)."""
    qs = search_articles(
        category=article.category_id, prefer_language=language, published_only=True
    ).exclude(Q(pk=_family(article)) | Q(translation_of_id=_family(article)))
    return _best_per_family(qs.defer("body")[: limit * 3])[:limit]


def deflection_stats(article: Article) -> dict[str, int]:
    """How many requests the article deflected: in all, and in the last 30 days."""
    since = clock.now() - dt.timedelta(days=30)
    return Deflection.objects.filter(article=article).aggregate(
        total=Count("pk"), last_30_days=Count("pk", filter=Q(created_at__gte=since))
    )


def recent_deflections(article: Article, limit: int = 10) -> list[Deflection]:
    return list(
        Deflection.objects.filter(article=article).select_related(
            "company", "user", "task_category"
        )[:limit]
    )


# ---------------------------------------------------------------- the help center


@dataclass
class Section:
    category: Category
    articles: list[Article] = field(default_factory=list)
    count: int = 0


def help_sections(language: str | None, per_category: int = 6) -> list[Section]:
    """The help center's home: each category with published articles, and its first
    ``per_category`` articles (the reader's language first). Two queries, whatever the size."""
    sections = {c.pk: Section(c) for c in Category.objects.all()}
    articles = search_articles(prefer_language=language, published_only=True).defer("body")
    for article in articles:
        section = sections.get(article.category_id)
        if section is None:
            continue
        section.count += 1
        if len(section.articles) < per_category:
            section.articles.append(article)
    return [s for s in sections.values() if s.count]


def popular(language: str | None, limit: int = 5) -> list[Article]:
    """The most read published articles (the reader's language first)."""
    qs = search_articles(prefer_language=language, published_only=True).defer("body")
    order = ["language_rank"] if language else []
    return list(qs.order_by(*order, "-views", "-published_at", "-id")[:limit])


def categories() -> QuerySet[Category]:
    """Every category with its number of articles (and of published ones)."""
    return Category.objects.annotate(
        article_count=Count("articles"),
        published_count=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED)),
    ).order_by("order", "name")


def tags_in_use(limit: int = 2000) -> list[str]:
    """Every tag some article has, sorted (for the staff list's filter)."""
    found: set[str] = set()
    for value in Article.objects.exclude(tags="").values_list("tags", flat=True).distinct()[:limit]:
        found.update(t for t in value.split(",") if t)
    return sorted(found)


# ---------------------------------------------------------------- the form's choices


def ticket_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(object_type=ObjectType.TICKET, archived=False).order_by(
        "order", "id"
    )


def request_types() -> QuerySet[Stage]:
    """The ticket pipelines' entry stages, where a request of each type opens a ticket."""
    return (
        Stage.objects.filter(is_entry=True, pipeline__object_type=ObjectType.TICKET)
        .select_related("pipeline")
        .order_by("pipeline__order", "pipeline_id", "order", "id")
    )


def task_categories() -> QuerySet[TaskCategory]:
    return TaskCategory.objects.filter(is_active=True).order_by("order", "name")


def originals(exclude: int | None = None) -> QuerySet[Article]:
    """Articles a new translation can be of (originals, not translations)."""
    qs = Article.objects.filter(translation_of__isnull=True).order_by("title", "id")
    return qs.exclude(pk=exclude) if exclude else qs


# ---------------------------------------------------------------- deflections


def deflections_for(
    user,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    task_category: Any = None,
    article: Any = None,
    company: Any = None,
) -> QuerySet[Deflection]:
    """Deflections ``user`` may read (tenancy), newest first, filtered."""
    qs = Deflection.objects.for_user(user).select_related(
        "article", "task_category", "company", "user"
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if task_category is not None:
        qs = qs.filter(task_category=task_category)
    if article is not None:
        qs = qs.filter(article=article)
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("-created_at", "-id")
