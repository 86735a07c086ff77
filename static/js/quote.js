// Quote editor: add and remove lines, line amounts and the total computed as the user types
// (quantity × unit price × (1 − discount / 100), half-up to cents, as the service does).
(function () {
  "use strict";

  function parse(text) {
    var match = /^\s*(\d*)(?:[.,](\d*))?\s*$/.exec(text || "");
    if (!match || (match[1] === "" && !match[2])) return null;
    return { whole: BigInt(match[1] || "0"), frac: match[2] || "" };
  }
  // A decimal as an integer scaled by 10^places (extra digits dropped; inputs carry at most `places`).
  function scaled(text, places) {
    var p = parse(text);
    if (!p) return null;
    var frac = (p.frac + "0".repeat(places)).slice(0, places);
    return p.whole * 10n ** BigInt(places) + BigInt(frac || "0");
  }

  function lineAmountCents(row) {
    var get = function (suffix) { var el = row.querySelector('[name$="-' + suffix + '"]'); return el ? el.value : ""; };
    var quantity = scaled(get("quantity"), 4); // 10^4
    var price = scaled(get("unit_price"), 2); // 10^2
    var discount = scaled(get("discount_pct") || "0", 2); // 10^2
    if (quantity === null || price === null || discount === null) return null;
    // q·p·(100 − d)/100 in cents: (q/10^4)(p/10^2)((10000 − D)/10^4) · 100 = q·p·(10000 − D)/10^8
    var numerator = quantity * price * (10000n - discount);
    var denominator = 10n ** 8n;
    return (numerator + denominator / 2n) / denominator;
  }

  function format(cents) {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, {
      minimumFractionDigits: 2, maximumFractionDigits: 2,
    }).format(Number(cents) / 100);
  }

  function recalc(form) {
    var total = 0n;
    form.querySelectorAll("[data-lines] [data-line]").forEach(function (row) {
      var removed = row.querySelector('[name$="-DELETE"]');
      var cents = lineAmountCents(row);
      row.classList.toggle("is-removed", !!(removed && removed.checked));
      row.querySelector("[data-line-amount]").textContent = cents === null ? "" : format(cents);
      if (cents !== null && !(removed && removed.checked)) total += cents;
    });
    form.querySelector("[data-total]").textContent = format(total);
  }

  function addLine(form) {
    var totalInput = form.querySelector('[name$="-TOTAL_FORMS"]');
    var index = Number(totalInput.value);
    var html = form.querySelector("template[data-empty-line]").innerHTML.replace(/__prefix__/g, String(index));
    form.querySelector("[data-lines]").insertAdjacentHTML("beforeend", html);
    totalInput.value = String(index + 1);
    var rows = form.querySelectorAll("[data-lines] [data-line]");
    var first = rows[rows.length - 1].querySelector("input");
    if (first) first.focus();
    recalc(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-quote-editor]").forEach(function (form) {
      form.addEventListener("input", function () { recalc(form); });
      form.addEventListener("change", function () { recalc(form); });
      form.querySelector("[data-add-line]").addEventListener("click", function () { addLine(form); });
      recalc(form);
    });
  });
})();
