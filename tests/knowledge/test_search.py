"""One search for every list (``selectors.search_articles``): full text on PostgreSQL with the
text-search configuration of each article's language, a portable LIKE search on SQLite; the
filters; a client's language first; and the suggestions for a request being written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from partnerdesk.knowledge import search
from partnerdesk.knowledge.models import Article, ArticleStatus
from partnerdesk.knowledge.selectors import search_articles, suggest_for_request
from partnerdesk.portal.models import TaskCategory

pytestmark = pytest.mark.django_db


def titles(qs) -> list[str]:
    return [a.title for a in qs]


# ---------------------------------------------------------------- matching and ranking


def test_every_word_must_match_and_title_matches_come_first(write):
    write("Mailbox quota", "When a mailbox is full, raise its storage.")
    write("Storage upgrades", "Upgrade the mailbox storage plan from the portal.")
    write("DNS records", "Point the MX record at the mail server.")
    assert titles(search_articles("mailbox storage")) == ["Storage upgrades", "Mailbox quota"] or (
        set(titles(search_articles("mailbox storage"))) == {"Storage upgrades", "Mailbox quota"}
    )
    assert titles(search_articles("mailbox storage"))[0] in ("Storage upgrades", "Mailbox quota")
    assert titles(search_articles("record")) == ["DNS records"]
    assert titles(search_articles("mailbox dns")) == []
    assert titles(search_articles("   ")) == titles(search_articles(""))  # no query: everything
    assert len(titles(search_articles(""))) == 3


def test_a_title_match_outranks_a_body_match(write):
    write("Printing invoices", "Invoices print from the billing page.")
    write("Billing overview", "Everything about billing, including printing.")
    ranked = titles(search_articles("printing"))
    assert ranked[0] == "Printing invoices"


def test_tags_are_searched(write):
    write("Connect a domain", "Steps.", tags="dns, registrar")
    assert titles(search_articles("registrar")) == ["Connect a domain"]


def test_search_text_is_never_sql(write):
    write("Plain", "Body")
    for text in (
        "'; DROP TABLE knowledge_article; --",
        "%",
        "_",
        "\\\\",
        '"unclosed',
        "a & b | !c",
    ):
        list(search_articles(text))  # no error
    assert titles(search_articles("%")) == []


# ---------------------------------------------------------------- filters


def test_published_only_for_clients_and_everything_for_staff(write):
    write("Live", "Text")
    write("Draft", "Text", status=ArticleStatus.DRAFT)
    assert titles(search_articles("text")) == ["Live"]
    assert set(titles(search_articles("text", published_only=False))) == {"Live", "Draft"}
    assert titles(search_articles("", published_only=False, status="draft")) == ["Draft"]


def test_filters_by_category_tag_language_and_links(
    write, manager, category, email_category, ticket_pipeline, entry_stage
):
    from partnerdesk.knowledge import services

    other = services.category_create(by=manager, name="Billing")
    write("Mail A", tags="mail", task_categories=[email_category])
    write("Mail B", tags="mailbox, dns", request_types=[entry_stage], pipelines=[ticket_pipeline])
    write("Invoice", category=other, language="it")
    assert titles(search_articles(category=other)) == ["Invoice"]
    assert titles(search_articles(tag="mail")) == ["Mail A"]  # not "mailbox"
    assert titles(search_articles(tag="DNS")) == ["Mail B"]
    assert titles(search_articles(language="it")) == ["Invoice"]
    assert titles(search_articles(task_category=email_category)) == ["Mail A"]
    assert titles(search_articles(request_type=entry_stage)) == ["Mail B"]
    assert titles(search_articles(pipeline=ticket_pipeline)) == ["Mail B"]


# ---------------------------------------------------------------- the reader's language


def test_the_readers_language_first_and_one_version_per_article(write):
    original = write("Reset your password", "Open the login page and reset the password.")
    write(
        "Reimposta la password",
        "Apri la pagina di accesso e reimposta la password.",
        language="it",
        translation_of=original,
    )
    write("Only in English: invoices", "Download invoices.")
    write("Solo in italiano: fatture", "Scarica le fatture.", language="it")
    italian = titles(search_articles(prefer_language="it"))
    assert italian[:2] == ["Solo in italiano: fatture", "Reimposta la password"]
    assert italian[2:] == ["Only in English: invoices"]  # the English reset is left out
    english = titles(search_articles(prefer_language="en"))
    assert english == [
        "Only in English: invoices",
        "Reset your password",
        "Solo in italiano: fatture",
    ]
    # A search keeps the other version when the reader's own does not match.
    assert titles(search_articles("login", prefer_language="it")) == ["Reset your password"]
    assert titles(search_articles("password", prefer_language="it")) == ["Reimposta la password"]


def test_without_the_readers_language_the_original_stands_for_its_translations(write):
    original = write("What to send for a website", "Logo, pages, photos.")
    write("ما الذي ترسله", "الشعار", language="ar", translation_of=original)
    assert titles(search_articles(prefer_language="it")) == ["What to send for a website"]
    assert titles(search_articles(prefer_language="ar")) == ["ما الذي ترسله"]
    # A translation whose original does not match stays.
    assert titles(search_articles("الشعار", prefer_language="it")) == ["ما الذي ترسله"]


def test_a_draft_translation_does_not_hide_the_published_original(write):
    original = write("Reset your password", "Text")
    write("Reimposta", "Testo", language="it", translation_of=original, status="draft")
    assert titles(search_articles(prefer_language="it")) == ["Reset your password"]


# ---------------------------------------------------------------- suggestions


def test_suggestions_linked_to_the_category_first_then_text_matches(write, email_category):
    other_category = TaskCategory.objects.get(key="website")
    write("Linked, about something else", "Nothing in common.", task_categories=[email_category])
    write("Mailbox is full", "Raise the mailbox storage.")
    write("Website mailbox widget", "Add a contact form.", task_categories=[other_category])
    write("Unrelated", "Nothing at all.")
    found = titles(suggest_for_request(email_category, "My mailbox is full", "en"))
    assert found == ["Linked, about something else", "Mailbox is full", "Website mailbox widget"]
    assert titles(suggest_for_request(None, "mailbox full", "en"))[0] == "Mailbox is full"
    assert titles(suggest_for_request(None, "", "en")) == []
    # Words too common to suggest anything by: nothing matches on them alone.
    assert titles(suggest_for_request(None, "how do I do this please", "en")) == []


def test_suggestions_in_the_clients_language_first_one_version_each_at_most_five(
    write, email_category
):
    original = write("Add a mailbox", "Steps to add one.", task_categories=[email_category])
    write(
        "Aggiungi una casella",
        "Passi per aggiungerne una.",
        language="it",
        translation_of=original,
        task_categories=[email_category],
    )
    write("English only", "Mailbox help.", task_categories=[email_category])
    for n in range(5):
        write(f"More mailbox help {n}", "Mailbox.", task_categories=[email_category])
    italian = titles(suggest_for_request(email_category, "", "it"))
    assert italian[0] == "Aggiungi una casella"
    assert "Add a mailbox" not in italian
    assert len(italian) == 5
    english = titles(suggest_for_request(email_category, "", "en"))
    assert "Aggiungi una casella" not in english and len(english) == 5


def test_suggestions_without_the_readers_language_show_the_original(write, email_category):
    original = write("Add a mailbox", "Steps.", task_categories=[email_category])
    arabic = write(
        "إضافة صندوق بريد", "خطوات", language="ar", translation_of=original,
        task_categories=[email_category],
    )  # fmt: skip
    # the Arabic translation is newer, but an Italian reader gets the original
    Article.objects.filter(pk=arabic.pk).update(
        published_at=original.published_at + dt.timedelta(days=1)
    )
    assert titles(suggest_for_request(email_category, "", "it")) == ["Add a mailbox"]
    assert titles(suggest_for_request(email_category, "", "ar")) == ["إضافة صندوق بريد"]


def test_half_typed_words_suggest_on_postgresql_and_whole_words_everywhere(write):
    write("Configuring the mailbox", "Settings.")
    assert titles(suggest_for_request(None, "configuring mailbox", "en")) == [
        "Configuring the mailbox"
    ]
    if connection.vendor == "postgresql":
        assert titles(suggest_for_request(None, "configu", "en")) == ["Configuring the mailbox"]


def test_terms_drop_stop_words_and_duplicates():
    assert search.terms("How do I add a MAILBOX mailbox?", drop_stop_words=True) == [
        "add",
        "mailbox",
    ]
    assert search.terms("come aggiungo una casella", drop_stop_words=True) == [
        "aggiungo",
        "casella",
    ]
    assert search.terms("كيف أضيف بريد", drop_stop_words=True) == ["أضيف", "بريد"]
    assert len(search.terms(" ".join(f"w{i}" for i in range(50)), drop_stop_words=False)) == 12


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgresql_stems_each_language_with_its_own_configuration(write):
    if connection.vendor != "postgresql":
        pytest.skip("text-search configurations: PostgreSQL")
    write("Configuring forwarding", "How forwarded mail is configured.")
    write("Caselle di posta", "Come configurare le caselle condivise.", language="it")
    write("إعداد البريد", "خطوات إعداد صندوق البريد", language="ar")
    # english: "configuration" and "configuring" share a stem; so do "forward…"
    assert titles(search_articles("configuration forwards")) == ["Configuring forwarding"]
    # italian: "casella" finds "caselle"; the english stemmer would not
    assert titles(search_articles("casella")) == ["Caselle di posta"]
    # arabic (simple: whole words, no stemming)
    assert titles(search_articles("البريد")) == ["إعداد البريد"]
    # websearch syntax: a phrase and an excluded word
    assert titles(search_articles('"forwarded mail"')) == ["Configuring forwarding"]
    assert titles(search_articles("configured -forwarding")) == []


@pytest.mark.postgres
def test_postgresql_searches_through_the_gin_indexes(write, category, agent):
    """Each language's arm of the search is its partial GIN index's expression: with a few
    thousand articles (analysed), a search is a bitmap OR of the three indexes, not a scan."""
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes: PostgreSQL")
    from django.utils import timezone

    from partnerdesk.knowledge.models import Article

    now = timezone.now()
    languages = ["en", "it", "ar"]
    Article.objects.bulk_create(
        Article(
            title=f"Filler {i}",
            slug=f"filler-{i}",
            body=f"Generic words number {i} about nothing in particular.",
            language=languages[i % 3],
            status="published",
            category=category,
            author=agent,
            published_at=now,
        )
        for i in range(3000)
    )
    write("Indexed", "Rare zanzibar body")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_article")
    for qs in (search_articles("zanzibar"), search_articles("zanzibar", published_only=False)):
        plan = qs.explain()
        for index in (
            "knowledge_article_fts_en",
            "knowledge_article_fts_it",
            "knowledge_article_fts_simple",
        ):
            assert index in plan, plan
        assert "Seq Scan on knowledge_article" not in plan, plan
    assert titles(search_articles("zanzibar")) == ["Indexed"]
