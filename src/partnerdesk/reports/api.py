"""API of the reports: the same figures as the pages, as JSON. Staff see every report (agents
their own and their teams' work); client users see the reports offered to clients, with their
own company's figures only; other reports are a 404 for them."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from ninja import Field, Router, Schema

from partnerdesk.accounts.api_auth import ANY_USER
from partnerdesk.core.errors import DomainError, FieldError, not_found

from . import selectors  # noqa: F401  (registers the reports)
from .filters import FILTER_FIELDS, FilterForm, Scope
from .registry import REPORTS, Column, Report, all_reports

router = Router(tags=["reports"])


class ReportInfo(Schema):
    slug: str
    title: str
    description: str
    filters: list[str] = Field(description="The filters it takes, besides the dates and grain")
    groups: list[str] = Field(
        default_factory=list,
        description="The values of its group parameter, the first by default (none: no choice)",
    )


class ReportCatalogue(Schema):
    reports: list[ReportInfo] = Field(description="A fixed set (code, not data): not paged")


class ReportColumn(Schema):
    key: str
    label: str
    kind: str = Field(
        description="count, share (0..1), seconds, number, text or datetime (ISO 8601)"
    )


class ReportSeries(Schema):
    label: str
    values: list[float | None]


class ReportChart(Schema):
    title: str
    kind: str
    labels: list[str]
    series: list[ReportSeries]


class ReportFiltersOut(Schema):
    start: str
    end: str
    preset: str
    grain: str
    pipeline: int | None = None
    request_type: int | None = None
    category: int | None = None
    company: int | None = None
    plan: int | None = None
    owner: int | None = None
    team: int | None = None
    group: str | None = None


class ReportTable(Schema):
    key: str
    title: str
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]


class ReportOut(ReportInfo):
    applied: ReportFiltersOut
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]
    chart: ReportChart | None
    notes: list[str]
    tables: list[ReportTable] = Field(
        description="The report's further tables (per team, low scores...), each like the main"
    )


def _offered(user) -> list[Report]:
    return [r for r in all_reports() if r.for_clients or not user.is_client]


def _info(report: Report) -> dict:
    return {
        "slug": report.slug,
        "title": str(report.title),
        "description": str(report.description),
        "filters": list(report.filters),
        "groups": [key for key, _label in report.groups],
    }


@router.get("/reports", response=ReportCatalogue, auth=ANY_USER, operation_id="report_list")
def report_list(request):
    """The reports the caller may read."""
    return {"reports": [_info(report) for report in _offered(request.auth)]}


@router.get("/reports/{slug}", response=ReportOut, auth=ANY_USER, operation_id="report_detail")
def report_detail(
    request,
    slug: str,
    preset: str | None = None,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    pipeline: int | None = None,
    request_type: int | None = None,
    category: int | None = None,
    company: int | None = None,
    plan: int | None = None,
    owner: int | None = None,
    team: int | None = None,
    group: str | None = None,
):
    """One report's figures. Dates: ``preset`` (7d, 30d, 90d, quarter) or ``preset=custom``
    with ``start`` and ``end`` (YYYY-MM-DD, both included); ``grain``: week or month;
    ``group``: how the main table is grouped, for the reports that offer a choice (see
    ``groups`` in the catalogue)."""
    report = REPORTS.get(slug)
    if report is None or report not in _offered(request.auth):
        raise not_found(f"No report {slug!r}.")
    given = {"preset": preset, "start": start, "end": end, "grain": grain}
    given |= {name: locals()[name] for name in FILTER_FIELDS}
    unknown = [
        name for name in FILTER_FIELDS if given[name] is not None and name not in report.filters
    ]
    if group is not None and not report.groups:
        unknown.append("group")
    given["group"] = group
    if unknown:
        raise DomainError(
            code="unknown_filter",
            message=f"This report does not filter by {', '.join(unknown)}.",
            field=unknown[0],
        )
    data = QueryDict(mutable=True)
    data.update({k: str(v) for k, v in given.items() if v is not None})
    form = FilterForm(data, offered=report.filters, groups=report.groups)
    if not form.is_valid():
        raise DomainError(
            code="invalid_filters",
            message="The filters are not valid.",
            errors=[
                FieldError(field, "invalid", str(message))
                for field, messages in form.errors.items()
                for message in messages
            ],
        )
    filters = form.filters()
    result = report.build(filters, Scope.for_user(request.auth))
    chart = result.chart
    return {
        **_info(report),
        "applied": {
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            "preset": filters.preset,
            "grain": filters.grain,
            "group": filters.group,
            **{name: getattr(filters, name) for name in FILTER_FIELDS},
        },
        "columns": _columns(result.columns),
        "rows": _rows(result.rows),
        "chart": None
        if chart is None
        else {
            "title": str(chart.title),
            "kind": chart.kind,
            "labels": chart.data["labels"],
            "series": [{"label": s["label"], "values": s["values"]} for s in chart.data["series"]],
        },
        "notes": [str(note) for note in result.notes],
        "tables": [
            {
                "key": table.key,
                "title": str(table.title),
                "columns": _columns(table.columns),
                "rows": _rows(table.rows),
            }
            for table in result.tables
        ],
    }


def _columns(columns: list[Column]) -> list[dict]:
    return [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in columns]


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):  # an instant (a "datetime" column)
        return value.isoformat()
    return str(value) if not hasattr(value, "__float__") else float(value)
