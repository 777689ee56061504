// Charts: draws every <figure class="pd-chart" data-chart="ID"> with Chart.js (vendored under
// static/vendor/chartjs/, loaded before this file by templates/includes/chart_scripts.html).
//
// The figures come from the JSON data island <script type="application/json" id="ID"> that
// {{ chart.data|json_script:chart.id }} writes (core/charts.py shapes it): no inline script,
// so the strict CSP (script-src 'self' + nonce, style-src 'self') holds; Chart.js sizes its
// canvas through the CSSOM, which style-src does not restrict.
//
// Right-to-left pages (dir="rtl" on the figure or an ancestor) get a mirrored chart: time runs
// from right to left, the value axis stands on the right, legend and tooltips read RTL.
// Charts are responsive (they follow the width of their box, see charts.css) and are drawn
// again in content htmx swaps in. Without JavaScript the table of the figures remains.
(function () {
  "use strict";
  if (window.PartnerdeskCharts) { return; } // included twice on a page: draw once
  var PALETTE = ["#213343", "#ff5c35", "#1f7a3d", "#0b63c4", "#a15c00", "#7b4bb3", "#b3261e", "#5d6778"];

  function isRtl(element) {
    var holder = element.closest("[dir]");
    return (holder ? holder.getAttribute("dir") : document.documentElement.dir) === "rtl";
  }

  function language(element) {
    var holder = element.closest("[lang]");
    return (holder && holder.getAttribute("lang")) || undefined;
  }

  function colour(series, index, kind) {
    var base = series.colour || PALETTE[index % PALETTE.length];
    return { border: base, background: kind === "bar" ? base : base + "33" };
  }

  function config(spec, rtl, locale) {
    var datasets = spec.series.map(function (series, index) {
      var c = colour(series, index, spec.kind);
      return {
        label: series.label,
        data: series.values,
        borderColor: c.border,
        backgroundColor: c.background,
        borderWidth: spec.kind === "bar" ? 0 : 2,
        pointRadius: spec.kind === "line" && series.values.length > 24 ? 0 : 3,
        tension: 0.2,
        spanGaps: true
      };
    });
    return {
      type: spec.kind === "bar" ? "bar" : "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: locale,
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { reverse: rtl, stacked: !!spec.stacked, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { position: rtl ? "right" : "left", stacked: !!spec.stacked, beginAtZero: true }
        },
        plugins: {
          legend: { display: datasets.length > 1, rtl: rtl, textDirection: rtl ? "rtl" : "ltr", position: "bottom" },
          tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
          title: { display: false }
        }
      }
    };
  }

  function draw(figure) {
    if (figure.hasAttribute("data-chart-drawn") || typeof window.Chart === "undefined") { return; }
    var island = document.getElementById(figure.getAttribute("data-chart"));
    var canvas = figure.querySelector("canvas");
    if (!island || !canvas) { return; }
    var spec;
    try { spec = JSON.parse(island.textContent); } catch (error) { return; }
    figure.setAttribute("data-chart-drawn", "");
    // eslint-disable-next-line no-new
    new window.Chart(canvas, config(spec, isRtl(figure), language(figure)));
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("figure.pd-chart[data-chart]")) { draw(scope); }
    Array.prototype.forEach.call(scope.querySelectorAll("figure.pd-chart[data-chart]"), draw);
  }

  window.PartnerdeskCharts = { draw: draw, drawAll: drawAll, config: config };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
