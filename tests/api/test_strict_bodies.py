"""Request bodies are taken as written (issue 9, point 11): 0/1 are not booleans and a number
is not a date; every decimal string the schema allows is accepted."""

from __future__ import annotations

import datetime as dt
import json
import typing

import pytest
from pydantic import ValidationError

from partnerdesk.api.api import api  # noqa: F401  (imports every app's API schemas)
from partnerdesk.core.api import Strict

pytestmark = pytest.mark.django_db


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _fields_of(kind):
    for model in _subclasses(Strict):
        for name, field in model.model_fields.items():
            args = typing.get_args(field.annotation) or (field.annotation,)
            if kind in args:
                yield pytest.param(model, name, id=f"{model.__module__}.{model.__name__}.{name}")


@pytest.mark.parametrize(("model", "name"), list(_fields_of(bool)))
@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_no_body_takes_a_number_or_text_for_a_boolean(model, name, value):
    with pytest.raises(ValidationError) as exc:
        model.model_validate({name: value})
    assert any(e["loc"] == (name,) for e in exc.value.errors())


@pytest.mark.parametrize(("model", "name"), [*_fields_of(dt.date), *_fields_of(dt.datetime)])
def test_no_body_takes_a_number_for_a_date(model, name):
    with pytest.raises(ValidationError) as exc:
        model.model_validate({name: 1767225600})
    assert any(e["loc"] == (name,) for e in exc.value.errors())


def test_the_walk_finds_fields():
    assert len(list(_fields_of(bool))) >= 5
    assert len(list(_fields_of(dt.date))) + len(list(_fields_of(dt.datetime))) >= 2


def test_through_the_api(admin, api_client_for, deal):
    client = api_client_for(admin)

    def patch(path, body):
        return client.patch(path, json.dumps(body), content_type="application/json")

    response = patch(f"/api/pipelines/{deal.pipeline_id}", {"archived": 1})
    assert response.status_code == 422
    assert response.json()["field"] == "archived"
    response = patch(f"/api/deals/{deal.pk}", {"close_date": 20261231})
    assert response.status_code == 422
    assert response.json()["field"] == "close_date"
    # Decimal strings the schema allows are accepted, as written.
    for amount in ("1200", "1200.5", "0.99", "+3", "007.10"):
        response = patch(f"/api/deals/{deal.pk}", {"amount": amount})
        assert response.status_code == 200, (amount, response.content)
    assert patch(f"/api/deals/{deal.pk}", {"close_date": "2026-12-31"}).status_code == 200
