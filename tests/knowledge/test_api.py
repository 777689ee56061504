"""The knowledge base's API: every operation through the services the pages use; client users
read and search the published articles (their language first) and record deflections; bad
input is a problem naming the field, with nothing written."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from partnerdesk.knowledge import services
from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.portal.models import Task

pytestmark = pytest.mark.django_db


def send(client, method, path, body=None):
    if body is None:
        return client.generic(method, f"/api{path}")
    return client.generic(method, f"/api{path}", json.dumps(body), "application/json")


@pytest.fixture
def staff_api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def client_api(api_client_for, client_user):
    return api_client_for(client_user)


def test_staff_write_read_change_and_delete_an_article(
    staff_api, category, email_category, entry_stage, ticket_pipeline
):
    response = send(
        staff_api,
        "POST",
        "/knowledge/articles",
        {
            "title": "Connect a domain",
            "category_id": category.pk,
            "body": "Point the **A record**.\n\n<script>x</script>",
            "tags": ["DNS", "domain"],
            "task_category_ids": [email_category.pk],
            "request_type_ids": [entry_stage.pk],
            "pipeline_ids": [ticket_pipeline.pk],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["slug"] == "connect-a-domain"
    assert body["tags"] == ["dns", "domain"]
    assert (
        body["body_html"]
        == "<p>Point the <strong>A record</strong>.</p>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
    )
    assert body["request_type_ids"] == [entry_stage.pk]
    assert body["deflections"] == 0
    article_id = body["id"]
    patched = send(
        staff_api,
        "PATCH",
        f"/knowledge/articles/{article_id}",
        {"status": "published", "title": "Connect your domain", "task_category_ids": []},
    ).json()
    assert (patched["status"], patched["title"], patched["task_category_ids"]) == (
        "published",
        "Connect your domain",
        [],
    )
    assert patched["published_at"] is not None
    assert send(staff_api, "GET", f"/knowledge/articles/{article_id}").json()["id"] == article_id
    assert send(staff_api, "DELETE", f"/knowledge/articles/{article_id}").status_code == 204
    assert not Article.objects.exists()


def test_translations_through_the_api(staff_api, write):
    original = write("Reset a password", "Text")
    italian = send(
        staff_api,
        "POST",
        "/knowledge/articles",
        {
            "title": "Reimposta la password",
            "category_id": original.category_id,
            "language": "it",
            "translation_of_id": original.pk,
        },
    ).json()
    assert italian["translation_of_id"] == original.pk
    versions = send(staff_api, "GET", f"/knowledge/articles/{original.pk}").json()["versions"]
    assert {v["language"] for v in versions} == {"en", "it"}
    cleared = send(
        staff_api, "PATCH", f"/knowledge/articles/{italian['id']}", {"translation_of_id": None}
    ).json()
    assert cleared["translation_of_id"] is None


BAD_ARTICLES = [
    ({"title": "", "category_id": 1}, "title"),
    ({"title": "x"}, "category_id"),
    ({"title": "x", "category_id": 999999}, "category_id"),
    ({"title": "x", "category_id": "{category}", "language": "de"}, "language"),
    ({"title": "x", "category_id": "{category}", "status": "archived"}, "status"),
    ({"title": "x", "category_id": "{category}", "tags": "a,b"}, "tags"),
    ({"title": "x", "category_id": "{category}", "tags": ["t" * 41]}, "tags.0"),
    ({"title": "x", "category_id": "{category}", "request_type_ids": [999999]}, "request_type_ids"),
    (
        {"title": "x", "category_id": "{category}", "request_type_ids": ["{stage}"]},
        "request_type_ids",
    ),
    (
        {"title": "x", "category_id": "{category}", "pipeline_ids": ["{deal_pipeline}"]},
        "pipeline_ids",
    ),
    ({"title": "x", "category_id": "{category}", "translation_of_id": 999999}, "translation_of_id"),
    ({"title": "x", "category_id": "{category}", "status": "published"}, "body"),
    ({"title": "x", "category_id": "{category}", "slug": "not a slug"}, "slug"),
    ({"title": "x", "category_id": "{category}", "unknown": 1}, "unknown"),
    ({"title": "x", "category_id": 0}, "category_id"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_ARTICLES)
def test_bad_articles_are_422_problems_naming_the_field(
    staff_api, category, ticket_pipeline, email_pipeline, payload, field
):
    not_entry = ticket_pipeline.stages.get(key="dns-propagating")
    values = {
        "{category}": category.pk,
        "{stage}": not_entry.pk,
        "{deal_pipeline}": email_pipeline.pk,
    }

    def fill(value):
        if isinstance(value, list):
            return [fill(v) for v in value]
        return values.get(value, value) if isinstance(value, str) else value

    response = send(
        staff_api, "POST", "/knowledge/articles", {k: fill(v) for k, v in payload.items()}
    )
    assert response.status_code == 422, response.json()
    problem = response.json()
    assert problem["field"] == field, problem
    assert problem["code"] and problem["message"]
    assert not Article.objects.exists()


def test_a_malformed_body_is_a_400_problem(staff_api):
    response = staff_api.generic("POST", "/api/knowledge/articles", "{not json", "application/json")
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("bad_request", "invalid_input")


def test_clients_read_published_articles_only_their_language_first(client_api, client_user, write):
    original = write("Reset your password", "Open the login page.")
    write("Reimposta la password", "Apri.", language="it", translation_of=original)
    draft = write("Draft", "Soon.", status=ArticleStatus.DRAFT)
    items = send(client_api, "GET", "/knowledge/articles").json()["items"]
    assert [a["title"] for a in items] == ["Reset your password"]
    client_user.language = "it"
    client_user.save(update_fields=["language"])
    items = send(client_api, "GET", "/knowledge/articles").json()["items"]
    assert [a["title"] for a in items] == ["Reimposta la password"]
    items = send(client_api, "GET", "/knowledge/articles?q=login&prefer_language=en").json()[
        "items"
    ]
    assert [a["title"] for a in items] == ["Reset your password"]
    assert send(client_api, "GET", f"/knowledge/articles/{draft.pk}").status_code == 404
    detail = send(client_api, "GET", f"/knowledge/articles/{original.pk}").json()
    assert detail["deflections"] is None and detail["author_id"] is None
    # a client asking for drafts still gets the published articles only
    items = send(client_api, "GET", "/knowledge/articles?status=draft").json()["items"]
    assert [a["title"] for a in items] == ["Reimposta la password"]


def test_clients_cannot_write(client_api, category, write):
    article = write("Live")
    response = send(
        client_api, "POST", "/knowledge/articles", {"title": "x", "category_id": category.pk}
    )
    assert response.status_code == 403
    assert (
        send(client_api, "PATCH", f"/knowledge/articles/{article.pk}", {"title": "y"}).status_code
        == 403
    )
    assert send(client_api, "DELETE", f"/knowledge/articles/{article.pk}").status_code == 403
    assert send(client_api, "GET", "/knowledge/deflections").status_code == 404


def test_an_agent_deletes_only_their_own(api_client_for, agent, admin, write):
    theirs = write("Admin's", by=admin)
    response = send(api_client_for(agent), "DELETE", f"/knowledge/articles/{theirs.pk}")
    assert response.status_code == 403
    assert Article.objects.filter(pk=theirs.pk).exists()


def test_categories(api_client_for, manager, agent, client_user, category, write):
    manager_api = api_client_for(manager)
    created = send(manager_api, "POST", "/knowledge/categories", {"name": "Billing", "order": 2})
    assert created.status_code == 201 and created.json()["order"] == 2
    assert send(manager_api, "POST", "/knowledge/categories", {"name": "billing"}).json()[
        "code"
    ] == ("duplicate")
    write("Live")
    write("Draft", status=ArticleStatus.DRAFT)
    staff_rows = {
        c["name"]: c for c in send(api_client_for(agent), "GET", "/knowledge/categories").json()
    }
    assert (
        staff_rows["Email & domains"]["articles"],
        staff_rows["Email & domains"]["published_articles"],
    ) == (2, 1)
    client_rows = {
        c["name"]: c
        for c in send(api_client_for(client_user), "GET", "/knowledge/categories").json()
    }
    assert client_rows["Email & domains"]["articles"] is None
    billing_id = created.json()["id"]
    renamed = send(
        manager_api, "PATCH", f"/knowledge/categories/{billing_id}", {"name": "Invoices"}
    )
    assert renamed.json()["name"] == "Invoices"
    assert (
        send(
            api_client_for(agent), "PATCH", f"/knowledge/categories/{billing_id}", {"name": "X"}
        ).status_code
        == 403
    )
    in_use = send(manager_api, "DELETE", f"/knowledge/categories/{category.pk}")
    assert (in_use.status_code, in_use.json()["code"]) == (409, "category_in_use")
    assert send(manager_api, "DELETE", f"/knowledge/categories/{billing_id}").status_code == 204
    assert send(manager_api, "DELETE", f"/knowledge/categories/{billing_id}").status_code == 404
    assert (
        send(manager_api, "POST", "/knowledge/categories", {"name": "x", "order": -1}).status_code
        == 422
    )
    assert set(Category.objects.values_list("name", flat=True)) == {"Email & domains"}


def test_suggestions(client_api, write, email_category):
    write("Add a mailbox", "Steps.", task_categories=[email_category])
    write("Storage full", "Raise the mailbox storage.")
    body = send(
        client_api,
        "GET",
        f"/knowledge/suggestions?task_category_id={email_category.pk}&text=storage",
    ).json()
    assert [a["title"] for a in body["articles"]] == ["Add a mailbox", "Storage full"]
    missing = send(client_api, "GET", "/knowledge/suggestions?task_category_id=999999")
    assert (missing.status_code, missing.json()["field"]) == (422, "task_category_id")


def test_clients_record_deflections_and_staff_list_them(
    client_api, api_client_for, agent, client_user, company, write, email_category
):
    article = write("Add a mailbox", "Steps.")
    draft = write("Draft", status=ArticleStatus.DRAFT)
    response = send(
        client_api,
        "POST",
        "/knowledge/deflections",
        {"article_id": article.pk, "task_category_id": email_category.pk, "text": "New mailbox"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["company_id"] == company.pk
    assert not Task.objects.exists()
    for payload, field in (
        ({"article_id": draft.pk}, "article_id"),
        ({"article_id": 999999}, "article_id"),
        ({"article_id": article.pk, "task_category_id": 999999}, "task_category_id"),
        ({"article_id": article.pk, "text": "x" * 2001}, "text"),
        ({}, "article_id"),
    ):
        problem = send(client_api, "POST", "/knowledge/deflections", payload)
        assert (problem.status_code, problem.json()["field"]) == (422, field), payload
    assert Deflection.objects.count() == 1
    staff = api_client_for(agent)
    assert (
        send(staff, "POST", "/knowledge/deflections", {"article_id": article.pk}).status_code == 403
    )
    page = send(staff, "GET", f"/knowledge/deflections?task_category_id={email_category.pk}").json()
    assert [d["query"] for d in page["items"]] == ["New mailbox"]
    assert send(staff, "GET", "/knowledge/deflections?since=2999-01-01").json()["count"] == 0
    today = timezone.localdate().isoformat()
    both = f"/knowledge/deflections?since={today}&until={today}"
    assert send(staff, "GET", both).json()["count"] == 1
    for bad in (
        "since=yesterday",
        "until=0001-01-01",
        "since=99999-01-01",
        "since=2025-01-01T10:00",
    ):
        assert send(staff, "GET", f"/knowledge/deflections?{bad}").status_code == 422, bad
    services.article_delete(by=agent, article=article)
    row = send(staff, "GET", "/knowledge/deflections").json()["items"][0]
    assert (row["article_id"], row["article"]) == (None, None)
