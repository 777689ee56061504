// Boards (deals, tickets): move a card and stay on the board.
//
// A drop, a keyboard shortcut or the move dialog posts to the card's move URL with board=1
// (and the board's filters, so the column counts are counted as the board shows them). The
// answer (crm/boards.py) is one of:
//   200  the moved card and every column's head (count, value), and a sentence for the
//        aria-live region;
//   422  the move dialog: the stage asks for properties, or the values were refused (each
//        error beside its field);
//   409  a refusal the dialog cannot fix, shown above the board.
// Anything else, or no answer, is said above the board too. Without JavaScript the move
// button is a link to the board with the dialog open (?move=<id>).
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  var dialog = document.getElementById("board-dialog");
  if (!board || !dialog) { return; }
  var body = dialog.querySelector("[data-board-dialog-body]");
  var live = document.getElementById("board-live");
  var errorBox = document.getElementById("board-error");
  var query = board.getAttribute("data-board-query") || "";
  var returnTo = null;  // the card the dialog is about: focus goes back to it
  var busy = false;  // one move at a time
  var dragged = null;

  // ------------------------------------------------------------ requests and fragments
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }
  function withQuery(url) {
    return query ? url + (url.indexOf("?") < 0 ? "?" : "&") + query : url;
  }
  function send(url, method, data) {
    return fetch(url, {
      method: method,
      body: data || null,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.text().then(function (html) { return { status: response.status, html: html }; });
    });
  }
  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  // ------------------------------------------------------------ what the board says
  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 60);
  }
  function showError(content) {
    errorBox.replaceChildren(content);
    errorBox.hidden = false;
  }
  function showText(text) {
    var p = document.createElement("p");
    p.textContent = text;
    showError(p);
  }
  function clearError() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
  }

  // ------------------------------------------------------------ cards and columns
  function cardOf(element) {
    return element && element.closest ? element.closest("[data-board-card]") : null;
  }
  function cardById(pk) {
    return board.querySelector('[data-board-card][data-pk="' + pk + '"]');
  }
  function columnsList() {
    return Array.prototype.slice.call(board.querySelectorAll("[data-stage]"));
  }
  function columnOf(element) {
    return element.closest("[data-stage]");
  }
  function cardsOf(column) {
    return Array.prototype.slice.call(column.querySelectorAll("[data-board-card]"));
  }
  function focusCard(card) {
    var target = card && card.querySelector("[data-card-focus]");
    if (target) { target.focus(); }
  }
  function newer(a, b) {  // the columns list the newest first
    var sortA = Number(a.getAttribute("data-sort")), sortB = Number(b.getAttribute("data-sort"));
    if (sortA !== sortB) { return sortA > sortB; }
    return Number(a.getAttribute("data-pk")) > Number(b.getAttribute("data-pk"));
  }
  function place(card) {
    var column = board.querySelector('[data-stage="' + card.getAttribute("data-stage-id") + '"]');
    if (!column) { return false; }  // moved off this board
    var list = column.querySelector("[data-board-cards]");
    var before = cardsOf(column).filter(function (other) { return newer(card, other); })[0];
    list.insertBefore(card, before || null);
    return true;
  }
  function applyMove(html, focus) {
    var content = fragment(html);
    var card = content.querySelector("[data-board-card]");
    var old = card && cardById(card.getAttribute("data-pk"));
    var hadFocus = old && old.contains(document.activeElement);
    if (old) { old.remove(); }
    if (card && place(card) && (focus || hadFocus)) { focusCard(card); }
    Array.prototype.forEach.call(content.querySelectorAll("[data-column-head]"), function (head) {
      var current = document.getElementById(head.id);
      if (current) { current.replaceWith(head); }
    });
    var sentence = content.querySelector("[data-board-announce]");
    if (sentence) { announce(sentence.textContent); }
  }

  // ------------------------------------------------------------ moving
  function move(card, url, data, focus) {
    if (busy) { return; }
    busy = true;
    clearError();
    card.classList.add("is-moving");
    card.setAttribute("aria-busy", "true");
    send(url, "POST", data).then(function (answer) {
      if (answer.status === 200) {
        closeDialog(false);
        applyMove(answer.html, focus);
      } else if (answer.status === 422) {
        openDialog(answer.html, card);
      } else if (answer.status === 409) {
        showError(fragment(answer.html));
      } else {
        showText(errorBox.getAttribute("data-failed"));
      }
    }, function () {
      showText(errorBox.getAttribute("data-offline"));
    }).then(function () {
      busy = false;
      card.classList.remove("is-moving");
      card.removeAttribute("aria-busy");
    });
  }
  function moveTo(card, stage, focus) {
    if (card.getAttribute("data-stage-id") === String(stage)) { return; }
    var data = new FormData();
    data.append("stage", stage);
    data.append("board", "1");
    move(card, withQuery(card.getAttribute("data-board-move-url")), data, focus);
  }

  // ------------------------------------------------------------ the dialog
  function focusFirst(selectors) {
    for (var i = 0; i < selectors.length; i++) {
      var target = body.querySelector(selectors[i]);
      if (target) { target.focus(); return; }
    }
  }
  function openDialog(html, card) {
    body.innerHTML = html;
    returnTo = card;
    if (!dialog.open) { dialog.showModal(); }
    focusFirst([
      "[aria-invalid=true]",
      ".errors-box a",
      "[aria-required=true]",
      "fieldset input",
      "[data-board-stage]"
    ]);
  }
  function closeDialog(restoreFocus) {
    var card = returnTo;
    returnTo = null;
    if (dialog.open) { dialog.close(); }
    body.replaceChildren();
    if (restoreFocus && card && card.isConnected) { focusCard(card); }
  }
  function openMoveDialog(card, href) {
    clearError();
    var url = href || card.querySelector("[data-board-move]").getAttribute("href");
    send(withQuery(url), "GET").then(function (answer) {
      if (answer.status === 200) {
        openDialog(answer.html, card);
        focusFirst(["[data-board-stage]"]);
      } else {
        showText(errorBox.getAttribute("data-failed"));
      }
    }, function () { showText(errorBox.getAttribute("data-offline")); });
  }
  // Another stage chosen in the dialog: its form, with the fields that stage asks for (the
  // values typed so far kept where the new form has the same field).
  function changeStage(select) {
    var typed = new FormData(select.form);
    var url = select.getAttribute("data-form-url") + "&to=" + encodeURIComponent(select.value);
    send(url, "GET").then(function (answer) {
      if (answer.status !== 200 || !dialog.open) { return; }
      body.innerHTML = answer.html;
      typed.forEach(function (value, name) {
        var field = body.querySelector('[name="' + name + '"]:not([type=hidden]):not([type=checkbox])');
        if (field && name !== "stage" && typeof value === "string") { field.value = value; }
      });
      focusFirst(["[data-board-stage]"]);
    });
  }

  board.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-board-move]");
    if (!button) { return; }
    event.preventDefault();
    openMoveDialog(cardOf(button), button.getAttribute("href"));
  });
  dialog.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-board-move-form]")) { return; }
    var card = cardById(form.getAttribute("data-card"));
    if (!card) { return; }  // not on this board: post the form as a page
    event.preventDefault();
    move(card, form.getAttribute("action"), new FormData(form), true);
  });
  dialog.addEventListener("change", function (event) {
    if (event.target.matches("[data-board-stage]")) { changeStage(event.target); }
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog || (event.target.closest && event.target.closest("[data-board-dialog-close]"))) {
      event.preventDefault();  // a click on the backdrop, or Cancel
      closeDialog(true);
    }
  });
  dialog.addEventListener("close", function () {  // Escape (the event comes after the fact)
    if (returnTo && !dialog.open) { closeDialog(true); }
  });
  // Opened by the page itself (?move=<id>, the way without JavaScript): make it modal.
  if (dialog.hasAttribute("open")) {
    var opened = body.querySelector("[data-board-move-form]");
    dialog.close();
    if (opened) { openDialog(body.innerHTML, cardById(opened.getAttribute("data-card"))); }
  }

  // ------------------------------------------------------------ drag and drop
  function unmark() {
    Array.prototype.forEach.call(board.querySelectorAll(".drop-target"), function (column) {
      column.classList.remove("drop-target");
    });
  }
  board.addEventListener("dragstart", function (event) {
    var card = cardOf(event.target);
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("application/x-partnerdesk-card", card.getAttribute("data-pk"));
    card.classList.add("is-dragging");
  });
  board.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    dragged = null;
    unmark();
  });
  board.addEventListener("dragover", function (event) {
    var column = dragged && columnOf(event.target);
    if (!column) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      unmark();
      column.classList.add("drop-target");
    }
  });
  board.addEventListener("drop", function (event) {
    var column = dragged && columnOf(event.target);
    if (!column) { return; }
    event.preventDefault();
    var card = dragged;
    unmark();
    moveTo(card, column.getAttribute("data-stage"), false);
  });

  // ------------------------------------------------------------ the keyboard
  // On a card (its title or its move button): M opens the move dialog, [ and ] move it to
  // the previous or next stage, the arrows go to the card above, below, or in the next column.
  function neighbourColumn(column, step) {
    var all = columnsList();
    return all[all.indexOf(column) + step] || null;
  }
  board.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) { return; }
    var card = cardOf(event.target);
    if (!card) { return; }
    var column = columnOf(card);
    var rtl = window.getComputedStyle(board).direction === "rtl";
    var key = event.key;
    if (key === "m" || key === "M") {
      event.preventDefault();
      openMoveDialog(card);
    } else if (key === "[" || key === "]") {
      event.preventDefault();
      var to = neighbourColumn(column, key === "]" ? 1 : -1);
      if (to) { moveTo(card, to.getAttribute("data-stage"), true); }
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      var cards = cardsOf(column);
      var next = cards[cards.indexOf(card) + (key === "ArrowDown" ? 1 : -1)];
      if (next) { event.preventDefault(); focusCard(next); }
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      var step = (key === "ArrowRight") !== rtl ? 1 : -1;
      var index = cardsOf(column).indexOf(card);
      for (var side = neighbourColumn(column, step); side; side = neighbourColumn(side, step)) {
        var there = cardsOf(side);
        if (there.length) {
          event.preventDefault();
          focusCard(there[Math.min(index, there.length - 1)]);
          return;
        }
      }
    }
  });
})();
