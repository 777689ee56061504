"""The shape of a chart a page draws with the vendored charting library (Chart.js).

A view builds a :class:`Chart` and the template includes ``includes/chart.html`` with it (and
``includes/chart_scripts.html`` once per page). The include writes the figures twice: as a
JSON data island for ``static/partnerdesk/charts.js`` (``json_script``, so no inline script
under the CSP) and as a table, for screen readers and for pages without JavaScript.
Labels are text the server has already localised (dates, months); values are numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Number = int | float | Decimal | None

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass
class Series:
    """One line, or one colour of bars: a value per label (None: no figure)."""

    label: Any  # str or a lazy translation
    values: Sequence[Number]
    colour: str = ""  # "#rrggbb"; blank: the palette's next colour


@dataclass
class Chart:
    id: str  # the data island's element id, unique on the page
    title: Any  # what it shows, read out by screen readers and written under the chart
    labels: Sequence[Any]
    series: list[Series] = field(default_factory=list)
    kind: Literal["line", "bar"] = "line"
    stacked: bool = False  # bars of each label on top of each other

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"chart id {self.id!r} is not a plain HTML id")
        if self.kind not in ("line", "bar"):
            raise ValueError(f"chart kind {self.kind!r}: line or bar")
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(
                    f"series {series.label!s}: {len(series.values)} values for "
                    f"{len(self.labels)} labels"
                )

    @property
    def data(self) -> dict:
        """What ``charts.js`` reads (numbers as JSON numbers, labels as text)."""
        return {
            "kind": self.kind,
            "stacked": self.stacked,
            "labels": [str(label) for label in self.labels],
            "series": [
                {
                    "label": str(s.label),
                    "colour": s.colour,
                    "values": [None if v is None else float(v) for v in s.values],
                }
                for s in self.series
            ],
        }

    @property
    def rows(self) -> list[tuple[Any, list[Number]]]:
        """The figures as table rows: (label, value of each series)."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]
