"""benchmarks/run_all.py's table and target checks (the formatting only: no server runs)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "_report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("bench_report", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_report"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def measure(report, ms, seconds=1.0, errors=0):
    return report.Measure(ms=list(ms), seconds=seconds, errors=errors)


def test_sizes_side_by_side_with_the_growth_of_p95(report):
    small = report.Run(tickets=100_000)
    small.pages["staff home"] = measure(report, [40.0] * 19 + [50.0], seconds=2.0)
    small.pages["ticket creation: API"] = measure(report, [5.0] * 20, seconds=0.1)
    small.figures["web worker RSS MB (max)"] = 120.0
    big = report.Run(tickets=1_000_000)
    big.pages["staff home"] = measure(report, [80.0] * 19 + [100.0], seconds=2.0, errors=1)
    big.pages["ticket creation: API"] = measure(report, [6.0] * 20, seconds=0.2)
    big.figures["web worker RSS MB (max)"] = 180.0

    text = report.table([small, big])
    lines = text.splitlines()
    assert "100k tickets" in lines[0] and "1M tickets" in lines[0] and "growth" in lines[0]
    assert lines[1].split() == ["|", "p50", "p95", "req/s", "|", "p50", "p95", "req/s", "|", "p95"]
    home = next(line for line in lines if line.startswith("staff home"))
    assert "40.0" in home and "80.0" in home and "10.0" in home  # p50s and 20 req / 2 s
    assert "(1 errors)" in home
    assert home.rstrip().endswith("+100%")  # p95 40.5 -> 81.0
    rss = next(line for line in lines if line.startswith("web worker RSS"))
    assert "120.0" in rss and "180.0" in rss and rss.rstrip().endswith("+50%")

    checks = report.targets(
        [small, big], api_create="ticket creation: API", rss="web worker RSS MB (max)"
    )
    assert checks[0].startswith("MET")  # p95 81 ms: under 100
    assert checks[1].startswith("MISS") and "staff home" in checks[1]  # grew by 100 %
    assert checks[2].startswith("MISS") and "100.0/s" in checks[2]  # 20 in 0.2 s
    assert checks[3].startswith("MET") and "180 MB" in checks[3]


def test_one_size_and_missing_figures(report):
    run = report.Run(tickets=1_234)
    run.pages["board"] = measure(report, [150.0, 250.0], seconds=0.5)
    text = report.table([run])
    assert "1,234 tickets" in text
    assert text.splitlines()[-1].rstrip().endswith("—")  # no growth with one size
    checks = report.targets([run], api_create="ticket creation: API", rss="rss")
    assert len(checks) == 1 and checks[0].startswith("MISS") and "board" in checks[0]
    assert run.as_dict()["pages"]["board"] == {
        "p50": 200.0,
        "p95": 245.0,
        "per_second": 4.0,
        "requests": 2,
        "errors": 0,
    }
    assert report.Measure().p95 != report.Measure().p95  # NaN when nothing was measured


def test_saved_runs_read_back_for_the_table(report):
    run = report.Run(tickets=100_000)
    run.pages["board"] = measure(report, [150.0, 250.0], seconds=0.5)
    run.figures["SLA sweep ms (nothing due)"] = 12.5
    again = report.Run.from_dict(run.as_dict())
    assert again.pages["board"].p95 == 245.0 and again.pages["board"].per_second == 4.0
    assert report.table([again]) == report.table([run])
