"""The figures of benchmarks/run_all.py and how they are printed: one row per page with p50,
p95 and requests per second at each size side by side and the growth of p95 from the first
size to the last; then the other measures (the SLA sweep, the workers, a web worker's memory)
and the targets of issue 16 checked. Plain Python, no Django: tests/devtools test it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

# The targets (2-core machine, PostgreSQL, the largest size).
P95_MS = 100.0  # every page and API list
GROWTH = 0.20  # ... and within 20 % of its figure at the smallest size
API_CREATE_PER_S = 150.0  # API ticket creation with two web workers
RSS_MB = 250.0  # a web worker through the run


@dataclass
class Measure:
    """One page at one size: each request's wall time (ms) and the run's wall time."""

    ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    saved: dict | None = None  # the figures of a run read back from its JSON (``as_dict``)

    @property
    def p50(self) -> float:
        if self.saved:
            return self.saved["p50"]
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        if self.saved:
            return self.saved["p95"]
        if len(self.ms) < 2:
            return self.ms[0] if self.ms else float("nan")
        return statistics.quantiles(self.ms, n=20, method="inclusive")[18]

    @property
    def per_second(self) -> float:
        if self.saved:
            return self.saved["per_second"]
        return len(self.ms) / self.seconds if self.seconds else float("nan")

    def as_dict(self) -> dict:
        return {
            "p50": round(self.p50, 1),
            "p95": round(self.p95, 1),
            "per_second": round(self.per_second, 1),
            "requests": len(self.ms),
            "errors": self.errors,
        }


@dataclass
class Run:
    """Everything measured at one size."""

    tickets: int
    pages: dict[str, Measure] = field(default_factory=dict)
    # other figures: "SLA sweep ms", "worker events/s", "web worker RSS MB", ...
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> Run:
        """A run as ``as_dict`` saved it (run_all.py --json), for ``table`` and ``targets``."""
        return cls(
            tickets=data["tickets"],
            pages={
                name: Measure(errors=saved.get("errors", 0), saved=saved)
                for name, saved in data["pages"].items()
            },
            figures=data.get("figures", {}),
            notes=data.get("notes", []),
        )

    def as_dict(self) -> dict:
        return {
            "tickets": self.tickets,
            "pages": {name: m.as_dict() for name, m in self.pages.items()},
            "figures": self.figures,
            "notes": self.notes,
        }


def _size(tickets: int) -> str:
    if tickets % 1_000_000 == 0:
        return f"{tickets // 1_000_000}M"
    if tickets % 1_000 == 0:
        return f"{tickets // 1_000}k"
    return f"{tickets:,}"


def _num(value: float, width: int) -> str:
    if value != value:  # NaN: not measured
        return "—".rjust(width)
    return f"{value:{width}.1f}" if value < 1000 else f"{value:{width},.0f}"


def _growth(first: float, last: float) -> str:
    if first != first or last != last or not first:
        return "—"
    return f"{(last - first) / first:+.0%}"


def table(runs: list[Run]) -> str:
    """The pages side by side: p50 / p95 (ms) and req/s per size, and the p95's growth."""
    names = list(dict.fromkeys(name for run in runs for name in run.pages))
    figures = list(dict.fromkeys(name for run in runs for name in run.figures))
    width = max([len(n) for n in names + figures] + [20])
    head = f"{'page':{width}}"
    sub = " " * width
    for run in runs:
        head += f" | {_size(run.tickets) + ' tickets':^24}"
        sub += f" | {'p50':>7} {'p95':>7} {'req/s':>8}"
    head += " | growth"
    sub += " |   p95"
    lines = [head, sub, "-" * len(sub)]
    for name in names:
        line = f"{name:{width}}"
        for run in runs:
            m = run.pages.get(name)
            if m is None:
                line += f" | {'':7} {'':7} {'':8}"
            else:
                errors = f" ({m.errors} errors)" if m.errors else ""
                line += f" | {_num(m.p50, 7)} {_num(m.p95, 7)} {_num(m.per_second, 8)}{errors}"
        first, last = runs[0].pages.get(name), runs[-1].pages.get(name)
        growth = _growth(first.p95, last.p95) if first and last and len(runs) > 1 else "—"
        lines.append(f"{line} | {growth:>5}")
    if figures:
        lines.append("")
        for name in figures:
            line = f"{name:{width}}"
            for run in runs:
                value = run.figures.get(name, float("nan"))
                line += f" | {_num(value, 24)}"
            first = runs[0].figures.get(name, float("nan"))
            last = runs[-1].figures.get(name, float("nan"))
            lines.append(f"{line} | {_growth(first, last) if len(runs) > 1 else '—':>5}")
    return "\n".join(lines)


def targets(runs: list[Run], *, api_create: str, rss: str) -> list[str]:
    """Each target of the issue, met or not, at the largest size (``api_create``: the page
    name of API ticket creation; ``rss``: the figure name of a web worker's largest RSS)."""
    if not runs:
        return []
    first, last = runs[0], runs[-1]
    lines = []
    slow = [n for n, m in last.pages.items() if m.p95 > P95_MS]
    lines.append(
        f"{'MET ' if not slow else 'MISS'} p95 under {P95_MS:.0f} ms at {_size(last.tickets)}"
        + (f": over it {', '.join(slow)}" if slow else "")
    )
    if len(runs) > 1:
        grew = [
            n
            for n, m in last.pages.items()
            if n in first.pages and m.p95 > first.pages[n].p95 * (1 + GROWTH)
        ]
        lines.append(
            f"{'MET ' if not grew else 'MISS'} p95 within {GROWTH:.0%} of its "
            f"{_size(first.tickets)} figure" + (f": grew {', '.join(grew)}" if grew else "")
        )
    create = last.pages.get(api_create)
    if create is not None:
        ok = create.per_second >= API_CREATE_PER_S
        lines.append(
            f"{'MET ' if ok else 'MISS'} API ticket creation ≥ {API_CREATE_PER_S:.0f}/s: "
            f"{create.per_second:.1f}/s"
        )
    worst = max((run.figures.get(rss, 0.0) for run in runs), default=0.0)
    if worst:
        ok = worst < RSS_MB
        lines.append(
            f"{'MET ' if ok else 'MISS'} web worker RSS under {RSS_MB:.0f} MB: "
            f"at most {worst:.0f} MB"
        )
    return lines
