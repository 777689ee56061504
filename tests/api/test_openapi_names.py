"""Every schema the API publishes has a name of its own (issue 9, point 9).

Two request schemas named ``NoteIn`` (tickets and portal) made the OpenAPI document describe
one operation's body with the other's fields: the published contract was wrong. Names are
the components' keys, so they must be unique across every app."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from partnerdesk.api.api import api


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_schema_names_are_unique_across_apps():
    where = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("partnerdesk."):
            where[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    duplicates = {name: sorted(places) for name, places in where.items() if len(places) > 1}
    assert not duplicates, f"schema names used twice (rename one): {duplicates}"


def test_each_operation_documents_the_body_its_handler_takes():
    """The document's body schema for an operation is the one its handler validates with."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    checked = 0
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                body = next(
                    (
                        m
                        for m in operation.models
                        if getattr(m, "__ninja_param_source__", "") == "body"
                    ),
                    None,
                )
                if body is None:
                    continue
                for field in body.model_fields.values():
                    model = field.annotation
                    if isinstance(model, type) and issubclass(model, Schema):
                        name = model.__name__
                        assert name in components, name
                        assert set(components[name].get("properties", {})) == set(
                            model.model_fields
                        ), f"{operation.methods} {path}: the document's {name} is another schema"
                        checked += 1
    assert checked > 20


def test_every_operation_documents_400_and_422_as_problems():
    document = api.get_openapi_schema()
    assert "Problem" in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "422"):
                response = operation["responses"].get(status)
                assert response, f"{method.upper()} {path} does not document {status}"
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
