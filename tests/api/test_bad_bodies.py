"""Every body the API cannot parse is a 400 problem with a code, never a 500 (issue 9, point 8).

A body that parses but lacks what the operation needs (a multipart body with no file part) is
a 422 problem naming the field."""

from __future__ import annotations

import pytest

from tests.portal.conftest import submit

pytestmark = pytest.mark.django_db

NO_BOUNDARY = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'

UNPARSABLE = [
    ("multipart/form-data", NO_BOUNDARY),
    ("multipart/form-data; boundary=", b"whatever"),
    ("application/json", b"{not json"),
]
# Parsed, but not what any operation takes: a problem either way (400 or 422), never a 500.
ODD = [
    ("multipart/form-data; boundary=abc", b"not multipart at all"),
    ("application/json", b"\xff\xfe\x00"),
    ("text/plain", b"hello"),
]


def assert_problem(response, status):
    assert response.status_code in status, response.content[:300]
    problem = response.json()
    assert problem["code"] and problem["message"]
    assert "Traceback" not in response.content.decode(errors="replace")
    return problem


@pytest.mark.parametrize(("content_type", "body"), UNPARSABLE)
def test_unparsable_bodies_are_400_problems(admin, api_client_for, content_type, body):
    response = api_client_for(admin).generic(
        "POST", "/api/companies", body, content_type=content_type
    )
    assert assert_problem(response, {400})["code"] == "bad_request"


@pytest.mark.parametrize(("content_type", "body"), UNPARSABLE[:2])
def test_an_upload_without_a_boundary_is_a_400_problem(
    client_user, api_client_for, content_type, body
):
    task = submit(client_user)
    response = api_client_for(client_user).generic(
        "POST", f"/api/tasks/{task.pk}/attachments", body, content_type=content_type
    )
    assert assert_problem(response, {400})["code"] == "bad_request"


@pytest.mark.parametrize(("content_type", "body"), ODD + UNPARSABLE[2:])
def test_odd_bodies_are_problems_not_500s(client_user, admin, api_client_for, content_type, body):
    task = submit(client_user)
    for user, path in (
        (client_user, f"/api/tasks/{task.pk}/attachments"),
        (admin, "/api/companies"),
    ):
        response = api_client_for(user).generic("POST", path, body, content_type=content_type)
        assert_problem(response, {400, 415, 422})
