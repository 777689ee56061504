"""Names the agency defines, in each language (issue 15, item 11): ``obj.name`` reads in the
reader's language, falls back to the base name, and everything that stores, looks up or edits
the name keeps using the base name (core.translated)."""

from __future__ import annotations

import importlib
import json
import pickle

import pytest
from django import forms
from django.apps import apps
from django.core import serializers
from django.db import models
from django.forms.models import model_to_dict
from django.template import Context, Template
from django.test.utils import isolate_apps
from django.utils import translation
from django.utils.text import slugify

from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.core.models import Event
from partnerdesk.core.translated import (
    TranslatedNameField,
    TranslatedNameFormMixin,
    TranslatedStr,
    all_names,
    base_name,
    base_names,
    catalogue_translations,
    clean_translations,
    pick_name,
    set_translations,
    translation_languages,
)
from partnerdesk.crm import services
from partnerdesk.crm.defaults import DEAL_PIPELINES, PRODUCTS
from partnerdesk.crm.models import Pipeline, Product, Stage
from partnerdesk.portal.defaults import CATEGORIES
from partnerdesk.portal.models import TaskCategory
from partnerdesk.tickets.defaults import PIPELINES as TICKET_PIPELINES

pytestmark = pytest.mark.django_db

ITALIAN = {"it": "Qualificato (it)", "ar": "مؤهل"}


@pytest.fixture
def stage(email_pipeline):
    stage = email_pipeline.stages.get(key="qualified")
    stage.name_translations = ITALIAN
    stage.save()
    return stage


def stored(stage) -> str:
    return Stage.objects.filter(pk=stage.pk).values_list("name", flat=True).get()


# ---------------------------------------------------------------- reading and writing


def test_the_name_reads_in_the_active_language_and_falls_back_to_the_base(stage):
    assert stage.name == "Qualified"  # no language active: the default one
    with translation.override("it"):
        assert stage.name == "Qualificato (it)"
        assert str(stage) == "Qualificato (it)"
    with translation.override("ar"):
        assert stage.name == "مؤهل"
    with translation.override("en"):
        assert stage.name == "Qualified"
    with translation.override("it-ch"):  # a regional variant reads its language's name
        assert stage.name == "Qualificato (it)"
    stage.name_translations = {"it": "Qualificato (it)"}
    with translation.override("ar"):
        assert stage.name == "Qualified"  # no Arabic name: the base name
    with translation.override(None):
        assert stage.name == "Qualified"


def test_the_default_language_never_reads_translations(stage, django_assert_num_queries):
    deferred = Stage.objects.defer("name_translations").get(pk=stage.pk)
    with translation.override("en"), django_assert_num_queries(0):
        assert deferred.name == "Qualified"
    with translation.override("it"), django_assert_num_queries(1):
        assert deferred.name == "Qualificato (it)"  # loads the deferred translations once


def test_writing_the_name_sets_the_base_name(stage):
    with translation.override("it"):
        stage.name = "Qualified lead"
        assert stage.name == "Qualificato (it)"  # still read in Italian
        assert base_name(stage) == "Qualified lead"
        stage.save()
    assert stored(stage) == "Qualified lead"


def test_a_translated_name_read_and_written_back_keeps_the_base(stage, email_pipeline):
    with translation.override("it"):
        read = stage.name
        assert isinstance(read, TranslatedStr) and read.base == "Qualified"
        stage.name = read
        other = Stage(pipeline=email_pipeline, name=read)
    assert stage.__dict__["name"] == "Qualified"
    assert base_name(other) == "Qualified"


def test_saving_in_another_language_stores_the_base_name(stage):
    with translation.override("it"):
        stage.order = 7
        stage.save()
        stage.save(update_fields=["name"])
    assert stored(stage) == "Qualified"


def test_refresh_from_db_only_and_defer_in_another_language(stage):
    with translation.override("it"):
        stage.refresh_from_db()
        assert base_name(stage) == "Qualified"
        assert stage.name == "Qualificato (it)"
        stage.refresh_from_db(fields=["name"])
        assert base_name(stage) == "Qualified"
        only = Stage.objects.only("pk", "name").get(pk=stage.pk)
        assert only.name == "Qualificato (it)"
        assert base_name(only) == "Qualified"
        deferred = Stage.objects.defer("name").get(pk=stage.pk)
        assert deferred.name == "Qualificato (it)"  # loads the deferred name
        assert base_name(deferred) == "Qualified"
        deferred.save()
    assert stored(stage) == "Qualified"


def test_validation_and_bulk_update_in_another_language_keep_the_base(stage):
    with translation.override("it"):
        stage.full_clean()  # clean_fields writes each cleaned value back
        assert base_name(stage) == "Qualified"
        stage.validate_constraints()  # (pipeline, name) is unique: looked up by the base
        Stage.objects.bulk_update([stage], ["name"])
    assert stored(stage) == "Qualified"


def test_queries_use_the_base_name(stage, email_pipeline):
    with translation.override("it"):
        assert email_pipeline.stages.filter(name="Qualificato (it)").count() == 0
        assert email_pipeline.stages.get(name="Qualified") == stage
        assert email_pipeline.stages.get(name=stage.name) == stage  # a read name looks up its base
        assert email_pipeline.stages.filter(pk=stage.pk).values("name")[0]["name"] == "Qualified"
        names = list(email_pipeline.stages.order_by("name").values_list("name", flat=True))
        assert names == sorted(names)
        assert "Qualified" in names


def test_pick_name_reads_values_in_the_active_language(stage):
    row = Stage.objects.filter(pk=stage.pk).values("name", "name_translations").get()
    assert pick_name(row["name"], row["name_translations"]) == "Qualified"
    with translation.override("it"):
        assert pick_name(row["name"], row["name_translations"]) == "Qualificato (it)"
        assert pick_name(row["name"], {}) == "Qualified"
        assert pick_name(row["name"], row["name_translations"], "ar") == "مؤهل"


def test_base_names_block_and_all_names(stage):
    with translation.override("it"):
        with base_names():
            assert stage.name == "Qualified"
            assert str(stage) == "Qualified"
        assert stage.name == "Qualificato (it)"
    assert all_names(stage) == ["Qualified", "Qualificato (it)", "مؤهل"]


def test_templates_show_the_readers_language(stage):
    template = Template("{{ stage.name }} · {{ stage }}")
    with translation.override("ar"):
        assert template.render(Context({"stage": stage})) == "مؤهل · مؤهل"
    assert template.render(Context({"stage": stage})) == "Qualified · Qualified"


def test_model_to_dict_and_serializers_use_the_base_name(stage):
    with translation.override("it"):
        assert model_to_dict(stage)["name"] == "Qualified"
        data = json.loads(serializers.serialize("json", [stage]))[0]["fields"]
        assert data["name"] == "Qualified"
        assert data["name_translations"] == ITALIAN
        (loaded,) = serializers.deserialize("json", serializers.serialize("json", [stage]))
        loaded.save()  # what loaddata does
    assert stored(stage) == "Qualified"


def test_pickling_keeps_both_names(stage):
    with translation.override("it"):
        copy = pickle.loads(pickle.dumps(stage))  # noqa: S301 (our own bytes)
        assert copy.name == "Qualificato (it)"
        assert base_name(copy) == "Qualified"
        text = pickle.loads(pickle.dumps(stage.name))  # noqa: S301
        assert text == "Qualificato (it)" and text.base == "Qualified"


def test_every_translated_model_has_the_field():
    for model in (Pipeline, Stage, Product, TaskCategory):
        field = model._meta.get_field("name")
        assert isinstance(field, TranslatedNameField)
        assert field.deconstruct()[1] == "django.db.models.CharField"  # plain in migrations
        assert model._meta.get_field("name_translations").default is dict
        assert field.check() == []


@isolate_apps("partnerdesk.core")
def test_a_model_without_translations_fails_the_system_check():
    class Lonely(models.Model):
        name = TranslatedNameField(max_length=10)

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return self.name

    assert [e.id for e in Lonely._meta.get_field("name").check()] == ["partnerdesk.E101"]


# ---------------------------------------------------------------- translations as input


def test_translation_languages_are_the_other_languages():
    assert translation_languages() == ["it", "ar"]


def test_clean_translations_keeps_known_languages_stripped_and_drops_blanks():
    assert clean_translations({"ar": " مؤهل ", "it": "  "}, Stage) == {"ar": "مؤهل"}
    assert clean_translations({}, Stage) == {}


@pytest.mark.parametrize(
    ("value", "field", "code"),
    [
        ({"fr": "Qualifié"}, "name_translations.fr", "unknown_language"),
        ({"en": "Qualified"}, "name_translations.en", "unknown_language"),
        ({"it": 3}, "name_translations.it", "invalid"),
        ({"it": "x" * 101}, "name_translations.it", "too_long"),
        (["it", "Qualificato"], "name_translations", "invalid_translations"),
    ],
)
def test_clean_translations_refuses_bad_input(value, field, code):
    with pytest.raises(DomainError) as exc:
        clean_translations(value, Stage)
    assert exc.value.field == field
    assert exc.value.all_errors()[0].code == code


def test_a_product_name_translation_may_be_as_long_as_its_name():
    assert clean_translations({"it": "x" * 150}, Product) == {"it": "x" * 150}
    with pytest.raises(DomainError):
        clean_translations({"it": "x" * 151}, Product)


def test_set_translations_lists_one_change_per_language(stage):
    changes = set_translations(stage, {"it": "Qualificato (it)", "ar": "مؤهل جديد"})
    assert changes == [
        {
            "field": "name_translations.ar",
            "label": "Name in Arabic",
            "old": "مؤهل",
            "new": "مؤهل جديد",
        }
    ]
    assert set_translations(stage, {"it": "Qualificato (it)", "ar": "مؤهل جديد"}) == []
    assert [c["field"] for c in set_translations(stage, {})] == [
        "name_translations.it",
        "name_translations.ar",
    ]
    assert stage.name_translations == {}


def test_services_save_translations_and_list_them_on_the_timeline(admin, stage):
    with translation.override("it"):
        saved = services.stage_save(
            stage=stage, by=admin, name="Qualified", translations={"it": "Qualificata"}
        )
    assert saved.name_translations == {"it": "Qualificata"}
    assert stored(stage) == "Qualified"
    event = Event.objects.filter(kind="pipeline.updated", subject_id=stage.pipeline_id).latest("pk")
    # The unchanged base name is no change, though the admin read it in Italian.
    assert [c["field"] for c in event.data["changes"]] == [
        "name_translations.it",
        "name_translations.ar",
    ]
    assert event.data["stage"] == "Qualified"


def test_a_service_refuses_bad_translations(admin, stage):
    with pytest.raises(DomainError) as exc:
        services.stage_save(stage=stage, by=admin, translations={"de": "Qualifiziert"})
    assert exc.value.field == "name_translations.de"
    stage.refresh_from_db()
    assert stage.name_translations == ITALIAN


# ---------------------------------------------------------------- forms


class NameForm(TranslatedNameFormMixin, DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.CharField(required=False)


def test_a_form_gets_a_field_per_other_language_after_the_name():
    with translation.override("it"):
        form = NameForm(initial={"name": "Qualified"}, translations=ITALIAN)
        assert list(form.fields) == ["name", "name_it", "name_ar", "kind"]
        assert form.fields["name_it"].label == translation.gettext("Name in %(language)s") % {
            "language": translation.get_language_info("it")["name_translated"]
        }
    form = NameForm(initial={"name": "Qualified"}, translations=ITALIAN)
    assert form.fields["name_ar"].label == "Name in Arabic"
    assert form.fields["name_it"].max_length == 100
    assert not form.fields["name_it"].required
    html = str(form["name_ar"])
    assert 'lang="ar"' in html and 'dir="rtl"' in html and 'value="مؤهل"' in html


def test_a_form_reads_the_typed_translations():
    form = NameForm({"name": "Qualified", "name_it": " Qualificato ", "name_ar": ""})
    assert form.is_valid()
    assert form.cleaned_translations() == {"it": "Qualificato"}
    too_long = NameForm({"name": "Qualified", "name_it": "x" * 101})
    assert not too_long.is_valid() and "name_it" in too_long.errors


def test_a_form_shows_a_translation_error_beside_its_language():
    form = NameForm({"name": "Qualified", "name_ar": "مؤهل"})
    assert form.is_valid()
    try:
        clean_translations({"ar": 1, "it": "x" * 101}, Stage)
    except DomainError as exc:
        form.add_domain_error(exc)
    assert set(form.errors) == {"name_it", "name_ar"}
    other = NameForm({"name": "Qualified"})
    assert other.is_valid()
    other.add_domain_error(DomainError(code="duplicate", message="Taken.", field="name"))
    assert other.errors == {"name": ["Taken."]}


# ---------------------------------------------------------------- defaults


def test_catalogue_translations():
    """A default's English name in each language the catalogue has it in ("New" is an
    entry of both catalogues already)."""
    found = {}
    for code in ("it", "ar"):
        with translation.override(code):
            found[code] = translation.gettext("New")
    assert "New" not in found.values()
    assert catalogue_translations("New") == found
    assert catalogue_translations("A name no catalogue has") == {}


def test_defaults_are_installed_with_the_catalogues_names(email_pipeline):
    new = email_pipeline.stages.get(key="new")
    assert new.name_translations == catalogue_translations("New")
    assert new.name_translations["it"] and new.name_translations["ar"]
    with translation.override("it"):
        assert new.name == catalogue_translations("New")["it"]
    other = TaskCategory.objects.get(key="other")
    assert other.name_translations == catalogue_translations("Other") != {}


def test_the_data_migration_fills_defaults_that_still_have_their_name(admin, email_pipeline):
    crm_fill = importlib.import_module("partnerdesk.crm.migrations.0007_default_name_translations")
    portal_fill = importlib.import_module(
        "partnerdesk.portal.migrations.0006_default_name_translations"
    )
    new = email_pipeline.stages.get(key="new")
    renamed = Stage.objects.filter(key="new", pipeline__object_type="ticket").first()
    kept = Stage.objects.get(
        pipeline__key="website-creation", pipeline__object_type="deal", key="new"
    )
    Stage.objects.filter(key="new").update(name_translations={})
    Stage.objects.filter(pk=renamed.pk).update(name="New one")
    Stage.objects.filter(pk=kept.pk).update(name_translations={"it": "Nuovissimo"})
    TaskCategory.objects.filter(key="other").update(name_translations={})
    Product.objects.filter(key="email-5gb").update(name_translations={})

    crm_fill.forwards(apps, None)
    portal_fill.forwards(apps, None)

    new.refresh_from_db()
    assert new.name_translations == catalogue_translations("New")
    assert Stage.objects.get(pk=renamed.pk).name_translations == {}  # renamed by an admin
    assert Stage.objects.get(pk=kept.pk).name_translations == {"it": "Nuovissimo"}
    assert TaskCategory.objects.get(key="other").name_translations == catalogue_translations(
        "Other"
    )
    assert set(crm_fill.PRODUCT_NAMES) == set(
        Product.objects.exclude(key="").values_list("key", flat=True)
    )


def test_default_keys_are_the_slugs_of_their_names():
    """The data migrations recognise a default that kept its name by its key: the slug of
    the English name it shipped with."""
    for key, (name, *_rest) in {**DEAL_PIPELINES, **TICKET_PIPELINES}.items():
        assert slugify(name) == key
    for key, name in CATEGORIES:
        assert slugify(name) == key
    crm_fill = importlib.import_module("partnerdesk.crm.migrations.0007_default_name_translations")
    assert {sku: name for sku, name, *_rest in PRODUCTS} == crm_fill.PRODUCT_NAMES
