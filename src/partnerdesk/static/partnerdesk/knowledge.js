// The new-request form's help suggestions (loaded through htmx): "Go on with my request" folds
// the article away and takes the client back to their request; Enter in a field submits the
// request, never a suggestion's "This solved it" (an earlier submit button in the form, which
// the browser would otherwise take as the default one).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) { return; }
    var field = event.target;
    if (!field.matches || !field.matches("input:not([type=submit]):not([type=button])")) { return; }
    var form = field.form;
    var submit = form && form.querySelector("[data-default-submit]");
    if (!submit || !form.querySelector("#help-suggestions [formaction]")) { return; }
    event.preventDefault();
    form.requestSubmit(submit);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-help-close]");
    if (!button) { return; }
    var details = button.closest("details");
    if (details) { details.open = false; }
    var title = document.getElementById("id_title");
    if (title) { title.focus(); }
  });
})();
