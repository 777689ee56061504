"""The knowledge base in a real browser: a staff member writes and publishes an article; a
client starts a request, is shown the matching article, reads it, says it solved it, and lands
back on the portal with no request created and the deflection counted on the article's page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.knowledge import services
from partnerdesk.knowledge.models import Article, Deflection
from partnerdesk.portal.models import Task, TaskCategory

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone


def test_staff_write_and_publish_an_article(page: Page, agent, manager):
    services.category_create(by=manager, name="Email & domains")
    sign_in(page, agent.email)
    open_nav(page).get_by_role("link", name="Knowledge base").click()
    expect(page).to_have_url(re.compile(r"/app/knowledge/$"))
    page.get_by_role("link", name="Write an article").click()
    page.locator("[name=title]").fill("Add a mailbox for a new colleague")
    page.locator("[name=category]").select_option(label="Email & domains")
    page.locator("[name=body]").fill("Open **Licences** and <script>alert(1)</script> add a user.")
    page.locator("[name=tags]").fill("mailbox, licence")
    page.get_by_label("Email & Domains").check()
    # The preview shows the body as clients will see it (htmx, under the CSP).
    page.locator(".preview").get_by_role("button", name="Preview").click()
    expect(page.locator("#preview strong")).to_have_text("Licences")
    expect(page.locator("#preview")).to_contain_text("<script>alert(1)</script>")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#article-status")).to_have_text("Draft")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#article-status")).to_have_text("Published")
    article = Article.objects.get()
    assert article.is_published and article.author == agent
    assert article.tag_list == ["mailbox", "licence"]


def test_a_client_finds_the_answer_instead_of_submitting_a_request(
    new_page, client_user, agent, manager
):
    category = services.category_create(by=manager, name="Email & domains")
    email = TaskCategory.objects.get(key="email-domains")
    article = services.article_create(
        by=agent,
        title="My mailbox is full: free space or upgrade storage",
        body="Empty **Deleted items** and **Junk** first.",
        category=category,
        status="published",
        task_categories=[email],
    )
    services.article_create(
        by=agent,
        title="Website speed",
        body="Unrelated.",
        category=category,
        status="published",
    )
    client = new_page()
    sign_in(client, client_user.email)
    open_nav(client).get_by_role("link", name="New request").click()
    client.locator("[name=category]").select_option(label="Email & Domains")
    client.locator("[name=title]").fill("Mailbox full, cannot receive")
    suggestions = client.locator("#help-suggestions")
    suggestion = suggestions.locator("details.suggestion", has_text="My mailbox is full")
    expect(suggestion).to_be_visible()
    expect(suggestions).not_to_contain_text("Website speed")

    # "Go on with my request" folds the article away and keeps what was typed.
    suggestion.locator("summary").click()
    expect(suggestion.locator(".article-body strong").first).to_have_text("Deleted items")
    suggestion.get_by_role("button", name="Go on with my request").click()
    expect(suggestion.locator(".article-body")).to_be_hidden()
    expect(client.locator("[name=title]")).to_have_value("Mailbox full, cannot receive")

    # Opened again: "This solved it" — no request, back on the portal with a message.
    suggestion.locator("summary").click()
    suggestion.get_by_role("button", name=re.compile("This solved it")).click()
    expect(client).to_have_url(re.compile(r"/portal/$"))
    expect(client.locator(".messages")).to_contain_text("solved it")
    assert not Task.objects.exists()
    deflection = Deflection.objects.get()
    assert (deflection.article, deflection.task_category) == (article, email)
    assert deflection.company_id == client_user.company_id
    assert deflection.query == "Mailbox full, cannot receive"

    # The staff member sees the deflection on the article's page.
    staff = new_page()
    sign_in(staff, agent.email)
    staff.goto(f"/app/knowledge/{article.pk}/")
    expect(staff.locator("#deflections .num")).to_have_text("1")
    expect(staff.locator("#recent-deflections")).to_contain_text("Mailbox full, cannot receive")

    # ... and the manager sees it counted in the self-serve report, for that request type.
    report = new_page()
    sign_in(report, manager.email)
    report.goto("/app/reports/self-serve/?preset=7d")
    row = report.locator("table.report-table tbody tr", has_text="Email & Domains")
    cells = row.locator("td")
    # Kind, pipeline, request type, requests, published articles, deflected, ...
    expect(cells.nth(3)).to_have_text("0")
    expect(cells.nth(4)).to_have_text("1")
    expect(cells.nth(5)).to_have_text("1")


def test_enter_in_the_title_submits_the_request_not_a_suggestion(
    new_page, client_user, agent, manager
):
    category = services.category_create(by=manager, name="Email & domains")
    email = TaskCategory.objects.get(key="email-domains")
    services.article_create(
        by=agent,
        title="Add a mailbox",
        body="Steps.",
        category=category,
        status="published",
        task_categories=[email],
    )
    client = new_page()
    sign_in(client, client_user.email)
    client.goto("/portal/tasks/new/")
    client.locator("[name=category]").select_option(label="Email & Domains")
    client.locator("[name=title]").fill("A new mailbox please")
    expect(client.locator("#help-suggestions details.suggestion")).to_have_count(1)
    client.locator("[name=title]").press("Enter")
    expect(client).to_have_url(re.compile(r"/portal/tasks/\d+/$"))
    assert Task.objects.get().title == "A new mailbox please"
    assert not Deflection.objects.exists()


def test_the_help_center_in_the_clients_language(new_page, client_user, agent, manager):
    category = services.category_create(by=manager, name="Email & domains")
    original = services.article_create(
        by=agent, title="Add a mailbox", body="Steps.", category=category, status="published"
    )
    services.article_create(
        by=agent,
        title="Aggiungere una casella",
        body="Passi.",
        category=category,
        language="it",
        status="published",
        translation_of=original,
    )
    client_user.language = "it"
    client_user.save(update_fields=["language"])
    client = new_page()
    sign_in(client, client_user.email)
    client.goto("/portal/help/")
    expect(client.get_by_role("main")).to_contain_text("Aggiungere una casella")
    expect(client.get_by_role("main")).not_to_contain_text("Add a mailbox")
    client.get_by_role("link", name="Aggiungere una casella").first.click()
    client.locator("#versions").get_by_role("link", name="English").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Add a mailbox")
