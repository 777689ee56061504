"""JSON API for the CRM, one module per resource. Same selectors and services as the pages.

``router`` gathers the resources' routers; the ``api`` app mounts it. Operation ids are
spelled out on every route, so moving a view never renames an operation of the OpenAPI
document.
"""

from ninja import Router

from . import companies, contacts, deals, imports, pipelines, products, properties

router = Router()
for resource in (companies, contacts, deals, pipelines, products, properties, imports):
    router.add_router("", resource.router)

__all__ = ["router"]
