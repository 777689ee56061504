"""Every route of the app, read from Django's URL resolver and the API's OpenAPI document.

Shared by the permission matrix (every route has an entry: who may open it) and the query
budgets (every list has a budget). Web routes are named by their namespaced URL name
(``crm:company_list``); API operations by "METHOD /api/path" (``GET /api/companies``), so
moving a view or an endpoint to another module changes nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from partnerdesk.api.api import api


def is_api_operation(pattern: URLPattern) -> bool:
    return pattern.callback.__module__ == "ninja.operation"


def walk(
    resolver=None, prefix: str = "", namespace: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple[str, ...], URLPattern]]:
    """(route, namespaces, pattern) for every URL pattern, depth first."""
    resolver = get_resolver() if resolver is None else resolver
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from walk(pattern, route, ns)
        else:
            yield route, namespace, pattern


def openapi_schema() -> dict[str, Any]:
    return api.get_openapi_schema()


def web_route_names() -> set[str]:
    """Every web route by its namespaced name (``<unnamed> /path`` when it has none). API
    operations are left out, but each must be in the OpenAPI document."""
    api_paths = set(openapi_schema()["paths"])
    names: set[str] = set()
    for route, namespace, pattern in walk():
        if is_api_operation(pattern):
            # Covered through the OpenAPI document; an operation hidden from the schema would
            # escape every check built on it, so refuse it.
            openapi_path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            assert openapi_path in api_paths, f"API route {route} is not in the OpenAPI document"
            continue
        name = ":".join((*namespace, pattern.name)) if pattern.name else f"<unnamed> /{route}"
        assert name not in names, f"two URL patterns share the name {name}"
        names.add(name)
    return names


def api_operations() -> dict[str, dict[str, Any]]:
    """Every API operation, "METHOD /api/path" -> its OpenAPI operation object."""
    return {
        f"{method.upper()} {path}": operation
        for path, operations in openapi_schema()["paths"].items()
        for method, operation in operations.items()
    }


def enumerate_routes() -> set[str]:
    """Every web route by its (namespaced) name, and every API operation as "METHOD /path"."""
    return web_route_names() | set(api_operations())


def _resolve_ref(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def is_list_operation(operation: dict[str, Any]) -> bool:
    """A GET whose answer is an array, or a page of ``items`` (paginated or not)."""
    components = openapi_schema().get("components", {}).get("schemas", {})
    responses = operation.get("responses", {})
    ok = responses.get(200) or responses.get("200") or {}
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    schema = _resolve_ref(schema, components)
    if schema.get("type") == "array":
        return True
    items = schema.get("properties", {}).get("items")
    return items is not None and _resolve_ref(items, components).get("type") == "array"


def api_list_operations() -> set[str]:
    return {
        key
        for key, op in api_operations().items()
        if key.startswith("GET ") and is_list_operation(op)
    }
