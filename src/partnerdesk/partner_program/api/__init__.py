"""JSON API of the partner program, one module per resource, through the same selectors and
services as the pages. ``router`` gathers them; the ``api`` app mounts it."""

from ninja import Router

from . import accounts, accreditations, activities, complaints, config, imports, standing

router = Router()
for resource in (accounts, activities, config, standing, imports, accreditations, complaints):
    router.add_router("", resource.router)

__all__ = ["router"]
