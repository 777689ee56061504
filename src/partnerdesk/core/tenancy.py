"""Tenancy in one place.

Every query made for a user goes through ``TenantQuerySet.for_user``; every object looked up
for a user goes through ``get_object_for_user_or_404``. Agency staff see everything; a client
user sees only rows whose ``tenant_path`` equals their company, and nothing of models without
one. "Not yours" and "does not exist" are the same 404.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404


class TenantQuerySet(models.QuerySet):
    def for_user(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_agency_staff:
            return self
        path = getattr(self.model, "tenant_path", None)
        if path is None or user.company_id is None:
            return self.none()
        return self.filter(**{path: user.company_id})


def scope_for_user(queryset_or_model, user):
    qs = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    if not isinstance(qs, TenantQuerySet):
        raise TypeError(f"{qs.model.__name__} has no tenant-aware queryset")
    return qs.for_user(user)


def get_object_for_user_or_404(queryset_or_model, user, **lookup):
    qs = scope_for_user(queryset_or_model, user)
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found.") from exc
