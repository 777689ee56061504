"""Permission-matrix routes of the knowledge app, and the fixtures they refer to (``Ref("...")``).

``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX and imports this module's
fixtures, so every check there (refusal before validation, other company's object) covers them.

Articles are agency-wide (not tenant data): both clients read the published ones alike, so no
route here has an ``owned`` object. Staff pages (/app/knowledge/) are a 404 for clients; the help
center (/portal/help/) is the clients', a 404 for staff like the rest of the portal.
"""

from __future__ import annotations

import pytest

from tests.matrix.vocab import (
    API_READ,
    API_STAFF_READ,
    CLIENT_ONLY,
    LOGIN,
    MANAGER_INVALID_FORM,
    MANAGER_ONLY,
    STAFF,
    STAFF_INVALID_FORM,
    STAFF_POST_ONLY_GET,
    E,
    Redirect,
    Ref,
    Route,
    get,
    op,
    post,
    post_form,
)

_ARTICLE = {"pk": Ref("kb_article")}
_TO_ARTICLE = Redirect("/app/knowledge/")  # back to the article's page
_CLIENT_POST_ONLY_GET = E(LOGIN, 405, 405, 404, 404)

ROUTES: dict[str, Route] = {
    # ------------------------------------------------------------ staff: /app/knowledge/
    "knowledge:article_list": Route(checks=(get(STAFF),)),
    "knowledge:article_create": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    "knowledge:article_preview": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, 200, 200), {"body": "*Hi*"}))
    ),
    "knowledge:article_detail": Route(checks=(get(STAFF),), kwargs=_ARTICLE),
    "knowledge:article_edit": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)), kwargs=_ARTICLE
    ),
    "knowledge:article_publish": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, _TO_ARTICLE, _TO_ARTICLE))),
        kwargs={"pk": Ref("kb_draft")},
    ),
    "knowledge:article_unpublish": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, _TO_ARTICLE, _TO_ARTICLE))),
        kwargs=_ARTICLE,
    ),
    # The agent wrote kb_article, so the agent may delete it (an agent: only their own).
    "knowledge:article_delete": Route(
        checks=(
            get(STAFF),
            post(
                E(
                    LOGIN,
                    404,
                    404,
                    Redirect("/app/knowledge/", exact=True),
                    Redirect("/app/knowledge/", exact=True),
                )
            ),
        ),
        kwargs=_ARTICLE,
    ),
    # Agents read the categories; managers and admins change them.
    "knowledge:category_list": Route(checks=(get(STAFF), post_form(MANAGER_INVALID_FORM))),
    "knowledge:category_edit": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("kb_category")},
    ),
    "knowledge:category_delete": Route(
        checks=(
            get(STAFF_POST_ONLY_GET),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/knowledge/categories/", exact=True))),
        ),
        kwargs={"pk": Ref("kb_empty_category")},
    ),
    # ------------------------------------------------------------ clients: /portal/help/
    "help:home": Route(checks=(get(CLIENT_ONLY),)),
    "help:search": Route(checks=(get(CLIENT_ONLY),)),
    "help:category": Route(checks=(get(CLIENT_ONLY),), kwargs={"pk": Ref("kb_category")}),
    "help:article": Route(checks=(get(CLIENT_ONLY),), kwargs=_ARTICLE),
    "help:feedback": Route(
        checks=(
            get(_CLIENT_POST_ONLY_GET),
            post(
                E(
                    LOGIN,
                    Redirect("/portal/help/articles/"),
                    Redirect("/portal/help/articles/"),
                    404,
                    404,
                ),
                {"helpful": "yes"},
            ),
        ),
        kwargs=_ARTICLE,
    ),
    "help:suggest": Route(checks=(get(CLIENT_ONLY),)),
    # "This solved it": back to the portal, the deflection counted, no request created.
    "help:deflect": Route(
        checks=(
            get(_CLIENT_POST_ONLY_GET),
            post(
                E(
                    LOGIN,
                    Redirect("/portal/", exact=True),
                    Redirect("/portal/", exact=True),
                    404,
                    404,
                ),
                {"article": Ref("kb_article"), "title": "Matrix request"},
            ),
        ),
    ),
    # ------------------------------------------------------------ API: /api/knowledge/
    "GET /api/knowledge/articles": op(API_READ),
    "POST /api/knowledge/articles": op(
        E(401, 403, 403, 201, 201),
        {"title": "Matrix API article", "category_id": Ref("kb_category"), "body": "Text"},
    ),
    "GET /api/knowledge/articles/{article_id}": op(API_READ, article_id=Ref("kb_article")),
    "PATCH /api/knowledge/articles/{article_id}": op(
        E(401, 403, 403, 200, 200),
        {"title": "Matrix article renamed"},
        article_id=Ref("kb_article"),
    ),
    "DELETE /api/knowledge/articles/{article_id}": op(
        E(401, 403, 403, 204, 204), article_id=Ref("kb_article")
    ),
    "GET /api/knowledge/suggestions": op(API_READ),
    "GET /api/knowledge/categories": op(API_READ),
    "POST /api/knowledge/categories": op(
        E(401, 403, 403, 403, 201), {"name": "Matrix API category"}
    ),
    "PATCH /api/knowledge/categories/{category_id}": op(
        E(401, 403, 403, 403, 200),
        {"name": "Matrix category renamed"},
        category_id=Ref("kb_category"),
    ),
    "DELETE /api/knowledge/categories/{category_id}": op(
        E(401, 403, 403, 403, 204), category_id=Ref("kb_empty_category")
    ),
    "POST /api/knowledge/deflections": op(
        E(401, 201, 201, 403, 403), {"article_id": Ref("kb_article"), "text": "Matrix"}
    ),
    "GET /api/knowledge/deflections": op(API_STAFF_READ),
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def kb_category(admin):
    from partnerdesk.knowledge import services

    return services.category_create(by=admin, name="Matrix help")


@pytest.fixture
def kb_empty_category(admin):
    from partnerdesk.knowledge import services

    return services.category_create(by=admin, name="Matrix empty help")


@pytest.fixture
def kb_article(agent, kb_category):
    """A published article the agent wrote."""
    from partnerdesk.knowledge import services

    return services.article_create(
        by=agent,
        title="Matrix article",
        body="How to do it.",
        category=kb_category,
        status="published",
    )


@pytest.fixture
def kb_draft(agent, kb_category):
    from partnerdesk.knowledge import services

    return services.article_create(
        by=agent, title="Matrix draft", body="Not yet.", category=kb_category
    )
