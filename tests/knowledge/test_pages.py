"""The knowledge base's pages: the staff's list, editor, article page and categories; the
portal's help center, its article pages, the suggestions of the new-request form and "This
solved it". Forms go through the services: an error lands beside its field, nothing written."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from partnerdesk.core.models import Event
from partnerdesk.knowledge import services
from partnerdesk.knowledge.events import KnowledgeEvent
from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.portal.models import Task
from tests.conftest import login

pytestmark = pytest.mark.django_db


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


# ---------------------------------------------------------------- staff


def test_the_list_searches_and_filters(agent, write, manager):
    write("Mailbox quota", "Storage is full.", tags="mailbox")
    write("DNS records", "MX record.", tags="dns", language="it")
    write("Draft about storage", "Storage.", status=ArticleStatus.DRAFT)
    web = login(agent)
    url = reverse("knowledge:article_list")
    assert {"Mailbox quota", "DNS records", "Draft about storage"} <= set(
        re.findall(r'lang="\w+">([^<]+)</a>', web.get(url).content.decode())
    )
    page = text(web.get(url, {"q": "storage"}))
    assert "Mailbox quota" in page and "Draft about storage" in page and "DNS records" not in page
    page = text(web.get(url, {"status": "draft"}))
    assert "Draft about storage" in page and "Mailbox quota" not in page
    page = text(web.get(url, {"language": "it"}))
    assert "DNS records" in page and "Mailbox quota" not in page
    page = text(web.get(url, {"tag": "mailbox"}))
    assert "Mailbox quota" in page and "DNS records" not in page
    # htmx asks for the results only
    partial = web.get(url, {"q": "mx"}, headers={"HX-Request": "true", "HX-Target": "results"})
    assert partial.content.decode().startswith('<div id="results">')
    # nonsense in the query string is ignored, never a 500
    assert web.get(url, {"category": "abc", "page": "x", "sort": "evil"}).status_code == 200


def test_staff_write_and_publish_an_article(agent, category, email_category, entry_stage):
    web = login(agent)
    response = web.post(
        reverse("knowledge:article_create"),
        {
            "title": "Add a shared mailbox",
            "category": category.pk,
            "language": "en",
            "status": "draft",
            "body": "## Steps\n\n1. Open the **admin** page\n\n<script>alert(1)</script>",
            "tags": "Mailbox, Shared",
            "task_categories": [email_category.pk],
            "request_types": [entry_stage.pk],
        },
    )
    article = Article.objects.get(title="Add a shared mailbox")
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:article_detail", kwargs={"pk": article.pk})
    assert (article.author, article.tags, article.status) == (agent, "mailbox,shared", "draft")
    assert list(article.task_categories.all()) == [email_category]
    page = web.get(response["Location"]).content.decode()
    assert "<h2>Steps</h2>" in page and "<strong>admin</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Email &amp; Domains" in page and "Connect External Domain" in page
    web.post(reverse("knowledge:article_publish", kwargs={"pk": article.pk}))
    article.refresh_from_db()
    assert article.is_published
    web.post(reverse("knowledge:article_unpublish", kwargs={"pk": article.pk}))
    article.refresh_from_db()
    assert not article.is_published


def test_form_errors_land_beside_their_fields(agent, category, ticket_pipeline):
    web = login(agent)
    not_entry = ticket_pipeline.stages.get(key="dns-propagating")
    response = web.post(
        reverse("knowledge:article_create"),
        {
            "title": "Published but empty",
            "category": category.pk,
            "language": "en",
            "status": "published",
            "body": "",
        },
    )
    assert response.status_code == 400
    assert re.search(r'id="err-body"[^>]*>\s*<li>Write the article', response.content.decode())
    # the form offers entry stages only; a posted other stage is refused by the form
    response = web.post(
        reverse("knowledge:article_create"),
        {
            "title": "X",
            "category": category.pk,
            "language": "en",
            "status": "draft",
            "request_types": [not_entry.pk],
        },
    )
    assert response.status_code == 400
    assert 'id="err-request_types"' in response.content.decode()
    assert not Article.objects.exists()


def test_the_editor_shows_a_translation_and_the_preview(agent, write):
    original = write("Reset a password", "Text", tags="login")
    web = login(agent)
    page = web.get(
        reverse("knowledge:article_create"), {"translation_of": original.pk, "language": "it"}
    ).content.decode()
    assert f'<option value="{original.pk}" selected>' in page
    assert '<option value="it" selected>' in page
    assert 'value="login"' in page
    preview = web.post(reverse("knowledge:article_preview"), {"body": "**x** <b>y</b>"})
    assert preview.content.decode().strip() == "<p><strong>x</strong> &lt;b&gt;y&lt;/b&gt;</p>"
    response = web.post(
        reverse("knowledge:article_edit", kwargs={"pk": original.pk}),
        {"title": "Reset your password", "category": original.category_id, "language": "en",
         "status": "published", "body": "New text", "tags": "login"},
    )  # fmt: skip
    assert response.status_code == 302
    original.refresh_from_db()
    assert (original.title, original.body) == ("Reset your password", "New text")


def test_the_article_page_counts_deflections_and_views(agent, client_user, write, email_category):
    article = write("Add a mailbox", "Steps.")
    services.article_viewed(article=article)
    for n in range(3):
        services.deflect(
            by=client_user, article=article, task_category=email_category, query=f"need {n}"
        )
    page = login(agent).get(reverse("knowledge:article_detail", kwargs={"pk": article.pk}))
    body = page.content.decode()
    assert re.search(r'id="deflections">.*?class="num">3<', body, re.S)
    assert re.search(r'id="views">.*?class="num">1<', body, re.S)
    assert "Acme Dental" in body and "“need 2”" in html.unescape(body)
    assert "A client found the answer" in text(page)  # the timeline


def test_deleting_asks_first_and_agents_only_their_own(agent, admin, write, category):
    mine = write("Mine")
    theirs = write("Theirs", by=admin)
    web = login(agent)
    assert web.get(reverse("knowledge:article_delete", kwargs={"pk": theirs.pk})).status_code == 403
    assert (
        web.post(reverse("knowledge:article_delete", kwargs={"pk": theirs.pk})).status_code == 403
    )
    page = web.get(reverse("knowledge:article_delete", kwargs={"pk": mine.pk}))
    assert "Delete “Mine” for good?" in text(page)
    assert Article.objects.filter(pk=mine.pk).exists()
    web.post(reverse("knowledge:article_delete", kwargs={"pk": mine.pk}))
    assert not Article.objects.filter(pk=mine.pk).exists()
    detail = login(agent).get(reverse("knowledge:article_detail", kwargs={"pk": theirs.pk}))
    assert (
        reverse("knowledge:article_delete", kwargs={"pk": theirs.pk}) not in detail.content.decode()
    )


def test_categories_managers_add_and_remove_agents_read(agent, manager, category, write):
    web = login(manager)
    response = web.post(reverse("knowledge:category_list"), {"name": "Billing", "order": 3})
    assert response.status_code == 302
    billing = Category.objects.get(name="Billing")
    assert billing.order == 3
    response = web.post(reverse("knowledge:category_list"), {"name": "billing"})
    assert response.status_code == 400 and "A category with this name exists." in text(response)
    write("In use")
    response = web.post(reverse("knowledge:category_delete", kwargs={"pk": category.pk}))
    assert response.status_code == 302
    assert Category.objects.filter(pk=category.pk).exists()  # it has an article
    web.post(reverse("knowledge:category_delete", kwargs={"pk": billing.pk}))
    assert not Category.objects.filter(pk=billing.pk).exists()
    agent_page = login(agent).get(reverse("knowledge:category_list"))
    assert "Email &amp; domains" in agent_page.content.decode()
    assert "Add a category" not in text(agent_page)


# ---------------------------------------------------------------- the help center


def test_the_help_center_shows_published_articles_in_the_clients_language(
    client_user, write, category
):
    original = write("Reset your password", "Open the login page.")
    write("Reimposta la password", "Apri la pagina.", language="it", translation_of=original)
    write("Not yet", "Draft", status=ArticleStatus.DRAFT)
    web = login(client_user)
    page = text(web.get(reverse("help:home")))
    assert "Reset your password" in page and "Reimposta" not in page and "Not yet" not in page
    client_user.language = "it"
    client_user.save(update_fields=["language"])
    page = text(web.get(reverse("help:home")))
    assert "Reimposta la password" in page and "Reset your password" not in page
    # the article page offers the other language
    italian = Article.objects.get(language="it")
    body = web.get(reverse("help:article", kwargs={"pk": italian.pk})).content.decode()
    assert f'href="/portal/help/articles/{original.pk}/"' in body
    # a draft is a 404, like a missing article
    draft = Article.objects.get(title="Not yet")
    assert web.get(reverse("help:article", kwargs={"pk": draft.pk})).status_code == 404


def test_the_help_center_search(client_user, write):
    write("Mailbox quota", "Raise the storage.")
    web = login(client_user)
    page = text(web.get(reverse("help:search"), {"q": "storage"}))
    assert "Mailbox quota" in page and "Raise the storage." in page
    page = text(web.get(reverse("help:search"), {"q": "nothing-like-it"}))
    assert "Nothing found." in page and "Start a request" in page


def test_reading_counts_a_view_and_a_vote_once(client_user, write):
    article = write("Counted")
    web = login(client_user)
    web.get(reverse("help:article", kwargs={"pk": article.pk}))
    web.post(reverse("help:feedback", kwargs={"pk": article.pk}), {"helpful": "yes"})
    web.post(reverse("help:feedback", kwargs={"pk": article.pk}), {"helpful": "no"})
    article.refresh_from_db()
    assert (article.views, article.helpful_yes, article.helpful_no) == (1, 1, 0)


# ---------------------------------------------------------------- a new request


def test_the_new_request_form_loads_suggestions_and_links_categories_without_js(
    client_user, email_category
):
    page = login(client_user).get(reverse("portal:task_new")).content.decode()
    assert 'hx-get="/portal/help/suggest/"' in page
    assert f'href="/portal/help/search/?task_category={email_category.pk}"' in page


def test_the_navigation_links_each_side_to_its_knowledge_base(agent, client_user):
    staff_nav = login(agent).get(reverse("dashboard:home")).content.decode()
    assert 'href="/app/knowledge/">Knowledge base</a>' in staff_nav
    assert "/portal/help/" not in staff_nav
    client_nav = login(client_user).get(reverse("portal:task_list")).content.decode()
    assert 'href="/portal/help/">Help center</a>' in client_nav
    assert "/app/knowledge/" not in client_nav


def test_the_new_request_form_takes_nonsense_in_its_query_string(client_user):
    web = login(client_user)
    for query in ("category=abc", "category=999999999999999999999", "title=" + "x" * 30000):
        assert web.get(reverse("portal:task_new") + "?" + query).status_code == 200, query


def test_suggestions_for_a_category_and_what_was_typed(client_user, write, email_category):
    write("Add a mailbox", "Open **Settings**.", task_categories=[email_category])
    write("Storage is full", "Raise the mailbox storage.")
    write("Unrelated", "Nothing.")
    web = login(client_user)
    fragment = web.get(
        reverse("help:suggest"),
        {"category": email_category.pk, "title": "storage", "description": ""},
    ).content.decode()
    assert fragment.index("Add a mailbox") < fragment.index("Storage is full")
    assert "Unrelated" not in fragment
    assert "<strong>Settings</strong>" in fragment
    assert 'formaction="/portal/help/deflect/"' in fragment
    assert "This solved it" in fragment
    empty = web.get(reverse("help:suggest")).content.decode()
    assert "Pick a category" in empty


def test_this_solved_it_counts_a_deflection_and_creates_no_request(
    client_user, company, write, email_category
):
    article = write("Add a mailbox", "Steps.", task_categories=[email_category])
    web = login(client_user)
    response = web.post(
        reverse("help:deflect"),
        {
            "article": article.pk,
            "category": email_category.pk,
            "title": "New mailbox",
            "description": "For Amal",
            "csrfmiddlewaretoken": "x",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    deflection = Deflection.objects.get()
    assert (deflection.company, deflection.user, deflection.task_category) == (
        company,
        client_user,
        email_category,
    )
    assert deflection.query == "New mailbox — For Amal"
    assert not Task.objects.exists()
    assert Event.objects.filter(kind=KnowledgeEvent.REQUEST_DEFLECTED).count() == 1
    home = web.get(response["Location"])
    assert "Glad “Add a mailbox” solved it." in text(home)


def test_go_on_with_my_request_keeps_what_was_typed(client_user, write, email_category):
    article = write("Add a mailbox", "Steps.")
    web = login(client_user)
    page = web.get(
        reverse("help:article", kwargs={"pk": article.pk}),
        {"category": email_category.pk, "title": "New mailbox", "description": "For Amal"},
    ).content.decode()
    match = re.search(r'href="([^"]+)">Go on with my request', page)
    back = html.unescape(match.group(1))
    assert back.startswith(reverse("portal:task_new") + "?")
    form = web.get(back).content.decode()
    assert 'value="New mailbox"' in form
    assert f'<option value="{email_category.pk}" selected>' in form
    assert "For Amal</textarea>" in form


def test_deflecting_a_draft_or_missing_article_is_a_404(client_user, write):
    draft = write("Draft", status=ArticleStatus.DRAFT)
    web = login(client_user)
    for value in (draft.pk, 999999, "abc", ""):
        assert web.post(reverse("help:deflect"), {"article": value}).status_code == 404
    assert not Deflection.objects.exists()
