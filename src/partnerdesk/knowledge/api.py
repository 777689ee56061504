"""The knowledge base's JSON API, through the same selectors and services as the pages.

Articles: staff list, read, write, change and delete every article (an agent deletes only their
own); client users list, search and read the published ones (a draft is a 404, like a missing
id), their language first. Categories: everybody signed in reads them; managers and admins
change them. Suggestions for a request being written: what the portal's form shows.
Deflections: a client user records "this solved it" for their company; staff list them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from partnerdesk.accounts.api_auth import ANY_USER, CLIENT, MANAGER_WRITE, STAFF, STAFF_WRITE
from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    lookup,
    paginate,
)
from partnerdesk.core.errors import DomainError
from partnerdesk.crm.models import Company, Pipeline, Stage
from partnerdesk.portal.models import TaskCategory

from . import selectors, services
from .markdown import plain_text, render_markdown
from .models import Article, ArticleStatus, Category

router = Router(tags=["knowledge base"])

ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}
StatusName = Annotated[str, OneOf(ArticleStatus)]
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]
LanguageCode = Annotated[str, Field(min_length=2, max_length=8)]
MAX_LINKS = 200
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(9999, 1, 1)

# Service field -> the field of the API body it came from (for the problems' ``field``).
API_FIELDS = {
    "category": "category_id",
    "pipelines": "pipeline_ids",
    "request_types": "request_type_ids",
    "task_categories": "task_category_ids",
    "translation_of": "translation_of_id",
}


@contextmanager
def _api_field_names() -> Iterator[None]:
    """A service's DomainError names the API's fields (``category_id``, not ``category``)."""
    try:
        yield
    except DomainError as exc:
        exc.field = API_FIELDS.get(exc.field or "", exc.field)
        for error in exc.errors:
            error.field = API_FIELDS.get(error.field or "", error.field)
        raise


# ---------------------------------------------------------------- schemas


class KnowledgeRef(Schema):
    id: int
    name: str


class KnowledgeVersion(Schema):
    id: int
    language: str
    title: str
    status: StatusName


class KnowledgeArticleRow(Schema):
    id: int
    title: str
    slug: str
    language: str
    status: StatusName
    category: KnowledgeRef
    tags: list[str]
    excerpt: str = Field(description="The start of the body as plain text")
    translation_of_id: int | None
    published_at: dt.datetime | None
    updated_at: dt.datetime
    views: int


class KnowledgeArticleOut(KnowledgeArticleRow):
    body: str = Field(description="Markdown")
    body_html: str = Field(description="The body rendered and sanitised, safe to show")
    pipeline_ids: list[int]
    request_type_ids: list[int]
    task_category_ids: list[int]
    versions: list[KnowledgeVersion] = Field(
        description="The article in every language (the original and its translations)"
    )
    author_id: int | None
    created_at: dt.datetime
    helpful_yes: int
    helpful_no: int
    deflections: int | None = Field(
        description="Requests it deflected (staff only; null for client users)"
    )


class KnowledgeArticlePage(Page):
    items: list[KnowledgeArticleRow]


class KnowledgeArticleFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Full-text search: every word")
    language: LanguageCode | None = Field(None, description="Only this language")
    prefer_language: LanguageCode | None = Field(
        None,
        description=(
            "This language first, without other versions of an article it has; a client "
            "user's own language when omitted"
        ),
    )
    status: StatusName | None = Field(None, description="Staff only (clients: published)")
    category_id: RefId | None = None
    task_category_id: RefId | None = Field(None, description="Linked to this portal category")
    request_type_id: RefId | None = Field(None, description="Linked to this entry stage")
    pipeline_id: RefId | None = Field(None, description="Linked to this ticket pipeline")
    tag: str | None = Field(None, max_length=40)


class KnowledgeArticleIn(Strict):
    title: str = Field(..., min_length=1, max_length=200)
    category_id: RefId
    body: str = Field("", max_length=100_000, description="Markdown")
    language: LanguageCode = "en"
    status: StatusName = ArticleStatus.DRAFT
    tags: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    slug: str = Field("", max_length=200, description="Made from the title when empty")
    pipeline_ids: list[RefId] = Field(default_factory=list, max_length=MAX_LINKS)
    request_type_ids: list[RefId] = Field(
        default_factory=list,
        max_length=MAX_LINKS,
        description="Entry stages of ticket pipelines",
    )
    task_category_ids: list[RefId] = Field(default_factory=list, max_length=MAX_LINKS)
    translation_of_id: RefId | None = Field(None, description="The original, in another language")


class KnowledgeArticlePatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=200)
    category_id: RefId | None = None
    body: str | None = Field(None, max_length=100_000)
    language: LanguageCode | None = None
    status: StatusName | None = Field(None, description="published publishes, draft unpublishes")
    tags: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=10)
    slug: str | None = Field(None, max_length=200)
    pipeline_ids: list[RefId] | None = Field(None, max_length=MAX_LINKS)
    request_type_ids: list[RefId] | None = Field(None, max_length=MAX_LINKS)
    task_category_ids: list[RefId] | None = Field(None, max_length=MAX_LINKS)
    translation_of_id: RefId | None = Field(None, description="null: an original again")


class KnowledgeCategoryOut(Schema):
    id: int
    name: str
    description: str
    order: int
    published_articles: int
    articles: int | None = Field(description="Drafts included (staff only; null for clients)")


class KnowledgeCategoryIn(Strict):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=1000)
    order: int | None = Field(None, ge=0, le=32767)


class KnowledgeCategoryPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=1000)
    order: int | None = Field(None, ge=0, le=32767)


class KnowledgeSuggestionFilters(Schema):
    task_category_id: RefId | None = Field(None, description="The category of the request")
    text: str = Field("", max_length=2000, description="What the client typed")
    language: LanguageCode | None = Field(
        None, description="The reader's language first (a client user's own when omitted)"
    )


class KnowledgeSuggestionsOut(Schema):
    articles: list[KnowledgeArticleRow] = Field(description="At most 5, best first")


class KnowledgeDeflectionIn(Strict):
    article_id: RefId
    task_category_id: RefId | None = None
    text: str = Field("", max_length=2000, description="What the client had typed")


class KnowledgeDeflectionOut(Schema):
    id: int
    article_id: int | None
    article: str | None
    task_category_id: int | None
    company_id: int
    company: str
    user_id: int | None
    query: str
    created_at: dt.datetime


class KnowledgeDeflectionPage(Page):
    items: list[KnowledgeDeflectionOut]


class KnowledgeDeflectionFilters(Schema):
    since: dt.date | None = Field(
        None, ge=FIRST_DAY, le=LAST_DAY, description="From this day (included)"
    )
    until: dt.date | None = Field(
        None, ge=FIRST_DAY, le=LAST_DAY, description="To this day (included)"
    )
    task_category_id: RefId | None = None
    article_id: RefId | None = None
    company_id: RefId | None = None


# ---------------------------------------------------------------- rows


def article_row(article: Article, user=None) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "slug": article.slug,
        "language": article.language,
        "status": article.status,
        "category": {"id": article.category_id, "name": article.category.name},
        "tags": article.tag_list,
        "excerpt": plain_text(article.body, 200),
        "translation_of_id": article.translation_of_id,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "views": article.views,
    }


def article_out(request, article: Article) -> dict[str, Any]:
    staff = request.auth.is_agency_staff
    versions = selectors.family(article, published_only=not staff)
    return {
        **article_row(article),
        "body": article.body,
        "body_html": str(render_markdown(article.body)),
        "pipeline_ids": [p.pk for p in article.pipelines.all()],
        "request_type_ids": [s.pk for s in article.request_types.all()],
        "task_category_ids": [c.pk for c in article.task_categories.all()],
        "versions": [
            {"id": v.pk, "language": v.language, "title": v.title, "status": v.status}
            for v in versions
        ],
        "author_id": article.author_id if staff else None,
        "created_at": article.created_at,
        "helpful_yes": article.helpful_yes,
        "helpful_no": article.helpful_no,
        "deflections": selectors.deflection_stats(article)["total"] if staff else None,
    }


def _many[M: Model](qs: QuerySet[M], ids: list[int] | None, field: str) -> list[M] | None:
    """The rows of ``qs`` with ``ids`` (in that order), or a 422 problem naming a missing id."""
    if ids is None:
        return None
    found = {row.pk: row for row in qs.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainError(
            code="not_found",
            message=f"No such id in {field}: {', '.join(map(str, missing[:10]))}.",
            field=field,
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _links(payload) -> dict[str, Any]:
    values = {
        "pipelines": _many(Pipeline.objects.all(), payload.pipeline_ids, "pipeline_ids"),
        "request_types": _many(
            Stage.objects.select_related("pipeline"), payload.request_type_ids, "request_type_ids"
        ),
        "task_categories": _many(
            TaskCategory.objects.all(), payload.task_category_ids, "task_category_ids"
        ),
    }
    return {name: rows for name, rows in values.items() if rows is not None}


def _article(request, article_id: int) -> Article:
    return selectors.article_for(request.auth, article_id)


def _reader_language(request, asked: str | None) -> str | None:
    if asked:
        return asked
    return request.auth.language if request.auth.is_client else None


# ---------------------------------------------------------------- articles


@router.get(
    "/knowledge/articles",
    auth=ANY_USER,
    response=KnowledgeArticlePage,
    summary="List and search articles (client users: the published ones, their language first)",
)
def list_articles(request, filters: Query[KnowledgeArticleFilters], page: Query[PageParams]):
    staff = request.auth.is_agency_staff
    qs = selectors.search_articles(
        filters.q,
        language=filters.language,
        prefer_language=_reader_language(request, filters.prefer_language),
        published_only=not staff,
        status=filters.status if staff else None,
        category=filters.category_id,
        task_category=filters.task_category_id,
        request_type=filters.request_type_id,
        pipeline=filters.pipeline_id,
        tag=filters.tag,
        base=selectors.articles_for(request.auth),
    )
    return paginate(qs, page, article_row)


@router.post(
    "/knowledge/articles",
    auth=STAFF_WRITE,
    response={201: KnowledgeArticleOut, **ERRORS},
    summary="Write an article (a draft unless status is published)",
)
def create_article(request, payload: KnowledgeArticleIn):
    with _api_field_names():
        article = services.article_create(
            by=request.auth,
            title=payload.title,
            category=lookup(Category, payload.category_id, "category"),
            body=payload.body,
            language=payload.language,
            status=payload.status,
            tags=payload.tags,
            slug=payload.slug,
            translation_of=lookup(Article, payload.translation_of_id, "translation_of"),
            **_links(payload),
        )
    return Status(201, article_out(request, _article(request, article.pk)))


@router.get(
    "/knowledge/articles/{article_id}",
    auth=ANY_USER,
    response={200: KnowledgeArticleOut, 404: Problem},
    summary="One article (client users: published only)",
)
def get_article(request, article_id: int = Id):
    return article_out(request, _article(request, article_id))


@router.patch(
    "/knowledge/articles/{article_id}",
    auth=STAFF_WRITE,
    response={200: KnowledgeArticleOut, **ERRORS},
    summary="Change an article (status: published publishes it, draft unpublishes it)",
)
def update_article(request, payload: KnowledgeArticlePatch, article_id: int = Id):
    article = _article(request, article_id)
    sent = payload.model_fields_set
    fields: dict[str, Any] = {
        name: getattr(payload, name)
        for name in ("title", "body", "language", "status", "tags", "slug")
        if name in sent and getattr(payload, name) is not None
    }
    if payload.category_id is not None:
        fields["category"] = lookup(Category, payload.category_id, "category")
    if "translation_of_id" in sent:
        fields["translation_of"] = lookup(Article, payload.translation_of_id, "translation_of")
    with _api_field_names():
        services.article_update(by=request.auth, article=article, **fields, **_links(payload))
    return article_out(request, _article(request, article.pk))


@router.delete(
    "/knowledge/articles/{article_id}",
    auth=STAFF_WRITE,
    response={204: None, **ERRORS},
    summary="Delete an article (an agent: only one they wrote)",
)
def delete_article(request, article_id: int = Id):
    services.article_delete(by=request.auth, article=_article(request, article_id))
    return Status(204, None)


@router.get(
    "/knowledge/suggestions",
    auth=ANY_USER,
    response=KnowledgeSuggestionsOut,
    summary="What to read before submitting a request (at most 5)",
    description=(
        "The published articles linked to the request's task category first, then those "
        "matching any word typed; the reader's language first; one version per article."
    ),
)
def suggestions(request, filters: Query[KnowledgeSuggestionFilters]):
    category = lookup(TaskCategory, filters.task_category_id, "task_category")
    articles = selectors.suggest_for_request(
        category, filters.text, _reader_language(request, filters.language)
    )
    return {"articles": [article_row(a) for a in articles]}


# ---------------------------------------------------------------- categories


def _category_row(category: Category, user=None) -> dict[str, Any]:
    staff = user is not None and user.is_agency_staff
    return {
        "id": category.pk,
        "name": category.name,
        "description": category.description,
        "order": category.order,
        "published_articles": category.published_count,  # type: ignore[attr-defined]
        "articles": category.article_count if staff else None,  # type: ignore[attr-defined]
    }


def _category_out(request, category: Category) -> dict[str, Any]:
    return _category_row(selectors.categories().get(pk=category.pk), request.auth)


@router.get(
    "/knowledge/categories",
    auth=ANY_USER,
    response=list[KnowledgeCategoryOut],
    summary="The help center's categories, in order",
)
def list_categories(request):
    return [_category_row(c, request.auth) for c in selectors.categories()]


@router.post(
    "/knowledge/categories",
    auth=MANAGER_WRITE,
    response={201: KnowledgeCategoryOut, **ERRORS},
    summary="Add a category (managers and admins)",
)
def create_category(request, payload: KnowledgeCategoryIn):
    category = services.category_create(by=request.auth, **payload.model_dump())
    return Status(201, _category_out(request, category))


@router.patch(
    "/knowledge/categories/{category_id}",
    auth=MANAGER_WRITE,
    response={200: KnowledgeCategoryOut, **ERRORS},
    summary="Change a category (managers and admins)",
)
def update_category(request, payload: KnowledgeCategoryPatch, category_id: int = Id):
    category = get_object_or_404(Category, pk=category_id)
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.category_update(by=request.auth, category=category, **fields)
    return _category_out(request, category)


@router.delete(
    "/knowledge/categories/{category_id}",
    auth=MANAGER_WRITE,
    response={204: None, **ERRORS},
    summary="Remove a category without articles (409 otherwise)",
)
def delete_category(request, category_id: int = Id):
    services.category_delete(by=request.auth, category=get_object_or_404(Category, pk=category_id))
    return Status(204, None)


# ---------------------------------------------------------------- deflections


def _deflection_row(deflection, user=None) -> dict[str, Any]:
    return {
        "id": deflection.pk,
        "article_id": deflection.article_id,
        "article": deflection.article.title if deflection.article else None,
        "task_category_id": deflection.task_category_id,
        "company_id": deflection.company_id,
        "company": deflection.company.name,
        "user_id": deflection.user_id,
        "query": deflection.query,
        "created_at": deflection.created_at,
    }


def _day_start(day: dt.date | None) -> dt.datetime | None:
    """The first instant of ``day`` in the agency's time zone."""
    return None if day is None else timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@router.post(
    "/knowledge/deflections",
    auth=CLIENT,
    response={201: KnowledgeDeflectionOut, **ERRORS},
    summary="This solved it: the client needs no request (client users)",
    description="Counted for the client's company; no request is created.",
)
def create_deflection(request, payload: KnowledgeDeflectionIn):
    article = selectors.articles_for(request.auth).filter(pk=payload.article_id).first()
    if article is None:
        raise DomainError(
            code="not_found",
            message=f"No article with id {payload.article_id}.",
            field="article_id",
        )
    deflection = services.deflect(
        by=request.auth,
        article=article,
        task_category=lookup(TaskCategory, payload.task_category_id, "task_category"),
        query=payload.text,
    )
    return Status(201, _deflection_row(deflection))


@router.get(
    "/knowledge/deflections",
    auth=STAFF,
    response=KnowledgeDeflectionPage,
    summary="Requests the articles deflected, newest first (staff)",
)
def list_deflections(request, filters: Query[KnowledgeDeflectionFilters], page: Query[PageParams]):
    qs = selectors.deflections_for(
        request.auth,
        since=_day_start(filters.since),
        until=_day_start(filters.until + dt.timedelta(days=1) if filters.until else None),
        task_category=filters.task_category_id,
        article=filters.article_id,
        company=lookup(Company, filters.company_id, "company") if filters.company_id else None,
    )
    return paginate(qs, page, _deflection_row, request.auth)
