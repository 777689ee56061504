"""NUL bytes are refused up front; error pages answer JSON to API and JSON clients."""

import json

import pytest

from tests.conftest import login

pytestmark = pytest.mark.django_db


def assert_nul_refused(response):
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert "NUL" in body["message"]


@pytest.mark.parametrize(
    "path", ["/app/companies/?q=%00", "/api/companies?q=a%00b", "/app/companies%00/"]
)
def test_nul_in_query_or_path(path, admin):
    assert_nul_refused(login(admin).get(path))


def test_nul_in_json_body(admin, api_client_for):
    api = api_client_for(admin)
    for body in (b'{"name": "a\\u0000b"}', b'{"name": "a\x00b"}'):
        response = api.post("/api/companies", body, content_type="application/json")
        assert_nul_refused(response)
    from partnerdesk.crm.models import Company

    assert not Company.objects.filter(name__startswith="a").exists()


def test_nul_in_form_body(admin):
    client = login(admin)
    response = client.post(
        "/app/companies/new/",
        "name=a%00b&lifecycle=client",
        content_type="application/x-www-form-urlencoded",
    )
    assert_nul_refused(response)


def test_normal_requests_pass(admin, api_client_for):
    response = api_client_for(admin).post(
        "/api/companies", json.dumps({"name": "Fine"}), content_type="application/json"
    )
    assert response.status_code == 201


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_unknown_page_is_html_404(admin):
    response = login(admin).get("/app/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_home_redirects_by_role(client, admin, client_user):
    assert client.get("/")["Location"].startswith("/accounts/login")
    assert login(admin).get("/")["Location"] == "/app/"
    assert login(client_user).get("/")["Location"] == "/portal/"


def test_security_headers(admin):
    response = login(admin).get("/app/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
