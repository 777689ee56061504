"""The JSON API: token auth, problems as JSON, pagination, filters, CRUD and tenancy."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.models import ApiToken
from partnerdesk.accounts.services import api_token_create
from partnerdesk.crm import services
from partnerdesk.crm.models import Company, Contact, Deal, Pipeline, Product, PropertyDefinition
from tests.conftest import login

pytestmark = pytest.mark.django_db

HUGE = 10**20


class Api:
    """A small JSON client: api.get/post/patch/delete(path, body) -> (status, json)."""

    def __init__(self, client: Client):
        self.client = client

    def _call(self, method, path, body=None, raw=None, **extra):
        kwargs = {}
        if body is not None or raw is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(self.client, method)(f"/api{path}", **kwargs, **extra)
        assert response.status_code < 500, response.content[:500]
        data = None
        if response.content:
            assert response["Content-Type"].startswith("application/json"), response.content[:200]
            data = response.json()
        return response.status_code, data

    def get(self, path, **params):
        response = self.client.get(f"/api{path}", params)
        assert response.status_code < 500, response.content[:500]
        assert response["Content-Type"].startswith("application/json")
        return response.status_code, response.json()

    def post(self, path, body=None, **kw):
        return self._call("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self._call("patch", path, body, **kw)

    def delete(self, path):
        return self._call("delete", path)


@pytest.fixture
def api_for(api_client_for):
    return lambda user: Api(api_client_for(user))


def assert_problem(data, code, field=...):
    assert set(data) >= {"code", "message", "field", "errors"}
    assert data["code"] == code, data
    assert data["message"]
    assert isinstance(data["errors"], list)
    if field is not ...:
        assert data["field"] == field, data


# ---------------------------------------------------------------- authentication


class TestAuth:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer pd_not-a-real-token"},
            {"Authorization": "Bearer "},
            {"Authorization": "Token abc"},
            {"Authorization": "Basic YWRtaW46YWRtaW4="},
        ],
    )
    def test_missing_or_invalid_token_401(self, headers, company):
        response = Client(headers=headers).get("/api/companies")
        assert response.status_code == 401
        assert_problem(response.json(), "not_authenticated")

    def test_valid_token(self, admin, api_for):
        status, data = api_for(admin).get("/me")
        assert status == 200
        assert data["email"] == admin.email
        assert data["role"] == "admin"

    def test_revoked_and_expired_tokens(self, agent):
        token, plain = api_token_create(user=agent, name="t")
        client = Client(headers={"Authorization": f"Bearer {plain}"})
        assert client.get("/api/me").status_code == 200
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        assert client.get("/api/me").status_code == 401
        ApiToken.objects.filter(pk=token.pk).update(expires_at=None, revoked_at=timezone.now())
        assert client.get("/api/me").status_code == 401

    def test_inactive_user_token(self, agent):
        _token, plain = api_token_create(user=agent, name="t")
        agent.is_active = False
        agent.save()
        response = Client(headers={"Authorization": f"Bearer {plain}"}).get("/api/me")
        assert response.status_code == 401

    def test_session_auth_for_reads(self, agent):
        response = login(agent).get("/api/me")
        assert response.status_code == 200

    def test_session_writes_need_csrf(self, agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        response = client.post(
            "/api/companies", json.dumps({"name": "CSRF Co"}), content_type="application/json"
        )
        assert response.status_code in (401, 403)
        assert not Company.objects.filter(name="CSRF Co").exists()

    def test_openapi_document(self, client):
        response = client.get("/api/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        assert "/api/companies" in schema["paths"]
        assert "/api/deals/{deal_id}/move" in schema["paths"]


# ---------------------------------------------------------------- lists


@pytest.fixture
def many(admin):
    Company.objects.bulk_create(
        [
            Company(name=f"Bulk {i:02d}", country="IT" if i % 2 else "EG", lifecycle="prospect")
            for i in range(12)
        ]
    )


class TestLists:
    def test_pagination(self, admin, api_for, many):
        api = api_for(admin)
        status, data = api.get("/companies", limit=5, offset=0, q="bulk")
        assert status == 200
        assert (data["count"], data["limit"], data["offset"]) == (12, 5, 0)
        assert [c["name"] for c in data["items"]] == [f"Bulk {i:02d}" for i in range(5)]
        _, data = api.get("/companies", limit=5, offset=10, q="bulk")
        assert [c["name"] for c in data["items"]] == ["Bulk 10", "Bulk 11"]
        _, data = api.get("/companies", limit=5, offset=100, q="bulk")
        assert data["items"] == []
        assert data["count"] == 12

    def test_default_limit(self, admin, api_for, many):
        _, data = api_for(admin).get("/companies")
        assert data["limit"] == 25
        assert data["offset"] == 0

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": 0},
            {"limit": 201},
            {"limit": "abc"},
            {"offset": -1},
            {"offset": HUGE},
            {"offset": 10_001},  # paging stops at 10,000 rows, as the counts do
            {"owner_id": HUGE},
            {"owner_id": 0},
            {"lifecycle": "vip"},
            {"country": "ITA"},
        ],
    )
    def test_bad_list_params_422(self, admin, api_for, params):
        status, data = api_for(admin).get("/companies", **params)
        assert status == 422
        assert_problem(data, "invalid_input")
        assert data["field"] == next(iter(params))

    def test_company_filters(self, admin, api_for, many, agent):
        api = api_for(admin)
        _, data = api.get("/companies", country="it", q="bulk")
        assert data["count"] == 6
        _, data = api.get("/companies", lifecycle="prospect")
        assert data["count"] == 12
        Company.objects.filter(name="Bulk 00").update(owner=agent)
        _, data = api.get("/companies", owner_id=agent.pk)
        assert [c["name"] for c in data["items"]] == ["Bulk 00"]
        assert data["items"][0]["owner"]["email"] == agent.email

    def test_deal_filters(self, admin, api_for, deal, other_deal, email_pipeline):
        api = api_for(admin)
        _, data = api.get("/deals", company_id=deal.company_id)
        assert [d["id"] for d in data["items"]] == [deal.pk]
        _, data = api.get("/deals", pipeline_id=email_pipeline.pk, kind="open")
        assert data["count"] == 2
        _, data = api.get("/deals", kind="won")
        assert data["count"] == 0
        _, data = api.get("/deals", q="other")
        assert [d["id"] for d in data["items"]] == [other_deal.pk]
        status, _ = api.get("/deals", kind="maybe")
        assert status == 422

    def test_contact_filters(self, admin, api_for, company, other_company):
        services.contact_create(by=admin, first_name="Mona", company=company)
        services.contact_create(by=admin, first_name="Luca", company=other_company)
        api = api_for(admin)
        _, data = api.get("/contacts", company_id=company.pk)
        assert [c["first_name"] for c in data["items"]] == ["Mona"]
        _, data = api.get("/contacts", q="luc")
        assert [c["first_name"] for c in data["items"]] == ["Luca"]


# ---------------------------------------------------------------- companies and contacts


class TestCompanies:
    def test_create_get_patch(self, admin, agent, api_for):
        api = api_for(admin)
        status, data = api.post(
            "/companies",
            {
                "name": "API Co",
                "domain": "https://www.API.example/",
                "country": "it",
                "owner_id": agent.pk,
                "properties": {"industry": "software", "employees": "1,500"},
            },
        )
        assert status == 201, data
        assert data["domain"] == "api.example"
        assert data["country"] == "IT"
        assert data["owner"]["id"] == agent.pk
        assert data["properties"] == {"industry": "Software", "employees": 1500}
        company_id = data["id"]
        status, data = api.get(f"/companies/{company_id}")
        assert status == 200
        assert data["name"] == "API Co"
        status, data = api.patch(
            f"/companies/{company_id}", {"lifecycle": "former", "owner_id": None}
        )
        assert status == 200, data
        assert data["lifecycle"] == "former"
        assert data["owner"] is None
        assert data["name"] == "API Co"

    @pytest.mark.parametrize(
        ("body", "code", "field"),
        [
            ({"name": "X", "domain": "nope"}, "invalid_domain", "domain"),
            ({"name": "X", "country": "1T"}, "invalid_country", "country"),
            ({"name": "X", "timezone": "Mars/Base"}, "invalid_timezone", "timezone"),
            ({"name": "X", "owner_id": 999999}, "invalid_owner", "owner_id"),
            ({"name": "X", "properties": {"employees": "lots"}}, "invalid_properties", None),
            ({"name": "X", "properties": {"nope": 1}}, "invalid_properties", "nope"),
            ({"name": ""}, "invalid_input", "name"),
            ({}, "invalid_input", "name"),
            ({"name": "X", "revenue": 5}, "invalid_input", "revenue"),
            ({"name": "X", "owner_id": HUGE}, "invalid_input", "owner_id"),
        ],
    )
    def test_create_errors_422(self, admin, api_for, body, code, field):
        before = Company.objects.count()
        status, data = api_for(admin).post("/companies", body)
        assert status == 422
        assert_problem(data, code)
        if field is not None:
            assert data["field"] == field or field in {e["field"] for e in data["errors"]}
        assert Company.objects.count() == before

    def test_property_errors_list_each_field(self, admin, api_for):
        status, data = api_for(admin).post(
            "/companies",
            {"name": "X", "properties": {"employees": "lots", "website": "ftp://x", "nope": 1}},
        )
        assert status == 422
        assert {e["field"] for e in data["errors"]} == {"employees", "website", "nope"}

    def test_duplicate_record_id_409(self, admin, api_for):
        api = api_for(admin)
        assert api.post("/companies", {"name": "A", "hubspot_record_id": "77"})[0] == 201
        status, data = api.post("/companies", {"name": "B", "hubspot_record_id": "77"})
        assert status == 409
        assert_problem(data, "duplicate_record_id")

    @pytest.mark.parametrize("company_id", ["0", "-1", str(HUGE), "abc", str(2**63)])
    def test_bad_and_huge_ids_422_or_404(self, admin, api_for, company_id):
        status, data = api_for(admin).get(f"/companies/{company_id}")
        assert status in (404, 422)
        assert "code" in data

    def test_huge_id_is_422(self, admin, api_for):
        status, data = api_for(admin).get(f"/companies/{HUGE}")
        assert status == 422
        assert_problem(data, "invalid_input")

    def test_missing_company_404(self, admin, api_for):
        status, data = api_for(admin).get("/companies/999999999")
        assert status == 404
        assert_problem(data, "not_found")

    def test_unknown_patch_field(self, admin, api_for, company):
        status, data = api_for(admin).patch(f"/companies/{company.pk}", {"stage": "won"})
        assert status == 422
        assert_problem(data, "invalid_input", "stage")


class TestContacts:
    def test_create_get_patch(self, admin, api_for, company, other_company):
        api = api_for(admin)
        status, data = api.post(
            "/contacts",
            {"first_name": "Mona", "email": "Mona@ACME.com", "company_id": company.pk},
        )
        assert status == 201, data
        assert data["email"] == "mona@acme.com"
        assert data["company"]["id"] == company.pk
        status, data = api.patch(f"/contacts/{data['id']}", {"company_id": other_company.pk})
        assert status == 200
        assert data["company"]["id"] == other_company.pk
        status, data = api.patch(f"/contacts/{data['id']}", {"company_id": None})
        assert status == 200
        assert data["company"] is None

    def test_unknown_company(self, admin, api_for):
        status, data = api_for(admin).post(
            "/contacts", {"first_name": "A", "company_id": 987654321}
        )
        assert status == 422
        assert_problem(data, "not_found", "company_id")

    def test_needs_name_or_email(self, admin, api_for):
        status, data = api_for(admin).post("/contacts", {"phone": "1"})
        assert status == 422
        assert_problem(data, "required")

    def test_the_language_of_emails(self, admin, api_for):
        api = api_for(admin)
        status, data = api.post("/contacts", {"email": "mona@acme.com", "language": "it"})
        assert status == 201 and data["language"] == "it"
        status, data = api.patch(f"/contacts/{data['id']}", {"language": "ar"})
        assert status == 200 and data["language"] == "ar"
        status, problem = api.patch(f"/contacts/{data['id']}", {"language": "xx"})
        assert status == 422
        assert_problem(problem, "invalid", "language")
        assert Contact.objects.get(pk=data["id"]).language == "ar"


# ---------------------------------------------------------------- deals


def won_stage_id():
    return (
        Pipeline.objects.get(object_type="deal", name="Email Subscription")
        .stages.get(name="Closed Won")
        .pk
    )


class TestDeals:
    def test_create_get_patch(self, admin, api_for, company, email_pipeline, product):
        api = api_for(admin)
        contact = services.contact_create(by=admin, first_name="Mona", company=company)
        status, data = api.post(
            "/deals",
            {
                "name": "API deal",
                "pipeline_id": email_pipeline.pk,
                "company_id": company.pk,
                "amount": "99.50",
                "currency": "eur",
                "contact_ids": [contact.pk, contact.pk],
                "line_items": [{"product_id": product.pk, "quantity": 3}],
                "properties": {"email_services": ["Mailboxes"]},
            },
        )
        assert status == 201, data
        assert data["stage"]["name"] == "New"
        assert data["currency"] == "EUR"
        assert data["contact_ids"] == [contact.pk]
        assert data["line_items"][0]["quantity"] == 3
        assert data["line_items"][0]["product"]["sku"] == product.sku
        assert data["properties"] == {"email_services": ["Mailboxes"]}
        deal_id = data["id"]
        status, data = api.patch(f"/deals/{deal_id}", {"amount": "10", "contact_ids": []})
        assert status == 200, data
        assert data["contact_ids"] == []
        assert data["amount"] in ("10", "10.00", 10)
        status, data = api.get(f"/deals/{deal_id}")
        assert status == 200
        assert data["name"] == "API deal"

    def test_move_missing_properties_422(self, admin, api_for, deal):
        status, data = api_for(admin).post(f"/deals/{deal.pk}/move", {"stage_id": won_stage_id()})
        assert status == 422
        assert_problem(data, "missing_required_properties")
        fields = {e["field"] for e in data["errors"]}
        assert fields == {"purchased_mailbox_names", "domain_name", "number_of_licences"}
        for label in ("Purchased mailbox names", "Domain name", "Number of licences"):
            assert label in data["message"]
        deal.refresh_from_db()
        assert deal.stage.name == "New"

    def test_fill_then_move(self, admin, api_for, deal):
        api = api_for(admin)
        status, _ = api.patch(
            f"/deals/{deal.pk}",
            {
                "properties": {
                    "purchased_mailbox_names": "a@acme.com",
                    "domain_name": "acme.com",
                    "number_of_licences": 5,
                }
            },
        )
        assert status == 200
        status, data = api.post(f"/deals/{deal.pk}/move", {"stage_id": won_stage_id()})
        assert status == 200, data
        assert data["stage"]["kind"] == "won"
        assert data["closed_at"] is not None

    def test_create_into_won_stage_422(self, admin, api_for, email_pipeline, company):
        before = Deal.objects.count()
        status, data = api_for(admin).post(
            "/deals",
            {
                "name": "Won",
                "pipeline_id": email_pipeline.pk,
                "stage_id": won_stage_id(),
                "company_id": company.pk,
            },
        )
        assert status == 422
        assert_problem(data, "missing_required_properties")
        assert "line_items" in {e["field"] for e in data["errors"]}
        assert Deal.objects.count() == before

    @pytest.mark.parametrize(
        ("body", "code", "field"),
        [
            ({"stage_id": 987654321}, "not_found", "stage_id"),
            ({"stage_id": HUGE}, "invalid_input", "stage_id"),
            ({"stage_id": "abc"}, "invalid_input", "stage_id"),
            ({}, "invalid_input", "stage_id"),
            ({"stage_id": 1, "force": True}, "invalid_input", "force"),
        ],
    )
    def test_move_bad_input(self, admin, api_for, deal, body, code, field):
        status, data = api_for(admin).post(f"/deals/{deal.pk}/move", body)
        assert status == 422
        assert_problem(data, code, field)

    def test_move_into_ticket_stage_refused(self, admin, api_for, deal):
        pipeline = services.pipeline_create(
            by=admin, object_type="ticket", name="Zz API Tickets", stages=[{"name": "Open"}]
        )
        status, data = api_for(admin).post(
            f"/deals/{deal.pk}/move", {"stage_id": pipeline.stages.get().pk}
        )
        assert status == 422
        assert_problem(data, "invalid_stage")

    @pytest.mark.parametrize(
        ("extra", "code", "field"),
        [
            ({"amount": "-1"}, "invalid_input", "amount"),
            ({"amount": "1e12"}, "invalid_input", "amount"),
            ({"amount": "NaN"}, "invalid_input", "amount"),
            ({"currency": "EURO"}, "invalid_input", "currency"),
            ({"currency": "12$"}, "invalid_currency", "currency"),
            ({"owner_id": HUGE}, "invalid_input", "owner_id"),
            ({"company_id": 987654321}, "not_found", "company_id"),
            ({"contact_ids": [987654321]}, "not_found", "contact_ids"),
            ({"contact_ids": [HUGE]}, None, None),
            ({"line_items": [{"product_id": 1, "quantity": 0}]}, "invalid_input", None),
            ({"line_items": [{"product_id": 987654321}]}, "not_found", "product_id"),
            ({"close_date": "2024-02-30"}, "invalid_input", "close_date"),
            ({"colour": "red"}, "invalid_input", "colour"),
        ],
    )
    def test_create_bad_input(self, admin, api_for, email_pipeline, extra, code, field):
        before = Deal.objects.count()
        status, data = api_for(admin).post(
            "/deals", {"name": "Bad", "pipeline_id": email_pipeline.pk, **extra}
        )
        assert status == 422, data
        if code:
            assert_problem(data, code)
        if field:
            assert data["field"] == field, data
        assert Deal.objects.count() == before

    def test_ticket_pipeline_refused(self, admin, api_for):
        pipeline = services.pipeline_create(
            by=admin, object_type="ticket", name="Zz API Tickets", stages=[{"name": "Open"}]
        )
        status, data = api_for(admin).post("/deals", {"name": "X", "pipeline_id": pipeline.pk})
        assert status == 422
        assert_problem(data, "invalid_pipeline")

    def test_line_items_add_remove(self, admin, api_for, deal, product):
        api = api_for(admin)
        status, data = api.post(
            f"/deals/{deal.pk}/line-items", {"product_id": product.pk, "quantity": 2}
        )
        assert status == 201, data
        item_id = data["id"]
        assert data["total"] in ("7.00", "7", 7)
        status, _ = api.delete(f"/deals/{deal.pk}/line-items/{item_id}")
        assert status == 204
        status, _ = api.delete(f"/deals/{deal.pk}/line-items/{item_id}")
        assert status == 404

    def test_remove_line_item_through_another_deal_404(self, admin, api_for, deal, other_deal):
        item = deal.line_items.first()
        status, _ = api_for(admin).delete(f"/deals/{other_deal.pk}/line-items/{item.pk}")
        assert status == 404
        assert deal.line_items.count() == 1


# ---------------------------------------------------------------- malformed input


class TestMalformedInput:
    @pytest.mark.parametrize(
        "raw",
        [
            b"{not json",
            b"",
            b"[]",
            b'"just a string"',
            b"null",
            b'{"name": "x"',
            b"\xff\xfe",
            b'{"name": 1e999}',
        ],
    )
    def test_malformed_json_is_4xx_json(self, admin, api_client_for, raw):
        client = api_client_for(admin)
        response = client.post("/api/companies", raw, content_type="application/json")
        assert 400 <= response.status_code < 500, response.content[:300]
        assert response["Content-Type"].startswith("application/json")
        assert "code" in response.json()

    def test_wrong_content_type(self, admin, api_client_for):
        response = api_client_for(admin).post(
            "/api/companies", "name=x", content_type="application/x-www-form-urlencoded"
        )
        assert 400 <= response.status_code < 500

    @pytest.mark.parametrize(
        "body", ['{"name": "a\\u0000b"}', '{"name": "ok", "domain": "a\\u0000.com"}']
    )
    def test_nul_bytes_400(self, admin, api_client_for, body):
        response = api_client_for(admin).post(
            "/api/companies", body, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"

    def test_nul_in_query_400(self, admin, api_client_for):
        response = api_client_for(admin).get("/api/companies?q=%00")
        assert response.status_code == 400

    def test_wrong_types(self, admin, api_for):
        status, data = api_for(admin).post("/companies", {"name": ["a"], "properties": []})
        assert status == 422
        assert {e["field"] for e in data["errors"]} >= {"name", "properties"}

    def test_very_long_strings(self, admin, api_for):
        status, data = api_for(admin).post("/companies", {"name": "x" * 10_000})
        assert status == 422
        assert_problem(data, "invalid_input", "name")

    def test_method_not_allowed(self, admin, api_client_for):
        response = api_client_for(admin).put(
            "/api/companies", "{}", content_type="application/json"
        )
        assert response.status_code == 405


# ---------------------------------------------------------------- tenancy


class TestClientUsers:
    def test_lists_show_only_own_company(
        self, client_user, api_for, admin, deal, other_deal, company, other_company
    ):
        services.contact_create(by=admin, first_name="Mine", company=company)
        services.contact_create(by=admin, first_name="Theirs", company=other_company)
        api = api_for(client_user)
        _, data = api.get("/companies")
        assert [c["id"] for c in data["items"]] == [company.pk]
        assert data["count"] == 1
        _, data = api.get("/deals")
        assert [d["id"] for d in data["items"]] == [deal.pk]
        _, data = api.get("/contacts")
        assert [c["first_name"] for c in data["items"]] == ["Mine"]
        # Filters cannot widen the scope.
        _, data = api.get("/deals", company_id=other_company.pk)
        assert data["items"] == []
        _, data = api.get("/contacts", company_id=other_company.pk)
        assert data["items"] == []

    def test_other_company_records_are_404(self, client_user, api_for, other_deal, other_company):
        api = api_for(client_user)
        assert api.get(f"/companies/{other_company.pk}")[0] == 404
        assert api.get(f"/deals/{other_deal.pk}")[0] == 404
        # Writes are refused for the role first (403 for any id, foreign or missing).
        assert api.patch(f"/companies/{other_company.pk}", {"name": "Hacked"})[0] == 403
        assert api.post(f"/deals/{other_deal.pk}/move", {"stage_id": won_stage_id()})[0] == 403
        other_company.refresh_from_db()
        assert other_company.name == "Other Co"

    def test_clients_cannot_write(self, client_user, api_for, company, deal, email_pipeline):
        api = api_for(client_user)
        status, data = api.post("/companies", {"name": "Mine"})
        assert status == 403
        assert_problem(data, "forbidden")
        assert api.patch(f"/companies/{company.pk}", {"name": "Renamed"})[0] == 403
        assert api.post("/deals", {"name": "D", "pipeline_id": email_pipeline.pk})[0] == 403
        assert api.patch(f"/deals/{deal.pk}", {"name": "Renamed"})[0] == 403
        assert api.post("/contacts", {"first_name": "X"})[0] == 403
        company.refresh_from_db()
        deal.refresh_from_db()
        assert (company.name, deal.name) == ("Acme Dental", "Acme mailboxes")

    @pytest.mark.parametrize(
        ("path", "body"),
        [
            ("/contacts", {"first_name": "X", "company_id": 987654321}),
            ("/contacts", {"first_name": "X", "owner_id": 987654321}),
            ("/companies", {"name": "X", "owner_id": 987654321}),
        ],
    )
    def test_client_writes_refused_before_looking_anything_up(
        self, client_user, api_for, path, body
    ):
        # A client may not create records at all: the answer must not depend on (and so
        # reveal) whether ids of other companies' records or agency users exist.
        status, data = api_for(client_user).post(path, body)
        assert status == 403, data
        assert_problem(data, "forbidden")

    @pytest.mark.parametrize("path", ["/pipelines", "/products", "/properties"])
    def test_staff_resources_do_not_exist_for_clients(self, client_user, api_for, path):
        status, data = api_for(client_user).get(path)
        assert status == 404
        assert_problem(data, "not_found")


# ---------------------------------------------------------------- configuration


class TestConfiguration:
    def test_products_crud(self, admin, api_for):
        api = api_for(admin)
        status, data = api.post(
            "/products",
            {
                "name": "Mailbox 100 GB",
                "sku": "email-100gb",
                "category": "email",
                "unit_price": "9.99",
                "billing": "monthly",
                "mailbox_gb": 100,
            },
        )
        assert status == 201, data
        product_id = data["id"]
        status, data = api.patch(f"/products/{product_id}", {"active": False, "currency": "eur"})
        assert status == 200
        assert (data["active"], data["currency"]) == (False, "EUR")
        _, data = api.get("/products", active=False)
        assert [p["sku"] for p in data["items"]] == ["email-100gb"]
        _, data = api.get("/products", category="storage")
        assert data["count"] == Product.objects.filter(category="storage").count()
        status, data = api.post(
            "/products",
            {
                "name": "Dup",
                "sku": "email-100gb",
                "category": "email",
                "unit_price": "1",
                "billing": "monthly",
            },
        )
        assert status == 409
        assert_problem(data, "duplicate_sku")
        assert api.get(f"/products/{product_id}")[1]["name"] == "Mailbox 100 GB"
        assert api.get("/products/987654321")[0] == 404

    def test_pipelines_crud(self, admin, api_for, email_pipeline):
        api = api_for(admin)
        status, data = api.post(
            "/pipelines",
            {
                "object_type": "deal",
                "name": "Consulting",
                "stages": [{"name": "Lead"}, {"name": "Signed", "kind": "won"}],
            },
        )
        assert status == 201, data
        pipeline_id = data["id"]
        assert [s["name"] for s in data["stages"]] == ["Lead", "Signed"]
        status, data = api.post(
            "/pipelines", {"object_type": "deal", "name": "consulting", "stages": [{"name": "A"}]}
        )
        assert status == 409
        assert_problem(data, "duplicate_pipeline")
        status, data = api.post(
            f"/pipelines/{pipeline_id}/stages", {"name": "Lost", "kind": "lost"}
        )
        assert status == 201
        stage_id = data["id"]
        status, data = api.post(f"/pipelines/{pipeline_id}/stages", {"name": "lead"})
        assert status == 409
        assert_problem(data, "duplicate_stage")
        status, data = api.patch(
            f"/stages/{stage_id}", {"name": "Gone", "required_properties": ["domain_name"]}
        )
        assert status == 200, data
        assert data["required_properties"] == ["domain_name"]
        status, data = api.patch(f"/pipelines/{pipeline_id}", {"archived": True})
        assert status == 200
        assert data["archived"] is True
        _, data = api.get("/pipelines", object_type="deal")
        assert pipeline_id in {p["id"] for p in data["items"]}
        status, data = api.post(
            "/pipelines", {"object_type": "deal", "name": "Empty", "stages": []}
        )
        assert status == 422
        status, data = api.post(
            "/pipelines",
            {"object_type": "deal", "name": "K", "stages": [{"name": "A", "kind": "closed"}]},
        )
        assert status == 422
        assert_problem(data, "invalid_stage_kind")
        assert not Pipeline.objects.filter(name="K").exists()

    def test_stage_patch_unknown_required_property_changes_nothing(
        self, admin, api_for, email_pipeline
    ):
        stage = email_pipeline.stages.get(name="Qualified")
        status, data = api_for(admin).patch(
            f"/stages/{stage.pk}", {"name": "Renamed", "required_properties": ["nope"]}
        )
        assert status == 422
        assert_problem(data, "unknown_property", "required_properties")
        stage.refresh_from_db()
        # A refused request leaves no half-applied change behind.
        assert stage.name == "Qualified"

    def test_properties_crud(self, admin, api_for):
        api = api_for(admin)
        status, data = api.post(
            "/properties",
            {
                "object_type": "deal",
                "label": "Hosting plan",
                "type": "enum",
                "options": [{"value": "basic", "label": "Basic"}, {"value": "pro"}],
            },
        )
        assert status == 201, data
        assert data["name"] == "hosting_plan"
        assert data["options"] == [
            {"value": "basic", "label": "Basic"},
            {"value": "pro", "label": "pro"},
        ]
        prop_id = data["id"]
        status, data = api.patch(f"/properties/{prop_id}", {"label": "Plan", "archived": True})
        assert status == 200
        assert (data["label"], data["archived"]) == ("Plan", True)
        _, data = api.get("/properties", object_type="deal")
        assert prop_id not in {p["id"] for p in data["items"]}
        _, data = api.get("/properties", object_type="deal", include_archived=True)
        assert prop_id in {p["id"] for p in data["items"]}
        status, data = api.post(
            "/properties", {"object_type": "deal", "label": "Domain name", "type": "text"}
        )
        assert status == 409
        assert_problem(data, "duplicate_property")
        status, data = api.post(
            "/properties", {"object_type": "deal", "label": "Choice", "type": "enum"}
        )
        assert status == 422
        assert_problem(data, "options_required", "options")
        status, data = api.post(
            "/properties", {"object_type": "deal", "label": "Links", "type": "association"}
        )
        assert status == 422
        builtin = PropertyDefinition.objects.get(object_type="deal", name="amount")
        status, data = api.patch(f"/properties/{builtin.pk}", {"label": "Value"})
        assert status == 422
        assert_problem(data, "builtin_property")

    @pytest.mark.parametrize("who", ["agent", "manager"])
    def test_non_admin_staff_cannot_configure(self, who, request, api_for, email_pipeline):
        api = api_for(request.getfixturevalue(who))
        status, data = api.post(
            "/properties", {"object_type": "deal", "label": "Agent prop", "type": "text"}
        )
        assert status == 403
        assert_problem(data, "forbidden")
        assert not PropertyDefinition.objects.filter(label="Agent prop").exists()
        assert (
            api.post(
                "/pipelines",
                {"object_type": "deal", "name": "Mine", "stages": [{"name": "A"}]},
            )[0]
            == 403
        )
        assert api.patch(f"/pipelines/{email_pipeline.pk}", {"name": "Mine"})[0] == 403
        assert (
            api.post(
                "/products",
                {
                    "name": "P",
                    "sku": "p-1",
                    "category": "email",
                    "unit_price": "1",
                    "billing": "monthly",
                },
            )[0]
            == 403
        )
        # Reading the configuration is fine.
        assert api.get("/pipelines")[0] == 200
        assert api.get("/properties")[0] == 200

    def test_agent_can_work_records(self, agent, api_for, company):
        status, _ = api_for(agent).patch(f"/companies/{company.pk}", {"name": "Acme 2"})
        assert status == 200
        assert Contact.objects.count() == 0
