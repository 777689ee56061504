"""Task categories named in each language (issue 15, item 11): the settings page adds or
changes a category with its base name and a name per other language; clients and staff read
the name in their language."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from partnerdesk.core.errors import DomainError
from partnerdesk.portal import services
from partnerdesk.portal.models import TaskCategory
from tests.conftest import login

pytestmark = pytest.mark.django_db

SETTINGS = "/app/tasks/settings/"


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_a_category_is_added_with_its_names(admin):
    response = login(admin).post(
        SETTINGS,
        {
            "form": "category",
            "cat-name": "Migrations",
            "cat-name_it": "Migrazioni",
            "cat-name_ar": "عمليات النقل",
            "cat-is_active": "on",
        },
    )
    assert response.status_code == 302
    category = TaskCategory.objects.get(name="Migrations")
    assert category.name_translations == {"it": "Migrazioni", "ar": "عمليات النقل"}
    assert category.is_active and not category.is_consultation


def test_a_category_is_changed_from_the_settings_page(admin, category):
    category.name_translations = {"it": "Amministrazione HubSpot"}
    category.save()
    admin.language = "it"
    admin.save()
    web = login(admin)
    html = web.get(SETTINGS, {"category": category.pk}).content.decode()
    assert field_value(html, "cat-name") == "HubSpot Administration"  # the base name
    assert field_value(html, "cat-name_it") == "Amministrazione HubSpot"
    assert field_value(html, "cat-name_ar") == ""
    assert f'name="category_id" value="{category.pk}"' in html
    assert f'href="?category={category.pk}#category-form">Amministrazione HubSpot</a>' in html

    response = web.post(
        SETTINGS,
        {
            "form": "category",
            "category_id": category.pk,
            "cat-name": "HubSpot Administration",
            "cat-name_ar": "إدارة هب سبوت",
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name_translations == {"ar": "إدارة هب سبوت"}
    assert not category.is_active  # unticked
    assert TaskCategory.objects.filter(pk=category.pk, name="HubSpot Administration").exists()


def test_a_too_long_translation_is_a_form_error(admin, category):
    response = login(admin).post(
        SETTINGS,
        {
            "form": "category",
            "category_id": category.pk,
            "cat-name": "HubSpot Administration",
            "cat-name_it": "x" * 101,
        },
    )
    assert response.status_code == 400
    assert 'id="err-cat-name_it"' in response.content.decode()


def test_an_unknown_category_to_change_is_not_found(admin):
    assert login(admin).get(SETTINGS, {"category": 987654}).status_code == 404
    assert login(admin).get(SETTINGS, {"category": "x"}).status_code == 200  # no id: a new one


def test_the_service_checks_the_translations(admin, category):
    with pytest.raises(DomainError) as exc:
        services.category_save(
            by=admin, category=category, name=category.name, translations={"de": "Verwaltung"}
        )
    assert exc.value.field == "name_translations.de"
    saved = services.category_save(by=admin, category=category, name="HubSpot Administration")
    assert saved.name_translations == TaskCategory.objects.get(pk=category.pk).name_translations


def test_clients_choose_a_category_in_their_language(client_user, category):
    category.name_translations = {"it": "Amministrazione HubSpot"}
    category.save()
    client_user.language = "it"
    client_user.save()
    html = login(client_user).get(reverse("portal:task_new")).content.decode()
    assert ">Amministrazione HubSpot</option>" in html
