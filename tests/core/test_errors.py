"""DomainError: one error type with a stable code, a message, a field and per-field errors."""

from partnerdesk.core.errors import DomainError, FieldError, conflict, forbidden, not_found


def test_single_error_as_dict():
    error = DomainError(code="invalid_domain", message="Bad domain.", field="domain")
    assert str(error) == "Bad domain."
    assert error.status == 422
    assert error.as_dict() == {
        "code": "invalid_domain",
        "message": "Bad domain.",
        "field": "domain",
        "errors": [{"field": "domain", "code": "invalid_domain", "message": "Bad domain."}],
    }


def test_several_errors_are_listed():
    errors = [FieldError("a", "required", "A is required."), FieldError("b", "bad", "B is bad.")]
    error = DomainError(code="invalid", message="Fix a and b.", field="a", errors=errors)
    assert error.all_errors() == errors
    assert error.as_dict()["errors"] == [
        {"field": "a", "code": "required", "message": "A is required."},
        {"field": "b", "code": "bad", "message": "B is bad."},
    ]


def test_lazy_messages_become_strings():
    from django.utils.translation import gettext_lazy

    error = DomainError(code="x", message=gettext_lazy("Not found."))
    assert error.as_dict()["message"] == "Not found."
    assert isinstance(error.as_dict()["errors"][0]["message"], str)


def test_helpers_have_http_statuses():
    assert (not_found().code, not_found().status) == ("not_found", 404)
    assert (forbidden().code, forbidden().status) == ("forbidden", 403)
    error = conflict("duplicate_sku", "Taken.", "sku")
    assert (error.code, error.status, error.field) == ("duplicate_sku", 409, "sku")


def test_is_an_exception():
    try:
        raise DomainError(code="x", message="boom")
    except Exception as exc:
        assert exc.args == ("boom",)
