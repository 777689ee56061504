"""The staff's knowledge base at /app/knowledge/: the article list (search and filters), writing
and editing articles (with a Markdown preview), an article's page (rendered, its links, its
translations, the requests it deflected, its views), publishing, deleting, and the help
center's categories. Agents, managers and admins write articles; managers and admins keep the
categories. Client users get the 404 of the staff app."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partnerdesk.core.access import staff_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.forms import submit
from partnerdesk.core.listing import Listing

from . import selectors, services
from .forms import ArticleForm, CategoryForm, article_initial
from .markdown import render_markdown
from .models import Article, ArticleStatus, Category

LISTING = Listing(
    search_fields=(),  # the search is selectors.search_articles (full text), applied first
    filters={"status": "status", "language": "language", "category": "category_id"},
    sorts={
        "title": ("title", "id"),
        "-updated": ("-updated_at", "-id"),
        "-published": ("-published_at", "-id"),
        "-views": ("-views", "-id"),
    },
    default_sort="",  # the search's order: best match first, else last changed first
)


def _require_manager(request) -> None:
    if not request.user.is_manager_or_admin:
        raise PermissionDenied(
            _("Only an admin or a manager can change the help center's categories.")
        )


def _render_list(request, template: str, context: dict, status: int = 200):
    """The whole page, or only its ``results`` partial for an htmx request aimed at it."""
    if request.htmx and request.htmx.target == "results" and request.method == "GET":
        return render(request, f"{template}#results", context)
    return render(request, template, context, status=status)


# ---------------------------------------------------------------- articles


@staff_required
@require_http_methods(["GET"])
def article_list(request):
    q = request.GET.get("q", "").strip()[:200]
    tag = request.GET.get("tag", "").strip()[:40]
    qs = selectors.search_articles(q, published_only=False, tag=tag or None)
    context = LISTING.apply(request, selectors.with_deflection_counts(qs.select_related("author")))
    if tag:
        context["filters"] = {**context["filters"], "tag": tag}
    context.update(
        {
            "statuses": ArticleStatus.choices,
            "languages": Article._meta.get_field("language").choices,
            "categories": list(Category.objects.all()),
            "tags": selectors.tags_in_use(),
        }
    )
    return _render_list(request, "knowledge/article_list.html", context)


def _article_form_page(request, form, *, article=None, status=200):
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": article},
        status=400 if form.errors else status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def article_create(request):
    initial = {"status": ArticleStatus.DRAFT, "language": request.LANGUAGE_CODE}
    original = parse_id(request.GET.get("translation_of", ""))
    if original is not None:
        source = Article.objects.filter(pk=original).first()
        if source is not None:
            initial.update(
                translation_of=source.translation_of_id or source.pk,
                category=source.category_id,
                tags=", ".join(source.tag_list),
                task_categories=list(source.task_categories.all()),
                pipelines=list(source.pipelines.all()),
                request_types=list(source.request_types.all()),
            )
    if request.GET.get("language") in dict(Article._meta.get_field("language").choices):
        initial["language"] = request.GET["language"]
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        outcome = submit(form, lambda data: services.article_create(by=request.user, **data))
        if outcome.ok:
            messages.success(request, _("Article saved."))
            return redirect("knowledge:article_detail", pk=outcome.value.pk)
    return _article_form_page(request, form)


@staff_required
@require_http_methods(["GET"])
def article_detail(request, pk):
    article = get_object_or_404(
        Article.objects.select_related("category", "author", "translation_of"), pk=pk
    )
    family = selectors.family(article, published_only=False)
    context = {
        "article": article,
        "body": render_markdown(article.body),
        "family": family,
        "pipelines": list(article.pipelines.all()),
        "request_types": list(article.request_types.select_related("pipeline")),
        "task_categories": list(article.task_categories.all()),
        "deflections": selectors.deflection_stats(article),
        "recent_deflections": selectors.recent_deflections(article),
        "may_delete": services.may_delete(request.user, article),
        "missing_languages": [
            (code, name)
            for code, name in Article._meta.get_field("language").choices
            if code not in {a.language for a in family}
        ],
        "timeline": [{"event": e, "text": describe(e)} for e in timeline(article, limit=50)],
    }
    return render(request, "knowledge/article_detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk):
    article = get_object_or_404(Article, pk=pk)
    form = ArticleForm(request.POST or None, initial=article_initial(article), article=article)
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.article_update(by=request.user, article=article, **data),
        )
        if outcome.ok:
            messages.success(request, _("Article saved."))
            return redirect("knowledge:article_detail", pk=article.pk)
    return _article_form_page(request, form, article=article)


@staff_required
@require_POST
def article_preview(request):
    """The Markdown body as it will show (htmx: the preview panel of the article form)."""
    return render(
        request,
        "knowledge/_preview.html",
        {"body": render_markdown(request.POST.get("body", "")[:100_000])},
    )


def _status_change(request, pk, change, success: str):
    article = get_object_or_404(Article, pk=pk)
    try:
        change(by=request.user, article=article)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect("knowledge:article_detail", pk=article.pk)


@staff_required
@require_POST
def article_publish(request, pk):
    return _status_change(
        request, pk, services.article_publish, _("Published: clients see the article.")
    )


@staff_required
@require_POST
def article_unpublish(request, pk):
    return _status_change(
        request, pk, services.article_unpublish, _("Back to draft: clients no longer see it.")
    )


@staff_required
@require_http_methods(["GET", "POST"])
def article_delete(request, pk):
    article = get_object_or_404(Article.objects.select_related("category"), pk=pk)
    if not services.may_delete(request.user, article):
        raise PermissionDenied(_("An agent can delete only the articles they wrote."))
    if request.method == "POST":
        services.article_delete(by=request.user, article=article)
        messages.success(request, _("Article deleted."))
        return redirect("knowledge:article_list")
    return render(
        request,
        "knowledge/article_delete.html",
        {"article": article, "deflections": selectors.deflection_stats(article)},
    )


# ---------------------------------------------------------------- categories


@staff_required
@require_http_methods(["GET", "POST"])
def category_list(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST":
        _require_manager(request)
        outcome = submit(
            form,
            lambda data: services.category_create(
                by=request.user,
                name=data["name"],
                description=data["description"],
                order=data["order"],
            ),
        )
        if outcome.ok:
            messages.success(request, _("Category added."))
            return redirect("knowledge:category_list")
    return render(
        request,
        "knowledge/category_list.html",
        {"categories": selectors.categories(), "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk):
    _require_manager(request)
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(
        request.POST or None,
        initial={
            "name": category.name,
            "description": category.description,
            "order": category.order,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.category_update(
                by=request.user,
                category=category,
                name=data["name"],
                description=data["description"],
                **({"order": data["order"]} if data["order"] is not None else {}),
            ),
        )
        if outcome.ok:
            messages.success(request, _("Category saved."))
            return redirect("knowledge:category_list")
    return render(
        request,
        "knowledge/category_form.html",
        {"form": form, "category": category},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def category_delete(request, pk):
    _require_manager(request)
    category = get_object_or_404(Category, pk=pk)
    try:
        services.category_delete(by=request.user, category=category)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("knowledge:category_edit", pk=category.pk)
    messages.success(request, _("Category removed."))
    return redirect("knowledge:category_list")
