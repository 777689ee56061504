"""Ids from URLs and forms: absurd numbers are "not found", never an overflow."""

import pytest
from django.urls import reverse

from partnerdesk.core.converters import IdConverter, id_url, parse_id
from tests.conftest import login


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (7, 7),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("", None),
        (None, None),
        ("abc", None),
        ("-1", None),
        ("1.5", None),
        ("1e3", None),
        ("²", None),  # "²".isdigit() is True, but it is not a number
        ("1²", None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


def test_other_scripts_digits_never_fail():
    # Reading Arabic-Indic digits as a number or as "not an id" are both fine; failing is not.
    assert parse_id("٣") in (3, None)


def test_converter_round_trip():
    converter = IdConverter()
    assert converter.to_python("0012") == 12
    assert converter.to_url(12) == "12"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/app/companies/99999999999999999999999/",
        "/app/deals/9223372036854775808/",
        "/app/contacts/123456789012345/",
        "/portal/deals/99999999999999999999/",
    ],
)
def test_huge_ids_in_urls_are_404(path, admin, client_user):
    user = client_user if path.startswith("/portal/") else admin
    assert login(user).get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/app/companies/", {"owner": "²"}),
        ("/app/deals/", {"pipeline": "1²"}),
        ("/app/contacts/", {"company": "³"}),
        ("/app/companies/", {"page": "²"}),
    ],
)
def test_unicode_digit_lookalikes_in_filters(path, params, admin):
    assert login(admin).get(path, params).status_code == 200


@pytest.mark.django_db
def test_unicode_digit_lookalike_stage_in_move_form(admin, deal):
    response = login(admin).post(f"/app/deals/{deal.pk}/move/", {"stage": "²"})
    assert response.status_code == 422


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/app/contacts/new/?company=²",
        "/app/deals/new/?company=²&pipeline=³",
        "/app/settings/users/invite/?company=²",
    ],
)
def test_unicode_digit_lookalikes_in_form_initials(path, admin):
    assert login(admin).get(path).status_code == 200


@pytest.mark.parametrize("name", ["tickets:detail", "tickets:move", "crm:deal_detail"])
@pytest.mark.parametrize("pk", [1, 42, 987654321, 10**17])
def test_id_url_is_the_reversed_url(name, pk):
    assert id_url(name)(pk) == reverse(name, args=[pk])
