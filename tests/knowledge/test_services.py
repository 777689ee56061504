"""The knowledge base's rules: who writes what, slugs, tags, links, translations, publishing,
deleting, categories, deflections, and the events each change records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.knowledge import services
from partnerdesk.knowledge.events import KnowledgeEvent
from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection

pytestmark = pytest.mark.django_db


def kinds(subject) -> list[str]:
    return [e.kind for e in reversed(list(timeline(subject)))]


def error(call, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        call(**kw)
    return exc.value


# ---------------------------------------------------------------- who may write


def test_staff_write_articles_and_clients_cannot(agent, manager, admin, client_user, category):
    for user in (agent, manager, admin, SYSTEM):
        article = services.article_create(by=user, title=f"By {user}", category=category)
        assert article.author == (None if user is SYSTEM else user)
        assert article.status == ArticleStatus.DRAFT
    err = error(services.article_create, by=client_user, title="Mine", category=category)
    assert (err.status, err.code) == (403, "forbidden")
    err = error(services.article_create, by=None, title="Nobody", category=category)
    assert err.status == 403


def test_agents_delete_only_their_own_articles(agent, manager, admin, category):
    theirs = services.article_create(by=admin, title="Admin's", category=category)
    mine = services.article_create(by=agent, title="Agent's", category=category)
    err = error(services.article_delete, by=agent, article=theirs)
    assert err.status == 403
    services.article_delete(by=agent, article=mine)
    services.article_delete(by=manager, article=theirs)
    assert not Article.objects.exists()


def test_categories_are_for_managers_and_admins(agent, manager, admin):
    err = error(services.category_create, by=agent, name="Billing")
    assert err.status == 403
    billing = services.category_create(by=manager, name="Billing")
    assert billing.order == 0
    second = services.category_create(by=admin, name="Getting started", description="First steps")
    assert second.order == 1
    assert error(services.category_create, by=admin, name="billing").code == "duplicate"
    assert error(services.category_update, by=agent, category=billing, name="X").status == 403
    services.category_update(by=manager, category=billing, name="Billing & invoices", order=5)
    billing.refresh_from_db()
    assert (billing.name, billing.order) == ("Billing & invoices", 5)
    assert error(services.category_update, by=admin, category=billing, order=-1).code == (
        "invalid_order"
    )
    assert kinds(billing) == [KnowledgeEvent.CATEGORY_SAVED] * 2


def test_a_category_with_articles_cannot_be_deleted(manager, category, write):
    write("Set up a mailbox")
    err = error(services.category_delete, by=manager, category=category)
    assert (err.status, err.code) == (409, "category_in_use")
    Article.objects.all().delete()
    services.category_delete(by=manager, category=category)
    assert not Category.objects.filter(pk=category.pk).exists()


# ---------------------------------------------------------------- fields


def test_title_is_required_and_bounded(agent, category):
    assert error(services.article_create, by=agent, title="  ", category=category).field == "title"
    err = error(services.article_create, by=agent, title="x" * 201, category=category)
    assert (err.code, err.field) == ("too_long", "title")


def test_language_must_be_one_of_the_sites(agent, category):
    err = error(services.article_create, by=agent, title="Hallo", category=category, language="de")
    assert (err.code, err.field) == ("invalid_language", "language")


def test_slugs_are_made_from_the_title_and_unique_per_language(agent, category):
    first = services.article_create(by=agent, title="Reset a password!", category=category)
    second = services.article_create(by=agent, title="Reset a password", category=category)
    italian = services.article_create(
        by=agent, title="Reset a password", category=category, language="it"
    )
    arabic = services.article_create(
        by=agent, title="إعادة تعيين كلمة المرور", category=category, language="ar"
    )
    assert (first.slug, second.slug, italian.slug) == (
        "reset-a-password",
        "reset-a-password-2",
        "reset-a-password",
    )
    assert arabic.slug == "إعادة-تعيين-كلمة-المرور"
    err = error(
        services.article_create, by=agent, title="Other", category=category, slug="reset-a-password"
    )
    assert (err.code, err.field) == ("slug_taken", "slug")
    err = error(services.article_create, by=agent, title="Other", category=category, slug="a b")
    assert (err.code, err.field) == ("invalid_slug", "slug")


def test_a_slug_stays_when_the_title_changes_and_is_made_again_when_cleared(agent, category):
    article = services.article_create(by=agent, title="Old title", category=category)
    article = services.article_update(by=agent, article=article, title="New title")
    assert article.slug == "old-title"
    article = services.article_update(by=agent, article=article, slug="")
    assert article.slug == "new-title"
    article = services.article_update(by=agent, article=article, slug="new-title")
    assert article.slug == "new-title"
    other = services.article_create(by=agent, title="New title", category=category, language="it")
    moved = services.article_update(by=agent, article=other, language="en")
    assert moved.slug == "new-title-2"


def test_tags_are_normalised(agent, category):
    article = services.article_create(
        by=agent, title="Tags", category=category, tags=" Email,  DNS setup ,email,,"
    )
    assert article.tags == "email,dns setup"
    assert article.tag_list == ["email", "dns setup"]
    article = services.article_update(by=agent, article=article, tags=["MX", "spf"])
    assert article.tags == "mx,spf"
    err = error(services.article_create, by=agent, title="x", category=category, tags="t" * 41)
    assert (err.code, err.field) == ("tag_too_long", "tags")
    many = ",".join(f"t{i}" for i in range(11))
    assert error(
        services.article_create, by=agent, title="x", category=category, tags=many
    ).code == ("too_many_tags")


def test_links_take_ticket_pipelines_entry_stages_and_task_categories(
    agent, category, ticket_pipeline, entry_stage, email_category
):
    article = services.article_create(
        by=agent,
        title="Connect your domain",
        category=category,
        pipelines=[ticket_pipeline],
        request_types=[entry_stage],
        task_categories=[email_category],
    )
    assert list(article.pipelines.all()) == [ticket_pipeline]
    assert list(article.request_types.all()) == [entry_stage]
    assert list(article.task_categories.all()) == [email_category]
    not_entry = Stage.objects.get(pipeline=ticket_pipeline, key="dns-propagating")
    err = error(
        services.article_update, by=agent, article=article, request_types=[entry_stage, not_entry]
    )
    assert (err.code, err.field) == ("not_a_request_type", "request_types")
    assert "DNS Propagating" in err.message
    deal_pipeline = Pipeline.objects.filter(object_type="deal").first()
    deal_entry = deal_pipeline.stages.first()
    err = error(services.article_update, by=agent, article=article, pipelines=[deal_pipeline])
    assert err.code == "not_a_ticket_pipeline"
    err = error(services.article_update, by=agent, article=article, request_types=[deal_entry])
    assert err.code == "not_a_request_type"
    article = services.article_update(by=agent, article=article, task_categories=[])
    assert not article.task_categories.exists()
    change = Event.objects.filter(kind=KnowledgeEvent.ARTICLE_UPDATED).get()
    assert "Email & Domains" in describe(change)


# ---------------------------------------------------------------- publishing


def test_publish_and_unpublish_record_events_and_the_date(agent, category, monkeypatch):
    when = timezone.make_aware(dt.datetime(2025, 5, 1, 9))
    monkeypatch.setattr(clock, "now", lambda: when)
    article = services.article_create(by=agent, title="Draft", body="Text", category=category)
    assert article.published_at is None
    article = services.article_publish(by=agent, article=article)
    assert (article.status, article.published_at) == (ArticleStatus.PUBLISHED, when)
    services.article_publish(by=agent, article=article)  # already published: nothing happens
    article = services.article_unpublish(by=agent, article=article)
    assert (article.status, article.published_at) == (ArticleStatus.DRAFT, None)
    assert kinds(article) == [
        KnowledgeEvent.ARTICLE_CREATED,
        KnowledgeEvent.ARTICLE_PUBLISHED,
        KnowledgeEvent.ARTICLE_UNPUBLISHED,
    ]
    texts = [describe(e) for e in timeline(article)]
    assert "Article “Draft” published" in texts


def test_an_empty_article_cannot_be_published(agent, category):
    err = error(
        services.article_create,
        by=agent,
        title="Empty",
        category=category,
        body="  ",
        status=ArticleStatus.PUBLISHED,
    )
    assert (err.code, err.field) == ("empty_body", "body")
    article = services.article_create(by=agent, title="Empty", category=category)
    assert error(services.article_publish, by=agent, article=article).code == "empty_body"


def test_update_with_a_status_publishes(agent, category):
    article = services.article_create(by=agent, title="T", category=category)
    article = services.article_update(
        by=agent, article=article, body="Now with text", status=ArticleStatus.PUBLISHED
    )
    assert article.is_published
    assert kinds(article)[-2:] == [
        KnowledgeEvent.ARTICLE_UPDATED,
        KnowledgeEvent.ARTICLE_PUBLISHED,
    ]


def test_nothing_changed_records_nothing(agent, category):
    article = services.article_create(by=agent, title="Same", body="B", category=category)
    services.article_update(by=agent, article=article, title="Same", body="B", tags="")
    assert kinds(article) == [KnowledgeEvent.ARTICLE_CREATED]


# ---------------------------------------------------------------- translations


def test_translations_point_at_the_original_one_per_language(agent, category):
    original = services.article_create(by=agent, title="Reset", category=category)
    italian = services.article_create(
        by=agent, title="Reimposta", category=category, language="it", translation_of=original
    )
    # A translation of the translation is one of the original.
    arabic = services.article_create(
        by=agent, title="إعادة", category=category, language="ar", translation_of=italian
    )
    assert arabic.translation_of == original
    assert set(original.translations.all()) == {italian, arabic}
    assert arabic.family_id == italian.family_id == original.pk == original.family_id
    err = error(
        services.article_create,
        by=agent,
        title="Another",
        category=category,
        language="it",
        translation_of=original,
    )
    assert (err.code, err.field) == ("translation_exists", "translation_of")
    err = error(
        services.article_create, by=agent, title="Same", category=category, translation_of=original
    )
    assert err.code == "same_language"
    err = error(services.article_update, by=agent, article=original, translation_of=italian)
    assert err.code == "own_translation"
    other = services.article_create(by=agent, title="Other", category=category)
    err = error(services.article_update, by=agent, article=original, translation_of=other)
    assert err.code == "has_translations"
    err = error(services.article_update, by=agent, article=italian, language="ar")
    assert err.code == "translation_exists"
    err = error(services.article_update, by=agent, article=italian, language="en")
    assert err.code == "same_language"


def test_deleting_an_original_keeps_its_translations_together(agent, admin, category):
    original = services.article_create(by=agent, title="Reset", category=category)
    italian = services.article_create(
        by=agent, title="Reimposta", category=category, language="it", translation_of=original
    )
    arabic = services.article_create(
        by=agent, title="إعادة", category=category, language="ar", translation_of=original
    )
    services.article_delete(by=admin, article=original)
    italian.refresh_from_db()
    arabic.refresh_from_db()
    assert italian.translation_of is None
    assert arabic.translation_of == italian
    event = Event.objects.get(kind=KnowledgeEvent.ARTICLE_DELETED)
    assert describe(event) == "Article “Reset” deleted"


# ---------------------------------------------------------------- counters and deflections


def test_views_and_votes_count_without_lost_updates(agent, category, write):
    article = write("Counted")
    for _ in range(3):
        services.article_viewed(article=article)
    services.article_rate(article=article, helpful=True)
    services.article_rate(article=article, helpful=False)
    services.article_rate(article=article, helpful=True)
    article.refresh_from_db()
    assert (article.views, article.helpful_yes, article.helpful_no) == (3, 2, 1)


def test_a_client_deflects_a_request_for_their_company(client_user, company, write, email_category):
    article = write("Add a mailbox")
    deflection = services.deflect(
        by=client_user,
        article=article,
        task_category=email_category,
        query=services.request_text("New mailbox", "for  our\nnew colleague"),
    )
    assert deflection.company == company
    assert deflection.user == client_user
    assert deflection.task_category == email_category
    assert deflection.query == "New mailbox — for our new colleague"
    event = Event.objects.get(kind=KnowledgeEvent.REQUEST_DEFLECTED)
    assert (event.company_id, event.actor, event.subject_id) == (
        company.pk,
        client_user,
        article.pk,
    )
    assert describe(event) == (
        "A client found the answer in “Add a mailbox” and did not submit their request "
        "(category Email & Domains): “New mailbox — for our new colleague”"
    )


def test_only_clients_deflect_and_only_published_articles(agent, client_user, write):
    article = write("Add a mailbox")
    assert error(services.deflect, by=agent, article=article).status == 403
    draft = write("Draft", status=ArticleStatus.DRAFT)
    assert error(services.deflect, by=client_user, article=draft).status == 404
    long = services.deflect(by=client_user, article=article, query="x" * 900)
    assert len(long.query) == 500
    assert Deflection.objects.count() == 1
