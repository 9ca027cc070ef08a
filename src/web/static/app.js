// Drag a card to another column: the dialog of that column asks for what the fact needs,
// then the form is posted like any other. Cancelled, or refused by the server (which
// re-renders the board from the log), the card is back in its column. Listeners sit on the
// document, so they keep working after htmx swaps the page body.
(function () {
  "use strict";
  let dragged = null;
  let home = null;
  let sent = false;

  function cardOf(target) {
    return target instanceof Element ? target.closest("a.card[draggable=true]") : null;
  }
  function columnOf(target) {
    return target instanceof Element ? target.closest("[data-column]") : null;
  }
  function putBack() {
    if (dragged && home && !sent) {
      home.querySelector(".cards").appendChild(dragged.parentElement);
    }
    dragged = null;
    home = null;
  }

  document.addEventListener("dragstart", function (event) {
    const card = cardOf(event.target);
    if (!card) return;
    dragged = card;
    home = columnOf(card);
    sent = false;
    event.dataTransfer.setData("text/plain", card.dataset.app);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    document.querySelectorAll(".dragging, .drop-here").forEach(function (el) {
      el.classList.remove("dragging", "drop-here");
    });
  });
  document.addEventListener("dragover", function (event) {
    const column = dragged && columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-here");
  });
  document.addEventListener("dragleave", function (event) {
    const column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-here");
  });
  document.addEventListener("drop", function (event) {
    const column = dragged && columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-here");
    if (column === home) {
      dragged = null;
      return;
    }
    column.querySelector(".cards").appendChild(dragged.parentElement);
    const state = column.dataset.column;
    const dialog = document.getElementById("move-" + state);
    if (dialog) {
      const form = dialog.querySelector("form");
      form.reset();
      form.elements.application.value = dragged.dataset.app;
      dialog.querySelector("[data-company]").textContent = dragged.dataset.company;
      dialog.showModal();
      const first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    } else {
      // No fact leads there (back to applied): the server says why, the card goes back.
      const form = document.getElementById("move-direct");
      form.elements.application.value = dragged.dataset.app;
      form.elements.to.value = state;
      sent = true;
      form.requestSubmit();
    }
  });
  document.addEventListener("click", function (event) {
    const cancel = event.target instanceof Element && event.target.closest("[data-cancel]");
    if (cancel) cancel.closest("dialog").close();
    if (event.target instanceof Element && event.target.closest("[data-print]")) window.print();
  });
  // The print button needs a script: shown only when there is one (after each page swap too).
  function showPrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", showPrintButtons);
  document.addEventListener("htmx:afterSettle", showPrintButtons);
  document.addEventListener("submit", function (event) {
    if (event.target instanceof Element && event.target.closest("dialog.move")) sent = true;
  }, true);
  // "close" does not bubble: listen while it goes down to the dialog.
  document.addEventListener("close", function (event) {
    if (event.target instanceof Element && event.target.matches("dialog.move")) putBack();
  }, true);
})();
