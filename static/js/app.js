// Small behaviours shared by every page. No inline scripts anywhere, so that a strict
// Content-Security-Policy can forbid them.
(function () {
  "use strict";

  function autosubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      if (select.dataset.autosubmitBound) return;
      select.dataset.autosubmitBound = "1";
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { autosubmit(document); });
  document.addEventListener("htmx:afterSwap", function (event) { autosubmit(event.target); });
})();
