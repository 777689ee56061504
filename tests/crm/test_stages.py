"""Adding and saving a stage: one service each, shared by the settings pages and the API, and
all or nothing (a refused second half leaves no first half behind)."""

from __future__ import annotations

import pytest

from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.crm import services
from partnerdesk.crm.models import PropertyDefinition, Stage
from partnerdesk.crm.services import pipelines as pipeline_services
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualified(email_pipeline):
    return email_pipeline.stages.get(name="Qualified")


@pytest.fixture
def ticket_pipeline(admin):
    return services.pipeline_create(
        by=admin, object_type="ticket", name="Zz Stage Tickets", stages=[{"name": "Open"}]
    )


@pytest.fixture
def refuse_requirements(monkeypatch):
    """Make the second half of a stage save (its required properties) fail."""

    def refuse(**kwargs):
        raise DomainError(code="refused", message="Refused.", field="required_properties")

    monkeypatch.setattr(pipeline_services, "stage_set_required_properties", refuse)


def updates(pipeline):
    return Event.objects.filter(kind="pipeline.updated", subject_id=pipeline.pk).count()


# ---------------------------------------------------------------- saving a stage


def test_stage_save_renames_and_sets_requirements(admin, qualified):
    website = PropertyDefinition.objects.get(object_type="deal", name="website_domain")
    saved = services.stage_save(
        stage=qualified, by=admin, name="Qualified lead", required_properties=[website]
    )
    assert saved.name == "Qualified lead"
    qualified.refresh_from_db()
    assert qualified.name == "Qualified lead"
    assert list(qualified.required_properties.all()) == [website]


def test_stage_save_is_all_or_nothing(admin, qualified, email_pipeline):
    company_property = PropertyDefinition.objects.get(object_type="company", name="industry")
    before = updates(email_pipeline)
    with pytest.raises(DomainError) as info:
        services.stage_save(
            stage=qualified,
            by=admin,
            name="Renamed",
            kind="lost",
            required_properties=[company_property],
        )
    assert info.value.code == "invalid_property"
    assert (qualified.name, qualified.kind) == ("Qualified", "open")  # the caller's copy too
    qualified.refresh_from_db()
    assert (qualified.name, qualified.kind) == ("Qualified", "open")
    assert not qualified.required_properties.exists()
    assert updates(email_pipeline) == before


def test_the_stage_page_saves_all_or_nothing(admin, qualified, refuse_requirements):
    response = login(admin).post(
        f"/app/settings/stages/{qualified.pk}/", {"name": "Renamed", "kind": "lost"}
    )
    assert response.status_code == 400
    assert "Refused." in response.content.decode()
    qualified.refresh_from_db()
    assert (qualified.name, qualified.kind) == ("Qualified", "open")


def test_the_stage_api_saves_all_or_nothing(admin, api_client_for, qualified, refuse_requirements):
    response = api_client_for(admin).patch(
        f"/api/stages/{qualified.pk}",
        {"name": "Renamed", "required_properties": ["website_domain"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "refused"
    qualified.refresh_from_db()
    assert qualified.name == "Qualified"


def test_the_stage_page_saves_requirements(admin, qualified):
    website = PropertyDefinition.objects.get(object_type="deal", name="website_domain")
    response = login(admin).post(
        f"/app/settings/stages/{qualified.pk}/",
        {"name": "Qualified", "kind": "open", "required_properties": [website.pk]},
    )
    assert response.status_code == 302
    assert list(qualified.required_properties.all()) == [website]


# ---------------------------------------------------------------- adding a stage


def test_stage_add_sets_ticket_settings_in_one_step(admin, ticket_pipeline):
    before = updates(ticket_pipeline)
    stage = services.stage_add(
        pipeline=ticket_pipeline,
        by=admin,
        name="Waiting",
        is_entry=True,
        request_name="  Mailbox request ",
        waiting_on_customer=True,
    )
    stage.refresh_from_db()
    assert (stage.is_entry, stage.request_name, stage.waiting_on_customer) == (
        True,
        "Mailbox request",
        True,
    )
    assert updates(ticket_pipeline) == before


def test_stage_add_refuses_a_closed_stage_waiting_on_the_customer(admin, ticket_pipeline):
    with pytest.raises(DomainError) as info:
        services.stage_add(
            pipeline=ticket_pipeline,
            by=admin,
            name="Done",
            kind="closed",
            waiting_on_customer=True,
        )
    assert info.value.field == "waiting_on_customer"
    assert not ticket_pipeline.stages.filter(name="Done").exists()


def test_deal_stages_have_no_ticket_settings(admin, email_pipeline):
    with pytest.raises(DomainError) as info:
        services.stage_add(pipeline=email_pipeline, by=admin, name="Entry", is_entry=True)
    assert info.value.code == "ticket_stages_only"
    assert not email_pipeline.stages.filter(name="Entry").exists()


def test_the_api_adds_a_stage_all_or_nothing(admin, api_client_for, ticket_pipeline):
    """Adding a stage and its ticket settings used to be two writes: a refused setting left the
    stage behind."""
    api = api_client_for(admin)
    response = api.post(
        f"/api/pipelines/{ticket_pipeline.pk}/stages",
        {"name": "Done", "kind": "closed", "waiting_on_customer": True},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "waiting_on_customer"
    assert not ticket_pipeline.stages.filter(name="Done").exists()
    response = api.post(
        f"/api/pipelines/{ticket_pipeline.pk}/stages",
        {"name": "Intake", "is_entry": True, "request_name": "Intake"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["is_entry"] is True
    assert Stage.objects.get(pk=response.json()["id"]).request_name == "Intake"


def test_the_page_adds_a_stage(admin, email_pipeline):
    response = login(admin).post(
        f"/app/settings/pipelines/{email_pipeline.pk}/",
        {"action": "add_stage", "name": "On hold", "kind": "open"},
    )
    assert response.status_code == 302
    assert email_pipeline.stages.filter(name="On hold").exists()
