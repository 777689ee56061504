"""The help center in the client portal (/portal/help/): its home (categories with their
published articles, the client's language first, the most read, a search box), a category's
articles, search results, an article (rendered, its other languages, related articles, "Was
this helpful?"), and the suggestions shown while a client writes a new request, with "This
solved it — don't create the request" (a deflection) and "Go on with my request".

The portal's new-request page reaches this app only through ``{% url 'help:…' %}``: its
suggestions box loads ``help:suggest`` (htmx) with the form's category, title and details; a
suggestion's "This solved it" button posts that same form to ``help:deflect``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.core.access import client_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.listing import Listing
from partnerdesk.portal.models import TaskCategory

from . import selectors, services
from .markdown import render_markdown
from .models import Category

PAGE = Listing(search_fields=(), page_size=20)  # paging only: the search is search_articles
TITLE_MAX = 200
DETAILS_MAX = 2000


def _language(request) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or request.user.language


def _task_category(value) -> TaskCategory | None:
    pk = parse_id(value)
    return None if pk is None else TaskCategory.objects.filter(pk=pk, is_active=True).first()


def _request_context(params) -> dict:
    """The request a client was writing (category, title, details), as the new-request form
    posts it or a suggestion's link carries it; empty when there is none."""
    category = _task_category(params.get("category", ""))
    title = params.get("title", "").strip()[:TITLE_MAX]
    details = params.get("description", "").strip()[:DETAILS_MAX]
    if category is None and not title and not details:
        return {}
    values = {"category": category.pk if category else "", "title": title, "description": details}
    return {
        "task_category": category,
        "title": title,
        "description": details,
        "query": services.request_text(title, details),
        "querystring": urlencode(values),
        "back": reverse("portal:task_new") + "?" + urlencode(values),
    }


@client_required
@require_GET
def home(request):
    language = _language(request)
    return render(
        request,
        "knowledge/help/home.html",
        {
            "sections": selectors.help_sections(language),
            "popular": selectors.popular(language),
        },
    )


@client_required
@require_GET
def category(request, pk):
    section = Category.objects.filter(pk=pk).first()
    if section is None:
        raise Http404("Not found.")
    qs = selectors.search_articles(category=section, prefer_language=_language(request))
    context = PAGE.apply(request, qs.defer("body"))
    context["category"] = section
    return render(request, "knowledge/help/category.html", context)


@client_required
@require_GET
def search(request):
    q = request.GET.get("q", "").strip()[:200]
    task_category = _task_category(request.GET.get("task_category", ""))
    section = parse_id(request.GET.get("category", ""))
    qs = selectors.search_articles(
        q,
        category=section,
        task_category=task_category,
        prefer_language=_language(request),
    )
    context = PAGE.apply(request, qs)
    context.update(
        {
            "q": q,
            "task_category": task_category,
            "categories": list(Category.objects.all()),
            "selected_category": section,
            "searched": bool(q or task_category or section),
        }
    )
    return render(request, "knowledge/help/search.html", context)


@client_required
@require_GET
def article(request, pk):
    page = selectors.article_for(request.user, pk)
    services.article_viewed(article=page)
    language = _language(request)
    versions = selectors.family(page, published_only=True)
    return render(
        request,
        "knowledge/help/article.html",
        {
            "article": page,
            "body": render_markdown(page.body),
            "versions": versions if len(versions) > 1 else [],
            "related": selectors.related(page, language),
            "voted": page.pk in request.session.get("knowledge_votes", []),
            "draft": _request_context(request.GET),
        },
    )


@client_required
@require_POST
def feedback(request, pk):
    """ "Was this article helpful?" — once per article and session."""
    page = selectors.article_for(request.user, pk)
    votes = request.session.get("knowledge_votes", [])
    if page.pk not in votes:
        services.article_rate(article=page, helpful=request.POST.get("helpful") == "yes")
        request.session["knowledge_votes"] = [*votes[-199:], page.pk]
    messages.success(request, _("Thank you for your feedback."))
    return redirect("help:article", pk=page.pk)


@client_required
@require_GET
def suggest(request):
    """The suggestions box of the new-request form (an HTML fragment): the articles that may
    answer the request being written."""
    context = _request_context(request.GET)
    suggestions = []
    if context:
        suggestions = selectors.suggest_for_request(
            context["task_category"], context["query"], _language(request)
        )
    return render(
        request,
        "knowledge/help/_suggestions.html",
        {
            "suggestions": [(a, render_markdown(a.body)) for a in suggestions],
            "draft": context,
        },
    )


@client_required
@require_POST
def deflect(request):
    """ "This solved it — don't create the request": the deflection is counted for the
    client's company, no request is created, and the client is back on the portal."""
    page = selectors.article_for(request.user, parse_id(request.POST.get("article", "")))
    context = _request_context(request.POST)
    services.deflect(
        by=request.user,
        article=page,
        task_category=context.get("task_category"),
        query=context.get("query", ""),
    )
    messages.success(
        request,
        _("Glad “%(t)s” solved it. We did not create a request; start one whenever you need us.")
        % {"t": page.title},
    )
    return redirect("portal:home")
