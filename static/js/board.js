// Pipeline board: dragging a card to another column opens the update dialog (opportunity.js)
// with the matching action; the server decides. Each card's "Move…" button is the keyboard path.
(function () {
  "use strict";

  var dragged = null;

  function say(text) {
    var status = document.querySelector("[data-board-status]");
    if (status) status.textContent = text;
  }

  function nextParam() {
    return "next=" + encodeURIComponent(window.location.pathname + window.location.search);
  }

  // The dialog URL for dropping `card` on `column`, or null when the drop means nothing.
  function dropUrl(card, column) {
    var from = Number(card.dataset.index);
    var to = Number(column.dataset.index);
    var stageNo = column.dataset.stageNo;
    if (card.dataset.status === "not_started") {
      return to >= 0 ? card.dataset.activateUrl + "?" + nextParam() : null;
    }
    if (to < 0 || to === from) return null;
    var action;
    if (to === from + 1) action = "next";
    else if (to > from) action = "skip";
    else if (to === from - 1) action = "previous";
    else action = "jump";
    return card.dataset.updateUrl + "?action=" + action + "&stage=" + encodeURIComponent(stageNo) + "&" + nextParam();
  }

  function bind(root) {
    root.querySelectorAll("[data-card]").forEach(function (card) {
      if (card.dataset.dragBound) return;
      card.dataset.dragBound = "1";
      card.addEventListener("dragstart", function (event) {
        dragged = card;
        card.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", card.dataset.no);
      });
      card.addEventListener("dragend", function () {
        card.classList.remove("is-dragging");
        document.querySelectorAll(".board-column.is-over").forEach(function (c) { c.classList.remove("is-over"); });
        dragged = null;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bind(document);
    document.querySelectorAll("[data-column]").forEach(function (column) {
      column.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        column.classList.add("is-over");
      });
      column.addEventListener("dragleave", function (event) {
        if (!column.contains(event.relatedTarget)) column.classList.remove("is-over");
      });
      column.addEventListener("drop", function (event) {
        event.preventDefault();
        column.classList.remove("is-over");
        if (!dragged) return;
        var url = dropUrl(dragged, column);
        if (!url) return;
        say(dragged.dataset.no);
        // The dialog keeps focus on return to the card's Move button.
        var move = dragged.querySelector("[data-move]");
        htmx.ajax("GET", url, { target: "#dialog-host", swap: "innerHTML", source: move || dragged });
      });
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) { bind(event.target); });
})();
