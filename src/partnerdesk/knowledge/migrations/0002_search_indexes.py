"""The full-text search indexes, on PostgreSQL only (SQLite searches with LIKE).

One partial GIN index per text-search configuration, on the expression ``search.document``
builds (frozen here: a change there needs a migration that recreates these), each limited to
the articles of its languages — the arms of ``search.matching``'s OR.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Q

INDEXES = [
    ("knowledge_article_fts_en", "english", Q(language="en")),
    ("knowledge_article_fts_it", "italian", Q(language="it")),
    ("knowledge_article_fts_simple", "simple", ~Q(language__in=["en", "it"])),
]


def _document(config):
    return (
        SearchVector("title", config=config, weight="A")
        + SearchVector("tags", config=config, weight="B")
        + SearchVector("body", config=config, weight="C")
    )


def _indexes():
    for name, config, condition in INDEXES:
        yield GinIndex(_document(config), name=name, condition=condition)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    article = apps.get_model("knowledge", "Article")
    for index in _indexes():
        schema_editor.add_index(article, index)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    article = apps.get_model("knowledge", "Article")
    for index in _indexes():
        schema_editor.remove_index(article, index)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
