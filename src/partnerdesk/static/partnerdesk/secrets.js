// Secret properties on a record's page (templates/crm/_secret.html). Reveal is plain htmx: the
// server answers the value and records who read it. Here: Hide masks a revealed value again,
// and Copy puts the value the server answers (htmx, hx-swap="none": nothing is shown) on the
// clipboard. The clipboard is written inside the click (a promise of the value), as Safari
// requires; without the Clipboard API (an http:// address) a hidden textarea is copied.
(function () {
  "use strict";
  if (window.partnerdeskSecrets) { return; }  // loaded once per page, whatever includes it
  window.partnerdeskSecrets = true;
  var MASK = "••••••";
  var pending = null;  // the Copy waiting for its answer: {button, resolve, reject}

  function box(element) { return element.closest("[data-secret]"); }

  function say(secret, text) {
    var status = secret && secret.querySelector("[data-secret-status]");
    if (status) { status.textContent = text || ""; }
  }

  function hide(secret) {
    secret.querySelector("[data-secret-value]").textContent = MASK;
    secret.querySelector("[data-secret-hide]").hidden = true;
    var reveal = secret.querySelector("[data-secret-reveal]");
    reveal.hidden = false;
    reveal.focus();
  }

  function copyByHand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } finally { area.remove(); }
    if (!done) { throw new Error("copy refused"); }
  }

  function write(value) {
    var clipboard = navigator.clipboard;
    if (clipboard && clipboard.write && window.ClipboardItem) {
      var blob = value.then(function (text) { return new Blob([text], { type: "text/plain" }); });
      return clipboard.write([new window.ClipboardItem({ "text/plain": blob })]);
    }
    if (clipboard && clipboard.writeText) {
      return value.then(function (text) { return clipboard.writeText(text); });
    }
    return value.then(copyByHand);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-secret-hide], [data-secret-copy]");
    if (!target) { return; }
    var secret = box(target);
    if (target.hasAttribute("data-secret-hide")) { hide(secret); return; }
    // htmx sends the request from its own listener on the button; the answer comes later.
    var value = new Promise(function (resolve, reject) {
      pending = { button: target, resolve: resolve, reject: reject };
    });
    say(secret, "");
    write(value).then(
      function () { say(secret, target.getAttribute("data-copied")); },
      function () { say(secret, target.getAttribute("data-copy-failed")); }
    );
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!pending || event.detail.elt !== pending.button) { return; }
    var copy = pending;
    pending = null;
    var xhr = event.detail.xhr;
    if (!event.detail.successful || !xhr) { copy.reject(new Error("refused")); return; }
    var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var value = answer.querySelector("[data-secret-value]");
    if (value) { copy.resolve(value.textContent); } else { copy.reject(new Error("no value")); }
  });

  // After Reveal, keyboard focus goes to Hide (the button pressed was swapped away).
  document.addEventListener("htmx:load", function (event) {
    var secret = event.detail.elt;
    if (!secret.matches || !secret.matches("[data-secret]")) { return; }
    var hideButton = secret.querySelector("[data-secret-hide]:not([hidden])");
    if (hideButton) { hideButton.focus(); }
  });
})();
