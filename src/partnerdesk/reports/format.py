"""How a report's raw figures read: on the page (localised, durations in words), in the CSV
(plain numbers a spreadsheet sums: hours, percentages) and in the API (the raw values)."""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .registry import Column


def duration(seconds: float | None) -> str:
    """A duration in words, to the minute: "45 min", "3 h 20 min", "2 d 4 h"."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return (
            _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
            if minutes
            else _("%(h)d h") % {"h": hours}
        )
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d d") % {"d": days}


def display(column: Column, value: Any) -> str:
    if value is None:
        return "—"
    if column.kind == "count":
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if column.kind == "share":
        return formats.number_format(round(100 * value, 1), 1, use_l10n=True) + " %"
    if column.kind == "seconds":
        return duration(value)
    if column.kind == "number":
        return formats.number_format(value, 2, use_l10n=True)
    if column.kind == "datetime":
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return str(value)


def csv_header(columns: list[Column]) -> list[str]:
    suffix = {"seconds": " (h)", "share": " (%)"}
    return [f"{column.label}{suffix.get(column.kind, '')}" for column in columns]


def csv_values(columns: list[Column], row: dict[str, Any]) -> list[Any]:
    values = []
    for column in columns:
        value = row.get(column.key)
        if value is not None and column.kind == "seconds":
            value = round(value / 3600, 2)
        elif value is not None and column.kind == "share":
            value = round(100 * value, 1)
        elif value is not None and column.kind == "number":
            value = round(value, 2)  # as the page shows it
        elif value is not None and column.kind == "datetime":
            value = value.isoformat()
        values.append("" if value is None else value)
    return values
