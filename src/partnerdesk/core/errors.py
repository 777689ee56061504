"""One error type for every rule a service enforces.

Each error has a stable machine ``code``, a message that tells the user what to fix, and
optionally the ``field`` it is about (or several ``errors``, one per field). Views show each
message beside its field; the API returns the error as a JSON problem with ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field


@dataclass
class FieldError:
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


@dataclass
class DomainError(Exception):
    code: str
    message: str
    field: str | None = None
    status: int = 422
    errors: list[FieldError] = dc_field(default_factory=list)

    def __post_init__(self):
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)

    def all_errors(self) -> list[FieldError]:
        return self.errors or [FieldError(self.field, self.code, self.message)]

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": str(self.message),
            "field": self.field,
            "errors": [e.as_dict() for e in self.all_errors()],
        }


def not_found(message: str = "Not found.") -> DomainError:
    return DomainError(code="not_found", message=message, status=404)


def forbidden(message: str = "You do not have permission to do this.") -> DomainError:
    return DomainError(code="forbidden", message=message, status=403)


def conflict(code: str, message: str, field: str | None = None) -> DomainError:
    return DomainError(code=code, message=message, field=field, status=409)
