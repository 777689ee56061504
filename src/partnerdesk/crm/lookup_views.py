"""The pickers' searches: a short list of ``<option>``s of companies or contacts for a query.

A form offers a company or contact through ``core.widgets.RecordPicker`` (never a select of
every record). These return the chosen records and the best matches of ``q`` with the same
search as the lists (``selectors.filter_companies`` / ``filter_contacts``), bounded.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from partnerdesk.core.access import staff_required
from partnerdesk.core.widgets import picker_options, render_options

from . import selectors
from .models import Company, Contact


def _options(request, queryset) -> HttpResponse:
    field = request.GET.get("field") or ""
    selected = request.GET.getlist(field)[:50] if field else []
    multiple = request.GET.get("multiple") == "1"
    html = render_options(
        picker_options(queryset, selected=selected),
        selected=selected,
        empty_label=None if multiple else "—",
    )
    return HttpResponse(html)


@require_GET
@staff_required
def company_options(request):
    qs, _active = selectors.filter_companies(Company.objects.order_by("name", "pk"), request.GET)
    return _options(request, qs)


@require_GET
@staff_required
def contact_options(request):
    params = {"q": request.GET.get("q", ""), "company": request.GET.get("company", "")}
    qs, _active = selectors.filter_contacts(
        Contact.objects.order_by("last_name", "first_name", "pk"), params
    )
    return _options(request, qs)
