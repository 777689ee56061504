"""The API kit every app's ``api.py`` uses: problem and page schemas, paging, id parameters,
strict request bodies, and the lookups that turn an id into a row or a clear problem."""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Choices, Model, Q, QuerySet
from django.http import Http404
from ninja import Field, Path, Schema
from pydantic import ConfigDict, ValidationInfo, field_validator
from pydantic_core import core_schema

from .errors import DomainError, forbidden
from .pagination import COUNT_CAP, capped_count
from .records import single

MAX_ID = 2**62
Id = Path(..., ge=1, le=MAX_ID)
OptionalId = Field(None, ge=1, le=MAX_ID)


class Problem(Schema):
    code: str
    message: str
    field: str | None = None
    errors: list[dict] = []


class Page(Schema):
    count: int = Field(
        description="Matching rows, counted up to 10,000 (see count_is_exact)",
    )
    count_is_exact: bool = Field(
        True, description="False when more than `count` rows match: page on until a page is short"
    )
    limit: int
    offset: int


class PageParams(Schema):
    limit: int = Field(25, ge=1, le=200)
    # Like the counts, paging stops at 10,000 rows (a deep OFFSET reads every row before it):
    # narrow the filters to reach further.
    offset: int = Field(
        0, ge=0, le=COUNT_CAP, description="Rows to skip, at most 10,000; filter to reach further"
    )


def _plain_types(annotation: Any) -> set:
    """The types a field accepts: ``bool | None`` -> {bool, NoneType}."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(_plain_types(a) for a in args))
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain_types(args[0])
    return {annotation}


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(Lifecycle)]``: one of a model's choices, as a Literal of them
    (same validation and OpenAPI enum), generated from the model so the API offers exactly
    what the model stores."""

    choices: type[Choices]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(self.choices.values))


class Strict(Schema):
    """A request body taken as written: unknown fields are refused instead of ignored, and
    values are not coerced into another type (``0``/``1`` are not booleans, a number is not a
    date): a client that sends them has a bug the API should name, not hide."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _as_written(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or info.field_name is None:
            return value
        kinds = _plain_types(cls.model_fields[info.field_name].annotation) - {type(None)}
        if kinds == {bool} and not isinstance(value, bool):
            raise ValueError("Send true or false.")
        if kinds & {dt.date, dt.datetime} and isinstance(value, int | float):
            raise ValueError("Send the date as text, e.g. 2026-12-31 or 2026-12-31T09:00:00Z.")
        return value


class UserRef(Schema):
    id: int
    email: str
    full_name: str


def page_counts(qs: QuerySet, counted: tuple[int, bool] | None = None) -> dict:
    """The count fields of a Page: counted up to COUNT_CAP, never a scan of a whole table
    (``counted``: the number and whether it is exact, when the caller has them already)."""
    count, exact = capped_count(qs) if counted is None else counted
    return {"count": count, "count_is_exact": exact}


def paginate(qs: QuerySet, params: PageParams, serialize: Callable[..., Any], user=None) -> dict:
    """One page of ``qs`` with its counts, each row through ``serialize(row, user)``."""
    items = list(qs[params.offset : params.offset + params.limit])
    return {
        **page_counts(qs),
        "limit": params.limit,
        "offset": params.offset,
        "items": [serialize(item, user) for item in items],
    }


def require_staff(request) -> None:
    """Staff-only resources do not exist for client users."""
    if not request.auth.is_agency_staff:
        raise Http404


def forbid_clients(request) -> None:
    """Client users read their company's records but change nothing: refuse before any lookup."""
    if not request.auth.is_agency_staff:
        raise forbidden("You do not have permission to do this.")


def lookup(model: type[Model], pk: int | None, name: str, request=None, related=()):
    """The row ``pk`` of ``model`` (scoped to the caller when ``request`` is given; with the
    ``related`` records it points to read in the same query), None for None, or a 422 problem
    naming the ``<name>_id`` field."""
    if pk is None:
        return None
    qs = (
        model._default_manager.all()
        if request is None
        else model._default_manager.for_user(request.auth)
    )  # type: ignore[attr-defined]
    if related:
        qs = qs.select_related(*related)
    obj = single(qs.filter(pk=pk))
    if obj is None:
        raise DomainError(code="not_found", message=f"No {name} with id {pk}.", field=f"{name}_id")
    return obj


def staff_user(pk: int | None, field: str = "owner_id"):
    """An active agency user by id (an owner, an assignee), or a 422 problem on ``field``."""
    if pk is None:
        return None
    user = single(get_user_model()._default_manager.agency_staff().filter(pk=pk))  # type: ignore[attr-defined]
    if user is None:
        raise DomainError(
            code="invalid_owner",
            message="The owner must be an active agency user.",
            field=field,
        )
    return user


def search(qs: QuerySet, q: str | None, fields: Iterable[str]) -> QuerySet:
    """Rows where any of ``fields`` contains ``q`` (case-insensitive); all rows for no ``q``."""
    if not q:
        return qs
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": q})
    return qs.filter(condition)


def fields_from(payload: Schema, names: Iterable[str], *, partial: bool) -> dict:
    """The service keyword arguments in a body: for PATCH only what was sent (None clears only
    the owner)."""
    data = payload.model_dump(exclude_unset=partial)
    return {
        k: data[k]
        for k in names
        if k in data and not (partial and data[k] is None and k != "owner_id")
    }
