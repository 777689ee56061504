"""Writes of the knowledge base: articles (write, change, publish, unpublish, delete), help
center categories, deflections ("this solved it"), and the views and helpful counters.

Who may do what. The agency's staff (agents, managers, admins) write, change and publish
articles, as in a help desk; an agent deletes only the articles they wrote, managers and admins
any. Categories are managers' and admins'. Only a client user records a deflection, for their
own company. Every change records a ``KnowledgeEvent`` on the article's (or category's)
timeline in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict, forbidden, not_found
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import (
    Actor,
    person,
    require_client_of,
    require_manager,
    require_staff,
)
from partnerdesk.core.records import UNSET, Unset, display, field_labels, given, set_fields
from partnerdesk.crm.models import ObjectType, Pipeline, Stage
from partnerdesk.portal.models import TaskCategory

from .events import KnowledgeEvent
from .models import (
    QUERY_MAX,
    TAG_MAX,
    TAGS_MAX,
    Article,
    ArticleStatus,
    Category,
    Deflection,
)

TITLE_MAX = 200
BODY_MAX = 100_000
SLUG_MAX = 200
LINKS = ("pipelines", "request_types", "task_categories")


# ---------------------------------------------------------------- input checks


def _text(value: Any, field: str, *, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError(code="required", message=_("This field is required."), field=field)
    if len(text) > limit:
        raise DomainError(
            code="too_long",
            message=_("Keep it under %(n)s characters.") % {"n": limit + 1},
            field=field,
        )
    return text


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _language(value: Any) -> str:
    if value not in languages():
        raise DomainError(
            code="invalid_language",
            message=_("Choose one of the languages: %(l)s.") % {"l": ", ".join(languages())},
            field="language",
        )
    return value


def _status(value: Any) -> str:
    if value not in ArticleStatus.values:
        raise DomainError(
            code="invalid_status",
            message=_("The status is draft or published."),
            field="status",
        )
    return value


def clean_tags(value: str | Iterable[str] | None) -> str:
    """Tags as stored: lower case, trimmed, no duplicates, comma-separated ("billing,email").

    Takes a comma-separated string (a form) or a list (the API)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split()).lower()
        if not tag or tag in tags:
            continue
        if len(tag) > TAG_MAX:
            raise DomainError(
                code="tag_too_long",
                message=_("Keep each tag under %(n)s characters: “%(t)s” is longer.")
                % {"n": TAG_MAX + 1, "t": tag[:50]},
                field="tags",
            )
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise DomainError(
            code="too_many_tags",
            message=_("Give an article at most %(n)s tags.") % {"n": TAGS_MAX},
            field="tags",
        )
    return ",".join(tags)


def _pipelines(value: Iterable[Pipeline]) -> list[Pipeline]:
    pipelines = list(dict.fromkeys(value))
    wrong = [p.name for p in pipelines if p.object_type != ObjectType.TICKET]
    if wrong:
        raise DomainError(
            code="not_a_ticket_pipeline",
            message=_("Link ticket pipelines only; not: %(p)s.") % {"p": ", ".join(wrong)},
            field="pipelines",
        )
    return pipelines


def _request_types(value: Iterable[Stage]) -> list[Stage]:
    stages = list(dict.fromkeys(value))
    wrong = [
        s.name for s in stages if not s.is_entry or s.pipeline.object_type != ObjectType.TICKET
    ]
    if wrong:
        raise DomainError(
            code="not_a_request_type",
            message=_(
                "A request type is a ticket pipeline's entry stage (where tickets are opened); "
                "not: %(s)s."
            )
            % {"s": ", ".join(wrong)},
            field="request_types",
        )
    return stages


def _task_categories(value: Iterable[TaskCategory]) -> list[TaskCategory]:
    return list(dict.fromkeys(value))


def _slug(value: Any, *, title: str, language: str, exclude: int | None) -> str:
    """The slug asked for (checked) or one made from the title (made unique in its language)."""
    taken = Article.objects.filter(language=language)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    asked = str(value or "").strip()
    if asked:
        slug = slugify(asked, allow_unicode=True)[:SLUG_MAX]
        if slug != asked:
            raise DomainError(
                code="invalid_slug",
                message=_("Use letters, digits, hyphens and underscores in the slug, e.g. “%(s)s”.")
                % {"s": slug or "reset-a-password"},
                field="slug",
            )
        if taken.filter(slug=slug).exists():
            raise DomainError(
                code="slug_taken",
                message=_("Another article in this language has the slug “%(s)s”.") % {"s": slug},
                field="slug",
            )
        return slug
    base = slugify(title, allow_unicode=True)[: SLUG_MAX - 6].strip("-") or "article"
    slug, n = base, 1
    existing = set(taken.filter(slug__startswith=base).values_list("slug", flat=True)[:10_000])
    while slug in existing:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _original(article: Article | None, target: Article | None, language: str) -> Article | None:
    """The original ``article`` (``None``: a new one) is to be a translation of, checked."""
    if target is None:
        return None
    original = target.translation_of if target.translation_of_id else target
    assert original is not None
    if article is not None and article.pk == original.pk:
        raise DomainError(
            code="own_translation",
            message=_("An article cannot be a translation of itself."),
            field="translation_of",
        )
    if article is not None and article.pk and article.translations.exists():
        raise DomainError(
            code="has_translations",
            message=_(
                "This article has translations of its own: it is an original, and cannot be "
                "the translation of another."
            ),
            field="translation_of",
        )
    if original.language == language:
        raise DomainError(
            code="same_language",
            message=_("A translation is in another language than the original (%(l)s).")
            % {"l": original.get_language_display()},
            field="translation_of",
        )
    sibling = original.translations.filter(language=language)
    if article is not None and article.pk:
        sibling = sibling.exclude(pk=article.pk)
    if sibling.exists():
        raise DomainError(
            code="translation_exists",
            message=_("“%(t)s” has a translation in this language already.")
            % {"t": original.title},
            field="translation_of",
        )
    return original


def _check_publishable(article: Article) -> None:
    if not article.body.strip():
        raise DomainError(
            code="empty_body",
            message=_("Write the article's body before publishing it."),
            field="body",
        )


def _record(kind: str, *, subject, by: Actor, data: dict, company_id: int | None = None):
    return record_event(
        kind=kind, subject=subject, actor=person(by), company_id=company_id, data=data
    )


def _save(article: Article) -> None:
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        # Two writers took the same slug or language at once: the checks above ran first.
        raise conflict(
            "article_conflict",
            _("Another article was saved with the same slug or translation meanwhile: try again."),
        ) from None


# ---------------------------------------------------------------- articles


@transaction.atomic
def article_create(
    *,
    by: Actor,
    title: str,
    category: Category,
    body: str = "",
    language: str = "en",
    status: str = ArticleStatus.DRAFT,
    tags: str | Iterable[str] = "",
    slug: str = "",
    pipelines: Iterable[Pipeline] = (),
    request_types: Iterable[Stage] = (),
    task_categories: Iterable[TaskCategory] = (),
    translation_of: Article | None = None,
) -> Article:
    require_staff(by)
    title = _text(title, "title", limit=TITLE_MAX)
    language = _language(language)
    status = _status(status)
    if category is None:
        raise DomainError(code="required", message=_("Choose a category."), field="category")
    now = clock.now()
    article = Article(
        title=title,
        body=_text(body, "body", limit=BODY_MAX, required=False),
        language=language,
        status=status,
        category=category,
        tags=clean_tags(tags),
        slug=_slug(slug, title=title, language=language, exclude=None),
        translation_of=_original(None, translation_of, language),
        author=person(by),
        created_at=now,
        updated_at=now,
        published_at=now if status == ArticleStatus.PUBLISHED else None,
    )
    links = {
        "pipelines": _pipelines(pipelines),
        "request_types": _request_types(request_types),
        "task_categories": _task_categories(task_categories),
    }
    if status == ArticleStatus.PUBLISHED:
        _check_publishable(article)
    _save(article)
    for name, rows in links.items():
        getattr(article, name).set(rows)
    _record(
        KnowledgeEvent.ARTICLE_CREATED,
        subject=article,
        by=by,
        data={"title": title, "language": language, "status": status},
    )
    if status == ArticleStatus.PUBLISHED:
        _record(
            KnowledgeEvent.ARTICLE_PUBLISHED,
            subject=article,
            by=by,
            data={"title": title, "language": language},
        )
    return article


def _link_changes(article: Article, links: dict[str, list]) -> list[dict]:
    """Set the article's links; one change entry per kind of link that changed."""
    labels = field_labels(Article)
    changes = []
    for name, rows in links.items():
        manager = getattr(article, name)
        before = list(manager.all())
        if {r.pk for r in before} == {r.pk for r in rows}:
            continue
        manager.set(rows)
        changes.append(
            {
                "field": name,
                "label": str(labels.get(name, name)),
                "old": ", ".join(str(r) for r in before) or None,
                "new": ", ".join(str(r) for r in rows) or None,
            }
        )
    return changes


@transaction.atomic
def article_update(
    *,
    by: Actor,
    article: Article,
    title: str | Unset = UNSET,
    body: str | Unset = UNSET,
    category: Category | Unset = UNSET,
    language: str | Unset = UNSET,
    status: str | Unset = UNSET,
    tags: str | Iterable[str] | Unset = UNSET,
    slug: str | Unset = UNSET,
    pipelines: Iterable[Pipeline] | Unset = UNSET,
    request_types: Iterable[Stage] | Unset = UNSET,
    task_categories: Iterable[TaskCategory] | Unset = UNSET,
    translation_of: Article | Unset | None = UNSET,
) -> Article:
    """Change what is given (a status change publishes or unpublishes)."""
    require_staff(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    fields: dict[str, Any] = {}
    if title is not UNSET:
        fields["title"] = _text(title, "title", limit=TITLE_MAX)
    if body is not UNSET:
        fields["body"] = _text(body, "body", limit=BODY_MAX, required=False)
    if category is not UNSET:
        if category is None:
            raise DomainError(code="required", message=_("Choose a category."), field="category")
        fields["category"] = category
    if language is not UNSET:
        fields["language"] = _language(language)
    if tags is not UNSET:
        fields["tags"] = clean_tags(tags)
    new_language = fields.get("language", article.language)
    if translation_of is not UNSET:
        fields["translation_of"] = _original(article, translation_of, new_language)
    elif "language" in fields and article.translation_of_id:
        _original(article, article.translation_of, new_language)
    elif "language" in fields and article.translations.filter(language=new_language).exists():
        raise DomainError(
            code="translation_exists",
            message=_("This article has a translation in that language already."),
            field="language",
        )
    if slug is not UNSET:
        # An empty slug is made again from the (new) title.
        fields["slug"] = _slug(
            slug,
            title=fields.get("title", article.title),
            language=new_language,
            exclude=article.pk,
        )
    elif new_language != article.language:
        taken = Article.objects.filter(language=new_language, slug=article.slug)
        if taken.exclude(pk=article.pk).exists():
            fields["slug"] = _slug(
                "", title=fields.get("title", article.title), language=new_language,
                exclude=article.pk,
            )  # fmt: skip
    links: dict[str, list] = {}
    if pipelines is not UNSET:
        links["pipelines"] = _pipelines(pipelines)
    if request_types is not UNSET:
        links["request_types"] = _request_types(request_types)
    if task_categories is not UNSET:
        links["task_categories"] = _task_categories(task_categories)
    new_status = _status(status) if status is not UNSET else article.status
    changes = set_fields(article, fields, field_labels(Article))
    if new_status == ArticleStatus.PUBLISHED:
        _check_publishable(article)
    changes += _link_changes(article, links)
    if changes:
        article.updated_at = clock.now()
        _save(article)
        _record(
            KnowledgeEvent.ARTICLE_UPDATED,
            subject=article,
            by=by,
            data={"title": article.title, "changes": changes},
        )
    if new_status != article.status:
        _set_status(article, new_status, by=by)
    return article


def _set_status(article: Article, status: str, *, by: Actor) -> None:
    if status == ArticleStatus.PUBLISHED:
        _check_publishable(article)
    article.status = status
    article.published_at = clock.now() if status == ArticleStatus.PUBLISHED else None
    article.updated_at = clock.now()
    article.save(update_fields=["status", "published_at", "updated_at"])
    _record(
        KnowledgeEvent.ARTICLE_PUBLISHED
        if status == ArticleStatus.PUBLISHED
        else KnowledgeEvent.ARTICLE_UNPUBLISHED,
        subject=article,
        by=by,
        data={"title": article.title, "language": article.language},
    )


@transaction.atomic
def article_publish(*, by: Actor, article: Article) -> Article:
    """Show the article to clients (nothing happens if it is published already)."""
    require_staff(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != ArticleStatus.PUBLISHED:
        _set_status(article, ArticleStatus.PUBLISHED, by=by)
    return article


@transaction.atomic
def article_unpublish(*, by: Actor, article: Article) -> Article:
    """Back to draft: clients no longer see it (nothing happens if it is a draft)."""
    require_staff(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != ArticleStatus.DRAFT:
        _set_status(article, ArticleStatus.DRAFT, by=by)
    return article


def may_delete(by: Actor, article: Article) -> bool:
    """Managers and admins delete any article; an agent only one they wrote."""
    return bool(
        getattr(by, "is_agency_staff", False)
        and (
            by.is_manager_or_admin or (article.author_id is not None and article.author_id == by.pk)
        )
    )


@transaction.atomic
def article_delete(*, by: Actor, article: Article) -> None:
    """Delete an article. Its translations stay (as originals); its deflections stay counted
    (without the article)."""
    require_staff(by)
    if not may_delete(by, article):
        raise forbidden(_("An agent can delete only the articles they wrote."))
    _record(
        KnowledgeEvent.ARTICLE_DELETED,
        subject=article,
        by=by,
        data={"title": article.title, "language": article.language},
    )
    translations = list(article.translations.order_by("pk"))
    if translations:
        # The first translation becomes the family's original, so the others stay linked.
        heir, rest = translations[0], translations[1:]
        Article.objects.filter(pk__in=[t.pk for t in translations]).update(translation_of=None)
        Article.objects.filter(pk__in=[t.pk for t in rest]).update(translation_of=heir)
    article.delete()


# ---------------------------------------------------------------- counters


def article_viewed(*, article: Article) -> None:
    """One view more (a client opened the article): a conditional UPDATE, no lost counts."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


def article_rate(*, article: Article, helpful: bool) -> None:
    """An answer to "Was this article helpful?"."""
    field = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})


# ---------------------------------------------------------------- categories

CATEGORY_NAME_MAX = 100


def _category_fields(values: dict[str, Any], *, exclude: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "name" in values:
        name = _text(values["name"], "name", limit=CATEGORY_NAME_MAX)
        same = Category.objects.filter(name__iexact=name)
        if (same.exclude(pk=exclude) if exclude is not None else same).exists():
            raise DomainError(
                code="duplicate",
                message=_("A category with this name exists."),
                field="name",
            )
        fields["name"] = name
    if "description" in values:
        fields["description"] = _text(
            values["description"], "description", limit=1000, required=False
        )
    if "order" in values:
        order = values["order"]
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 32767:
            raise DomainError(
                code="invalid_order",
                message=_("The order is a whole number from 0 to 32767."),
                field="order",
            )
        fields["order"] = order
    return fields


@transaction.atomic
def category_create(
    *, by: Actor, name: str, description: str = "", order: int | None = None
) -> Category:
    require_manager(by, _("Only an admin or a manager can change the help center's categories."))
    values: dict[str, Any] = {"name": name, "description": description}
    if order is not None:
        values["order"] = order
    fields = _category_fields(values, exclude=None)
    fields.setdefault("order", Category.objects.count())
    category = Category.objects.create(**fields)
    _record(
        KnowledgeEvent.CATEGORY_SAVED,
        subject=category,
        by=by,
        data={"name": category.name, "created": True},
    )
    return category


@transaction.atomic
def category_update(
    *,
    by: Actor,
    category: Category,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    order: int | Unset = UNSET,
) -> Category:
    require_manager(by, _("Only an admin or a manager can change the help center's categories."))
    category = Category.objects.select_for_update().get(pk=category.pk)
    fields = _category_fields(
        given(name=name, description=description, order=order), exclude=category.pk
    )
    changes = set_fields(category, fields, field_labels(Category))
    if changes:
        category.save()
        _record(
            KnowledgeEvent.CATEGORY_SAVED,
            subject=category,
            by=by,
            data={"name": category.name, "changes": changes},
        )
    return category


@transaction.atomic
def category_delete(*, by: Actor, category: Category) -> None:
    """Remove a category without articles (move or delete its articles first)."""
    require_manager(by, _("Only an admin or a manager can change the help center's categories."))
    count = Article.objects.filter(category=category).count()
    if count:
        raise conflict(
            "category_in_use",
            _("%(n)s has %(count)s articles: move them to another category first.")
            % {"n": category.name, "count": count},
        )
    _record(
        KnowledgeEvent.CATEGORY_SAVED,
        subject=category,
        by=by,
        data={"name": category.name, "deleted": True},
    )
    category.delete()


# ---------------------------------------------------------------- deflections


def request_text(*parts: str | None) -> str:
    """What a client typed (title, details), as one line a deflection keeps."""
    text = " — ".join(" ".join(str(p).split()) for p in parts if p and str(p).strip())
    return text[:QUERY_MAX]


@transaction.atomic
def deflect(
    *,
    by: Actor,
    article: Article,
    task_category: TaskCategory | None = None,
    query: str = "",
) -> Deflection:
    """A client says the article solved it: no request is created, the deflection is counted
    for their company (and the category of the request they had started, and what they typed)."""
    require_client_of(by, getattr(by, "company_id", None) or 0)
    if not article.is_published:
        raise not_found(_("No such article."))
    deflection = Deflection.objects.create(
        article=article,
        task_category=task_category,
        company_id=by.company_id,
        user=by,
        query=request_text(query),
        created_at=clock.now(),
    )
    _record(
        KnowledgeEvent.REQUEST_DEFLECTED,
        subject=article,
        by=by,
        company_id=by.company_id,
        data={
            "deflection_id": deflection.pk,
            "article": article.title,
            "task_category": display(task_category),
            "query": deflection.query,
        },
    )
    return deflection
