"""Pipelines, stages and products named in each language on the settings pages and in the API
(issue 15, item 11): the forms show the base name with a field per other language, the API
shows the base name and name_translations; bad input is a form error or a 422 problem."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from partnerdesk.core.models import Event
from partnerdesk.crm import importing, services
from partnerdesk.crm.models import Deal, ImportStatus, Pipeline, Product, Stage
from partnerdesk.crm.tasks import run_import
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualified(email_pipeline):
    stage = email_pipeline.stages.get(key="qualified")
    stage.name_translations = {"it": "Qualificato (it)", "ar": "مؤهل"}
    stage.save()
    return stage


@pytest.fixture
def italian_admin(admin):
    admin.language = "it"
    admin.save()
    return admin


def field_value(html: str, name: str) -> str | None:
    """The value of the input ``name`` in ``html`` (None when there is no such input)."""
    start = html.find(f'name="{name}"')
    if start < 0:
        return None
    tag = html[html.rfind("<input", 0, start) : html.find(">", start)]
    marker = 'value="'
    return tag[tag.index(marker) + len(marker) : tag.index('"', tag.index(marker) + len(marker))]


def test_an_event_stores_base_names_whoever_made_the_change(admin, deal, qualified):
    """An Italian user's move is recorded with the stage's base name, so the record reads the
    same for everybody (it stored "Qualificato (it)" when the reader's name was written)."""
    with translation.override("it"):
        assert qualified.name == "Qualificato (it)"
        services.deal_move(deal=deal, stage=qualified, by=admin)
    moved = Event.objects.filter(kind="deal.stage_changed", subject_id=deal.pk).latest("pk")
    assert moved.data["to_stage"] == "Qualified"
    assert "Qualificato" not in json.dumps(moved.data)


# ---------------------------------------------------------------- stage settings page


def test_the_stage_form_shows_the_base_name_and_each_languages(italian_admin, qualified):
    response = login(italian_admin).get(reverse("crm:stage_edit", args=[qualified.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert field_value(html, "name") == "Qualified"  # the base, though the admin reads Italian
    assert field_value(html, "name_it") == "Qualificato (it)"
    assert field_value(html, "name_ar") == "مؤهل"
    assert re.search(r"<h1>.*Qualificato \(it\).*</h1>", html)  # the page reads in Italian
    with translation.override("it"):
        assert (
            translation.gettext("Name in %(language)s")
            % {"language": translation.get_language_info("ar")["name_translated"]}
            in html
        )


def test_saving_a_stage_saves_its_names(italian_admin, qualified):
    response = login(italian_admin).post(
        reverse("crm:stage_edit", args=[qualified.pk]),
        {"name": "Qualified", "kind": "open", "name_it": "Qualificata", "name_ar": ""},
    )
    assert response.status_code == 302
    qualified.refresh_from_db()
    assert qualified.name_translations == {"it": "Qualificata"}
    assert Stage.objects.filter(pk=qualified.pk, name="Qualified").exists()
    (event,) = [e for e in Event.objects.filter(kind="pipeline.updated") if "changes" in e.data]
    changes = event.data["changes"]
    assert [c["field"] for c in changes] == ["name_translations.it", "name_translations.ar"]


def test_a_too_long_translation_is_a_form_error(admin, qualified):
    response = login(admin).post(
        reverse("crm:stage_edit", args=[qualified.pk]),
        {"name": "Qualified", "kind": "open", "name_it": "x" * 101},
    )
    assert response.status_code == 400
    assert 'id="err-name_it"' in response.content.decode()
    qualified.refresh_from_db()
    assert qualified.name_translations["it"] == "Qualificato (it)"


def test_a_stage_is_added_with_its_names(admin, email_pipeline):
    response = login(admin).post(
        reverse("crm:pipeline_detail", args=[email_pipeline.pk]),
        {"action": "add_stage", "name": "Onboarding", "kind": "open", "name_it": "Avvio"},
    )
    assert response.status_code == 302
    assert email_pipeline.stages.get(name="Onboarding").name_translations == {"it": "Avvio"}


# ---------------------------------------------------------------- pipeline settings pages


def test_a_pipeline_is_created_and_renamed_with_its_names(italian_admin):
    web = login(italian_admin)
    response = web.post(
        reverse("crm:pipeline_list"),
        {
            "object_type": "deal",
            "name": "Consulting",
            "name_it": "Consulenza",
            "name_ar": "استشارات",
            "stages": "Lead\nSigned | won",
        },
    )
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(object_type="deal", name="Consulting")
    assert pipeline.name_translations == {"it": "Consulenza", "ar": "استشارات"}

    url = reverse("crm:pipeline_detail", args=[pipeline.pk])
    html = web.get(url).content.decode()
    assert field_value(html, "pipeline-name") == "Consulting"
    assert field_value(html, "pipeline-name_it") == "Consulenza"
    assert re.search(r"<h1>.*Consulenza.*</h1>", html)
    response = web.post(
        url,
        {
            "action": "rename",
            "pipeline-name": "Consulting services",
            "pipeline-name_it": "Servizi di consulenza",
            "pipeline-archived": "on",
        },
    )
    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert Pipeline.objects.filter(pk=pipeline.pk, name="Consulting services").exists()
    assert pipeline.name_translations == {"it": "Servizi di consulenza"}
    assert pipeline.archived and pipeline.team is None


def test_a_pipeline_rename_error_shows_beside_its_field(admin, email_pipeline):
    response = login(admin).post(
        reverse("crm:pipeline_detail", args=[email_pipeline.pk]),
        {"action": "rename", "pipeline-name": "Website Creation", "pipeline-name_ar": "x" * 101},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err-pipeline-name_ar"' in html
    response = login(admin).post(
        reverse("crm:pipeline_detail", args=[email_pipeline.pk]),
        {"action": "rename", "pipeline-name": "Website Creation"},
    )
    assert response.status_code == 400
    assert 'id="err-pipeline-name"' in response.content.decode()  # the name is taken
    assert Pipeline.objects.filter(pk=email_pipeline.pk, name="Email Subscription").exists()


# ---------------------------------------------------------------- product settings page


def test_the_product_form_shows_the_base_name_and_saves_the_names(italian_admin, product):
    product.name_translations = {"it": "Email aziendale 10 GB"}
    product.save()
    web = login(italian_admin)
    url = reverse("crm:product_edit", args=[product.pk])
    html = web.get(url).content.decode()
    assert field_value(html, "name") == "Business Email 10 GB"
    assert field_value(html, "name_it") == "Email aziendale 10 GB"
    data = {
        "name": "Business Email 10 GB",
        "sku": product.sku,
        "category": product.category,
        "unit_price": "3.50",
        "currency": "USD",
        "billing": product.billing,
        "mailbox_gb": "10",
        "active": "on",
        "name_ar": "بريد الأعمال 10 جيجابايت",
    }
    assert web.post(url, data).status_code == 302
    product.refresh_from_db()
    assert product.name_translations == {"ar": "بريد الأعمال 10 جيجابايت"}
    assert Product.objects.filter(pk=product.pk, name="Business Email 10 GB").exists()
    response = web.post(url, {**data, "name_it": "x" * 151})
    assert response.status_code == 400
    assert 'id="err-name_it"' in response.content.decode()


def test_the_product_list_shows_the_readers_language(agent, product):
    product.name_translations = {"it": "Email aziendale 10 GB"}
    product.save()
    agent.language = "it"
    agent.save()
    html = login(agent).get(reverse("crm:product_list")).content.decode()
    assert "Email aziendale 10 GB" in html


# ---------------------------------------------------------------- API


class Api:
    def __init__(self, client):
        self.client = client

    def __call__(self, method, path, body=None, **headers):
        kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
        response = getattr(self.client, method)(f"/api{path}", headers=headers, **kwargs)
        assert response.status_code < 500, response.content[:500]
        return response.status_code, response.json()


@pytest.fixture
def api(admin, api_client_for):
    return Api(api_client_for(admin))


def test_the_api_shows_the_base_name_and_the_translations(api, qualified):
    status, data = api("get", f"/pipelines/{qualified.pipeline_id}", HTTP_ACCEPT_LANGUAGE="it")
    assert status == 200
    assert data["name"] == "Email Subscription"
    assert (
        data["name_translations"]
        == Pipeline.objects.get(pk=qualified.pipeline_id).name_translations
    )
    stage = next(s for s in data["stages"] if s["id"] == qualified.pk)
    assert stage["name"] == "Qualified"
    assert stage["name_translations"] == {"it": "Qualificato (it)", "ar": "مؤهل"}


def test_a_deals_stage_ref_carries_the_translations(api, deal, qualified, admin):
    services.deal_move(deal=deal, stage=qualified, by=admin)
    status, data = api("get", f"/deals/{deal.pk}", HTTP_ACCEPT_LANGUAGE="it")
    assert status == 200, data
    assert data["stage"]["name"] == "Qualified"
    assert data["stage"]["name_translations"]["it"] == "Qualificato (it)"
    assert data["pipeline"]["name"] == "Email Subscription"
    product = data["line_items"][0]["product"]
    assert product["name"] == "Business Email 10 GB" and "name_translations" in product


def test_the_api_writes_the_translations(api, email_pipeline, qualified):
    status, data = api(
        "post",
        "/pipelines",
        {
            "object_type": "deal",
            "name": "Consulting",
            "name_translations": {"it": "Consulenza"},
            "stages": [{"name": "Lead", "name_translations": {"ar": "عميل محتمل"}}],
        },
    )
    assert status == 201, data
    assert data["name_translations"] == {"it": "Consulenza"}
    assert data["stages"][0]["name_translations"] == {"ar": "عميل محتمل"}

    status, data = api(
        "patch", f"/stages/{qualified.pk}", {"name_translations": {"it": " Qualificata "}}
    )
    assert status == 200, data
    assert data["name_translations"] == {"it": "Qualificata"}  # replaces: no Arabic name left
    status, data = api("patch", f"/stages/{qualified.pk}", {"kind": "open"})
    assert data["name_translations"] == {"it": "Qualificata"}  # left out: left as it is

    pipeline_id = Pipeline.objects.get(name="Consulting").pk
    status, data = api("patch", f"/pipelines/{pipeline_id}", {"name_translations": {}})
    assert status == 200 and data["name_translations"] == {}

    status, data = api(
        "post",
        f"/pipelines/{pipeline_id}/stages",
        {"name": "Won", "kind": "won", "name_translations": {"it": "Vinto"}},
    )
    assert status == 201 and data["name_translations"] == {"it": "Vinto"}


def test_the_api_writes_product_translations(api, product):
    status, data = api(
        "patch", f"/products/{product.pk}", {"name_translations": {"it": "Email 10 GB"}}
    )
    assert status == 200, data
    assert data["name"] == "Business Email 10 GB"
    assert data["name_translations"] == {"it": "Email 10 GB"}
    status, data = api(
        "post",
        "/products",
        {
            "name": "Mailbox 100 GB",
            "name_translations": {"ar": "صندوق بريد 100 جيجابايت"},
            "sku": "email-100gb",
            "category": "email",
            "unit_price": "9.99",
            "billing": "monthly",
        },
    )
    assert status == 201, data
    assert Product.objects.get(sku="email-100gb").name_translations == {
        "ar": "صندوق بريد 100 جيجابايت"
    }
    status, data = api("get", f"/products/{product.pk}", HTTP_ACCEPT_LANGUAGE="it")
    assert data["name"] == "Business Email 10 GB"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/stages/{stage}",
            {"name_translations": {"fr": "Qualifié"}},
            "name_translations.fr.[key]",
        ),
        (
            "/stages/{stage}",
            {"name_translations": {"en": "Qualified"}},
            "name_translations.en.[key]",
        ),
        ("/stages/{stage}", {"name_translations": {"it": 3}}, "name_translations.it"),
        ("/stages/{stage}", {"name_translations": {"it": "x" * 101}}, "name_translations.it"),
        ("/stages/{stage}", {"name_translations": ["it"]}, "name_translations"),
        ("/pipelines/{pipeline}", {"name_translations": {"ar": "x" * 101}}, "name_translations.ar"),
        ("/products/{product}", {"name_translations": {"it": "x" * 151}}, "name_translations.it"),
        ("/products/{product}", {"name_translations": "Email"}, "name_translations"),
    ],
)
def test_bad_translations_are_a_422_problem(api, qualified, product, path, body, field):
    path = path.format(stage=qualified.pk, pipeline=qualified.pipeline_id, product=product.pk)
    status, data = api("patch", path, body)
    assert status == 422, data
    assert data["code"] == "invalid_input"
    assert data["field"] == field
    qualified.refresh_from_db()
    assert qualified.name_translations == {"it": "Qualificato (it)", "ar": "مؤهل"}


def test_a_product_translation_as_long_as_its_name_is_taken(api, product):
    status, data = api("patch", f"/products/{product.pk}", {"name_translations": {"it": "x" * 150}})
    assert status == 200, data


# ---------------------------------------------------------------- HubSpot imports


@pytest.fixture
def run_imports(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.parametrize(
    ("pipeline", "stage"), [("Website Creation", "New"), ("Creazione sito", "Nuovo")]
)
def test_an_import_matches_names_in_any_language(
    agent, run_imports, django_capture_on_commit_callbacks, pipeline, stage
):
    """A HubSpot export names pipelines and stages as they are stored; an import started by an
    Italian-speaking agent (it runs in their language) still finds them, and the Italian
    names too."""
    website = Pipeline.objects.get(object_type="deal", key="website-creation")
    website.name_translations = {"it": "Creazione sito"}
    website.save()
    agent.language = "it"
    agent.save()
    content = f"Record ID,Deal Name,Pipeline,Deal Stage\n8001,Site,{pipeline},{stage}\n"
    with translation.override("it"):
        job = importing.import_create(
            by=agent,
            uploaded_file=SimpleUploadedFile("deals.csv", content.encode(), "text/csv"),
            object_type="",
        )
    assert job.status == ImportStatus.READY, job.errors
    with django_capture_on_commit_callbacks(execute=True):
        importing.import_confirm(job=job, by=agent, enqueue=run_import.enqueue)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    deal = Deal.objects.get(hubspot_record_id="8001")
    assert (deal.pipeline, deal.stage.key) == (website, "new")
