"""Front-end files come from our own static files, never a CDN (ARCHITECTURE.md: no CDN at run
time). The charting library is vendored by ``scripts/vendor-static.sh``: the committed build is
what runs, its licence ships with it, the static finder serves it, and the chart include
writes no inline script (the CSP allows none)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from partnerdesk.core.charts import Chart, Series
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "partnerdesk"
VENDOR = SRC / "static" / "vendor"
CHARTJS = "vendor/chartjs/chart.umd.min.js"

# A script or stylesheet from another origin: an absolute or protocol-relative URL.
REMOTE_ASSET = re.compile(
    r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
REMOTE_IMPORT = re.compile(
    r"""(?:@import\s+(?:url\()?\s*["']?|\bimport\s*\(?\s*["']|\bfrom\s+["'])(?:https?:)?//""",
    re.IGNORECASE,
)


def test_chartjs_is_vendored_with_its_licence_and_pinned_version():
    build = VENDOR / "chartjs" / "chart.umd.min.js"
    assert build.is_file()
    name, version = (VENDOR / "chartjs" / "VERSION").read_text().split()
    assert name == "chart.js"
    head = build.read_text(encoding="utf-8")[:200]
    assert f"Chart.js v{version}" in head, "the build is not the version VERSION names"
    assert "MIT" in (VENDOR / "chartjs" / "LICENSE.md").read_text()
    script = (ROOT / "scripts" / "vendor-static.sh").read_text()
    assert f"chart.js {version} sha512-" in script, "the script pins another version"


def test_the_icon_set_is_vendored_with_its_licence_and_pinned_version():
    """Lucide (ISC): one sprite of the icons the script names, nothing else of the package."""
    lucide = VENDOR / "lucide"
    name, version = (lucide / "VERSION").read_text().split()
    assert name == "lucide-static"
    assert "ISC License" in (lucide / "LICENSE").read_text()
    script = (ROOT / "scripts" / "vendor-static.sh").read_text()
    row = re.search(rf"lucide-static {re.escape(version)} sha512-\S+ lucide ([a-z0-9 -]+)", script)
    assert row, "the script pins another version"
    sprite = (lucide / "icons.svg").read_text()
    assert f"lucide-static {version}" in sprite.splitlines()[0]
    assert re.findall(r'<symbol id="([a-z0-9-]+)"', sprite) == row.group(1).split()
    assert sorted(p.name for p in lucide.iterdir()) == ["LICENSE", "VERSION", "icons.svg"]


def test_vendored_builds_name_no_missing_source_map():
    """A ``sourceMappingURL`` to a file we do not ship breaks the production collectstatic
    (the manifest storage rewrites it and fails on the missing map)."""
    for build in VENDOR.rglob("*.js"):
        text = build.read_text(encoding="utf-8")
        for target in re.findall(r"(?m)^//# sourceMappingURL=(\S+)", text):
            assert (build.parent / target).is_file(), f"{build.name} names missing {target}"


def test_the_static_finder_finds_and_serves_the_chart_files(client):
    for path in (CHARTJS, "partnerdesk/charts.js", "partnerdesk/charts.css"):
        assert finders.find(path), path
    response = client.get(f"/{settings.STATIC_URL.strip('/')}/{CHARTJS}")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"/*!\n * Chart.js v")


def test_no_template_or_static_file_loads_from_another_origin():
    templates = [p for p in sorted((SRC / "templates").rglob("*")) if p.is_file()]
    assets = [
        p
        for p in sorted((SRC / "static").rglob("*"))
        if p.suffix in {".js", ".css"} and VENDOR not in p.parents
    ]
    offenders = [
        path.relative_to(ROOT).as_posix()
        for paths, pattern in ((templates, REMOTE_ASSET), (assets, REMOTE_IMPORT))
        for path in paths
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"scripts or styles from another origin (vendor them): {offenders}"


def test_the_patterns_catch_a_cdn():
    assert REMOTE_ASSET.search('<script src="https://cdn.jsdelivr.net/npm/chart.js"></script>')
    assert REMOTE_ASSET.search("<link rel=stylesheet href=//cdn.example/x.css>")
    assert not REMOTE_ASSET.search('<script src="/static/vendor/chartjs/chart.umd.min.js">')
    assert not REMOTE_ASSET.search('<a href="https://academy.hubspot.com/">')
    assert REMOTE_IMPORT.search('@import url("https://fonts.example/a.css");')
    assert REMOTE_IMPORT.search('import x from "https://esm.sh/x";')


@pytest.mark.django_db
def test_a_rendered_page_loads_scripts_and_styles_from_our_static_files_only(admin):
    html = login(admin).get("/app/").content.decode()
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    sources += re.findall(r"<link[^>]*rel=\"stylesheet\"[^>]*href=\"([^\"]+)\"", html)
    assert sources
    static = "/" + settings.STATIC_URL.strip("/") + "/"
    assert [s for s in sources if not s.startswith(static)] == []


def _chart() -> Chart:
    return Chart(
        id="renewals-by-month",
        title="Renewals by month",
        labels=["Jan 2027", "Feb 2027"],
        series=[
            Series("Pending", [3, None]),
            Series("Renewed", [Decimal("1250.50"), 2], colour="#1f7a3d"),
        ],
        kind="bar",
        stacked=True,
    )


def test_the_chart_include_writes_a_data_island_a_canvas_and_the_figures():
    html = render_to_string("includes/chart.html", {"chart": _chart()})
    assert '<figure class="pd-chart" data-chart="renewals-by-month">' in html
    assert '<canvas role="img" aria-label="Renewals by month">' in html
    island = re.search(
        r'<script id="renewals-by-month" type="application/json">(.*?)</script>', html
    )
    assert island and '"values": [1250.5, 2.0]' in island.group(1)
    assert '"kind": "bar"' in island.group(1) and '"stacked": true' in island.group(1)
    # Every <script> is the data island: nothing inline for the CSP to refuse.
    assert len(re.findall(r"<script", html)) == 1
    assert '<th scope="row">Feb 2027</th><td>—</td><td>2</td>' in html
    assert "1,250.5" in html


def test_the_chart_scripts_come_from_our_static_files_with_the_nonce():
    html = render_to_string("includes/chart_scripts.html", {"csp_nonce": "n0nce"})
    assert f'src="{settings.STATIC_URL}{CHARTJS}" defer nonce="n0nce"' in html
    assert f'src="{settings.STATIC_URL}partnerdesk/charts.js" defer nonce="n0nce"' in html
    assert html.index(CHARTJS) < html.index("partnerdesk/charts.js")  # library first


def test_a_chart_refuses_mismatched_series_and_odd_ids():
    with pytest.raises(ValueError, match="values for"):
        Chart(id="c", title="t", labels=["a", "b"], series=[Series("s", [1])])
    with pytest.raises(ValueError, match="plain HTML id"):
        Chart(id="bad id", title="t", labels=[])
