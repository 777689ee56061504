"""Reveal or copy a secret property on a record's page (htmx): the value for managers and
admins, recorded on the record's timeline. Pages never carry a secret until it is asked for."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.core.access import staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe

from . import properties as props
from . import record_pages
from .selectors import property_rows
from .services.secrets import secret_reveal as reveal


@staff_required
@require_POST
def secret_reveal(request, object_type: str, pk: int, name: str):
    """POST ``via=copy`` for Copy (recorded as copied); the answer is the property's row with
    its value (``crm/_secret.html``) and the new timeline entry, swapped out of band."""
    if not props.can_see_secrets(request.user):  # refused for the role before any look-up
        raise PermissionDenied(_("Only an admin or a manager can see secret values."))
    lookup = record_pages.secret_holder(object_type)
    if lookup is None:
        raise Http404("Not found.")
    record = lookup(request.user, pk)
    row = next(
        (r for r in property_rows(record, request.user) if r["definition"].name == name), None
    )
    if row is None or not row["secret"]:
        raise Http404("Not found.")
    try:
        read = reveal(
            record=record, name=name, by=request.user, copied=request.POST.get("via") == "copy"
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("Not found.") from exc
        return render(request, "crm/_secret.html", {"row": row, "error": exc}, status=exc.status)
    return render(
        request,
        "crm/_secret.html",
        {
            "row": row,
            "value": read.value,
            "revealed": True,
            "entry": {"event": read.event, "text": describe(read.event), "own": True},
        },
    )
