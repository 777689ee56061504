// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Confirm destructive actions: <form data-confirm="Really?">
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Drag a board tile onto a column to move it (the tile's form posts the move);
  // keyboard users use the select in each tile.
  document.addEventListener("dragstart", function (event) {
    var tile = event.target.closest && event.target.closest("[data-move-url]");
    if (tile) { event.dataTransfer.setData("text/plain", tile.id); }
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest("[data-stage]");
    if (column) { event.preventDefault(); column.classList.add("drop-target"); }
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest("[data-stage]");
    if (column) { column.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest("[data-stage]");
    if (!column) { return; }
    event.preventDefault();
    column.classList.remove("drop-target");
    var tile = document.getElementById(event.dataTransfer.getData("text/plain"));
    if (!tile) { return; }
    var form = tile.querySelector("form.move");
    form.querySelector("select[name=stage]").value = column.getAttribute("data-stage");
    form.requestSubmit();
  });
})();
