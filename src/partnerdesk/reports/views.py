"""The report pages: the list of reports, and each report with its filters, chart, table and
CSV. Staff only (managers and admins see the agency, agents their own and their teams' work)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.core.access import staff_required
from partnerdesk.core.exports import csv_response

from . import selectors  # noqa: F401  (registers the reports)
from .filters import FilterForm, Scope
from .format import csv_header, csv_values
from .registry import REPORTS, Report, all_reports

# The rows a page's table shows (a report over thousands of clients stays a readable page that
# renders fast); the CSV and the API have every row.
PAGE_ROWS = 200


def _report(slug: str) -> Report:
    report = REPORTS.get(slug)
    if report is None:
        raise Http404("No such report.")
    return report


@staff_required
@require_GET
def index(request):
    return render(request, "reports/index.html", {"reports": all_reports()})


@staff_required
@require_GET
def detail(request, slug: str):
    report = _report(slug)
    form = FilterForm(request.GET, offered=report.filters, groups=report.groups)
    context = {"report": report, "form": form, "reports": all_reports()}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    filters = form.filters()
    context |= {
        "filters": filters,
        "result": report.build(filters, Scope.for_user(request.user)),
        "query": urlencode(filters.as_params()),
        "page_rows": PAGE_ROWS,
        "page_slice": f":{PAGE_ROWS}",
    }
    return render(request, "reports/report.html", context)


@staff_required
@require_GET
def export(request, slug: str):
    report = _report(slug)
    form = FilterForm(request.GET, offered=report.filters, groups=report.groups)
    if not form.is_valid():
        return render(
            request,
            "reports/report.html",
            {"report": report, "form": form, "reports": all_reports()},
            status=400,
        )
    filters = form.filters()
    result = report.build(filters, Scope.for_user(request.user))
    columns, rows, slug = result.columns, result.rows, report.slug
    if key := request.GET.get("table"):  # one of the report's further tables
        table = next((t for t in result.tables if t.key == key), None)
        if table is None:
            raise Http404("No such table in this report.")
        columns, rows, slug = table.columns, table.rows, f"{report.slug}-{table.key}"
    name = f"{slug}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return csv_response(name, csv_header(columns), (csv_values(columns, row) for row in rows))
