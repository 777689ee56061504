"""Streamed CSV downloads, shared by every export (lists, the partner dashboard, reports)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (=, +, -, @ …) in exported text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[Any], rows: Iterable[Iterable[Any]]):
    """A CSV streamed as it is read (the queries run while it streams), with a BOM so
    spreadsheets open it as UTF-8."""
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"
        yield writer.writerow([str(label) for label in header])
        for row in rows:
            yield writer.writerow([csv_safe(value) for value in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
