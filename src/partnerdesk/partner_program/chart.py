"""Points over time as an inline SVG line chart, drawn on the server.

No chart library and no JavaScript: the page gets the geometry (polyline points, axis ticks,
labels) and the template writes the ``<svg>`` with presentation attributes (allowed by the
strict CSP, unlike inline styles), followed by the same figures as a table for screen readers
and for copying. See docs/architecture.md, *Charts*.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext_lazy as _

# (key, label, colour): the lines drawn, in the order of the legend.
LINES = (
    ("total", _("Combined"), "#213343"),
    ("sourced", _("Sourced"), "#d9431f"),
    ("managed", _("Managed"), "#1f7a3d"),
)


@dataclass
class Line:
    key: str
    label: Any
    colour: str
    points: str  # "x,y x,y …" for <polyline points>
    dots: list[tuple[float, float, Decimal]] = field(default_factory=list)


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    rows: list[dict[str, Any]]  # the figures, for the table under the chart

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _month_label(day: dt.date, first: bool) -> str:
    if first or day.month == 1:
        return formats.date_format(day, "M Y")
    return formats.date_format(day, "M")


def _number(value: float) -> str:
    places = 0 if float(value).is_integer() else 1
    return formats.number_format(round(value, places), places, use_l10n=True, force_grouping=True)


def points_chart(
    figures: list[Any], *, width: int = 720, height: int = 260, ticks: int = 4
) -> Chart:
    """A chart of ``figures`` (objects with ``day``, ``sourced``, ``assisted``, ``managed``,
    ``total``: ``points.Totals``), oldest first."""
    left, right, top, bottom = 56, 16, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([float(getattr(f, key)) for f in figures for key, _label, _c in LINES] or [0.0])
    ceiling = nice_ceiling(highest)
    count = len(figures)

    def x(index: int) -> float:
        if count <= 1:
            return left + plot_w / 2
        return round(left + plot_w * index / (count - 1), 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - value / ceiling), 1)

    lines = []
    for key, label, colour in LINES:
        dots = [(x(i), y(float(getattr(f, key))), getattr(f, key)) for i, f in enumerate(figures)]
        lines.append(
            Line(
                key=key,
                label=label,
                colour=colour,
                points=" ".join(f"{px},{py}" for px, py, _v in dots),
                dots=dots,
            )
        )
    y_ticks = [
        Tick(position=y(ceiling * i / ticks), label=_number(ceiling * i / ticks))
        for i in range(ticks + 1)
    ]
    # At most about eight month labels, always the first and the last.
    every = max(1, math.ceil(count / 8))
    x_ticks = [
        Tick(position=x(i), label=_month_label(f.day, i == 0))
        for i, f in enumerate(figures)
        if i % every == 0 or i == count - 1
    ]
    rows = [
        {
            "day": f.day,
            "sourced": f.sourced,
            "assisted": f.assisted,
            "managed": f.managed,
            "total": f.total,
        }
        for f in figures
    ]
    return Chart(width, height, left, right, top, bottom, lines, y_ticks, x_ticks, rows)
