"""Fuzz every API operation from the OpenAPI document: no input may cause a server error.

The Django WSGI application is called in-process (same thread, same database connection), so
the ordinary ``db`` fixture works on SQLite and PostgreSQL alike. Each operation is its own test
with a bounded, derandomized number of examples: positive and negative cases, with random ids
and with ids of real records (so handlers past the 404 are reached too).
"""

from __future__ import annotations

import contextlib

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from werkzeug.test import Client as WerkzeugClient

from partnerdesk.accounts.services import api_token_create
from partnerdesk.api.api import api
from partnerdesk.crm import services
from partnerdesk.crm.models import PropertyDefinition

MAX_EXAMPLES = 15

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
RESULTS = list(SCHEMA.get_all_operations())
OPERATIONS = {result.ok().label: result.ok() for result in RESULTS if isinstance(result, Ok)}


def test_every_operation_is_fuzzed():
    # Every path of the document loads as an operation (none lost to schema errors).
    assert [r for r in RESULTS if not isinstance(r, Ok)] == []
    assert len(OPERATIONS) >= 20
    assert all(label.split(" ", 1)[1].startswith("/api/") for label in OPERATIONS)


@pytest.fixture
def wsgi_app(settings):
    """Django's real WSGI handler, kept on the test's connection and transaction.

    Django closes "old" connections when a request starts and finishes; inside the test's
    transaction that would close the connection under the test (PostgreSQL), so those signal
    handlers are off while the app is called here. Use only this app (not django.test.Client,
    which reconnects them) in the tests below.
    """
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(admin, company, deal, product, wsgi_app):
    """Ids of existing records, by path parameter name.

    The CRM records come from fixtures; for any other ``{name}`` the collection the parameter
    indexes is listed through the API and its first item is used (when it has one).
    """
    contact = services.contact_create(by=admin, first_name="Fuzz", company=company)
    ids = {
        "company_id": company.pk,
        "contact_id": contact.pk,
        "deal_id": deal.pk,
        "item_id": deal.line_items.first().pk,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "product_id": product.pk,
        "property_id": PropertyDefinition.objects.filter(is_builtin=False).first().pk,
    }
    _token, plain = api_token_create(user=admin, name="discovery")
    client = WerkzeugClient(wsgi_app)
    headers = {"Authorization": f"Bearer {plain}"}
    for operation in OPERATIONS.values():
        prefix = ""
        for segment in operation.path.strip("/").split("/"):
            name = segment[1:-1] if segment.startswith("{") else None
            if name and name not in ids:
                response = client.get(prefix, query_string={"limit": 1}, headers=headers)
                body = response.json if response.status_code == 200 else None
                # A paginated list ({"items": [...]}) or a plain one (e.g. /api/plans).
                items = body.get("items") if isinstance(body, dict) else body
                if items and isinstance(items[0], dict) and "id" in items[0]:
                    ids[name] = items[0]["id"]
            if name and name not in ids:
                break
            prefix += "/" + (str(ids[name]) if name else segment)
    return ids


def strategies_for(operation, real_ids):
    positive, negative = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
    options = [operation.as_strategy(generation_mode=positive)]
    names = [p.name for p in operation.path_parameters]
    fixed = {n: real_ids[n] for n in names if n in real_ids}
    if names and len(fixed) == len(names):
        options.append(operation.as_strategy(generation_mode=positive, path_parameters=fixed))
        # Some operations have nothing that can be made invalid.
        with contextlib.suppress(Exception):
            options.append(operation.as_strategy(generation_mode=negative, path_parameters=fixed))
    with contextlib.suppress(Exception):
        options.append(operation.as_strategy(generation_mode=negative))
    return st.one_of(options)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_error(label, admin, wsgi_app, real_ids):
    operation = OPERATIONS[label]
    _token, plain = api_token_create(user=admin, name="schemathesis")
    headers = {"Authorization": f"Bearer {plain}"}

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategies_for(operation, real_ids))
    def fuzz(case):
        response = case.call(app=wsgi_app, headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    fuzz()
