"""The knowledge base's demo: loaded once with ``demo_data``, in three languages, linked to the
portal's categories and the ticket request types, with deflections; its pages render with it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.functional import empty

from partnerdesk.accounts.models import User
from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.portal import models as portal_models


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """The portal demo's attachments go to a fresh directory."""
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path / "private"
    portal_models.private_storage._wrapped = empty
    yield
    portal_models.private_storage._wrapped = empty


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Category, Article, Deflection)}


@pytest.mark.django_db
def test_the_demo_loads_the_knowledge_base_once(client):
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    assert "Knowledge base loaded" in out.getvalue()
    first = counts()
    call_command("demo_data", stdout=io.StringIO())
    assert counts() == first
    assert first["Category"] == 4 and first["Deflection"] >= 3
    english = Article.objects.filter(language="en")
    assert english.count() == 12
    assert english.filter(status=ArticleStatus.DRAFT).count() == 1
    assert Article.objects.filter(language="it", translation_of__isnull=False).exists()
    assert Article.objects.filter(language="ar", translation_of__isnull=False).exists()
    assert Article.objects.filter(task_categories__isnull=False).distinct().count() >= 10
    assert Article.objects.filter(request_types__isnull=False).distinct().count() >= 4
    assert Deflection.objects.filter(company__domain="trattoriadaluca.it").exists()

    # Every page renders with it, for staff and for the Italian client.
    client.force_login(User.objects.get(email="agent@demo.partnerdesk.test"))
    article = Article.objects.filter(translations__isnull=False).first()
    for url in (
        reverse("knowledge:article_list"),
        reverse("knowledge:category_list"),
        reverse("knowledge:article_detail", kwargs={"pk": article.pk}),
        reverse("knowledge:article_edit", kwargs={"pk": article.pk}),
    ):
        assert client.get(url).status_code == 200, url
    client.force_login(User.objects.get(email="client@trattoriadaluca.it"))
    home = client.get(reverse("help:home")).content.decode()
    assert "Aggiungere una casella di posta per un nuovo collega" in home
    assert "Add a mailbox for a new colleague" not in home
    for url in (
        reverse("help:article", kwargs={"pk": article.pk}),
        reverse("help:search") + "?q=casella",
        reverse("help:category", kwargs={"pk": Category.objects.first().pk}),
        reverse("help:suggest") + "?title=workflow",
    ):
        assert client.get(url).status_code == 200, url
