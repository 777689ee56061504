// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Confirm destructive actions: <form data-confirm="Really?">
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();

// ---------------------------------------------------------------- portal: the client's task queue
// Drag an accepted task to a new place; dropping submits the whole order (the move buttons do
// the same without JavaScript).
(function () {
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-sortable] > li");
    if (!item) { return; }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-id"));
  });
  document.addEventListener("dragover", function (event) {
    var over = event.target.closest && event.target.closest("[data-sortable] > li");
    if (!dragged || !over || over === dragged || over.parentNode !== dragged.parentNode) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var form = dragged.closest("form");
    dragged.classList.remove("dragging");
    dragged = null;
    if (form) { form.requestSubmit(); }
  });
})();

// ---------------------------------------------------------------- header: the bell and the menus
// The bell (<details data-bell>) loads its panel when it opens: the latest notifications and
// "Mark all read" (htmx; without JavaScript it opens on a link to the notifications page).
// Escape or a click elsewhere closes an open bell or Settings menu.
(function () {
  function openMenus() {
    return document.querySelectorAll("details[data-bell][open], details.menu[open]");
  }
  document.addEventListener("toggle", function (event) {
    var bell = event.target;
    if (!bell.matches || !bell.matches("details[data-bell]") || !bell.open) { return; }
    var panel = bell.querySelector("[data-bell-panel]");
    if (panel && window.htmx) { window.htmx.trigger(panel, "bell-open"); }
  }, true);  // "toggle" does not bubble
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    openMenus().forEach(function (menu) {
      var inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside) { menu.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });
})();
