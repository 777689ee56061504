// The new-request form's help suggestions: "Go on with my request" folds the article away and
// takes the client back to their request. (The suggestions themselves load through htmx.)
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-help-close]");
    if (!button) { return; }
    var details = button.closest("details");
    if (details) { details.open = false; }
    var title = document.getElementById("id_title");
    if (title) { title.focus(); }
  });
})();
