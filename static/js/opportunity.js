// Action dialogs of an opportunity (detail page and board) and the live figures of the activate
// and update forms. The server stays the authority: these figures are a preview.
(function () {
  "use strict";

  var lastTrigger = null;

  // --- decimal arithmetic in hundredths (BigInt), rounding half-up like the service -------------
  function hundredths(text) {
    var match = /^\s*(\d*)(?:[.,](\d*))?\s*$/.exec(text || "");
    if (!match || (match[1] === "" && !match[2])) return null;
    var whole = BigInt(match[1] || "0");
    var frac = ((match[2] || "") + "000").slice(0, 3);
    var value = whole * 100n + BigInt(frac.slice(0, 2));
    if (Number(frac[2]) >= 5) value += 1n;
    return value;
  }
  function divHalfUp(numerator, denominator) {
    return (numerator + denominator / 2n) / denominator;
  }
  function probability(method, chances, completed) {
    if (method === "multiply") return divHalfUp(chances * completed, 10000n);
    if (method === "add") return divHalfUp(chances + completed, 2n);
    if (method === "chances_of_success") return chances;
    return completed;
  }
  function format(valueHundredths, options) {
    var lang = document.documentElement.lang || undefined;
    var number = Number(valueHundredths) / 100;
    return new Intl.NumberFormat(lang, options).format(number);
  }

  function parseStages(form) {
    return (form.dataset.stages || "").split(",").filter(Boolean).map(function (part) {
      var bits = part.split(":");
      return { stage: bits[0], completed: hundredths(bits[1]), chances: hundredths(bits[2]) };
    });
  }

  function targetStage(form, stages) {
    if ("targetFirst" in form.dataset) return { stage: stages[0], moves: true };
    var index = stages.findIndex(function (s) { return s.stage === form.dataset.current; });
    var action = form.elements.action ? form.elements.action.value : "update";
    var chosen = form.elements.stage ? form.elements.stage.value : "";
    var target = null;
    if (action === "next") target = stages[index + 1];
    else if (action === "previous") target = stages[index - 1];
    else if (action === "update") target = stages[index];
    else target = stages.find(function (s) { return s.stage === chosen; });
    return { stage: target || null, moves: !!target && index >= 0 && target !== stages[index] };
  }

  function updateFigures(form) {
    var out = function (name) { return form.querySelector('[data-out="' + name + '"]'); };
    var stages = parseStages(form);
    var stageField = form.querySelector('[data-field="stage"]');
    if (stageField && form.elements.action) {
      var needsStage = ["skip", "jump"].indexOf(form.elements.action.value) >= 0;
      stageField.hidden = !needsStage;
    }
    var target = targetStage(form, stages);
    if (!target.stage) {
      ["completed", "probability", "weighted"].forEach(function (n) { out(n).textContent = "—"; });
      return;
    }
    var chances = hundredths(form.elements.chances_of_success_pct.value);
    if (chances === null) {
      chances = target.moves && target.stage.chances > 0n ? target.stage.chances : hundredths(form.dataset.currentChances) || 0n;
    }
    var value = hundredths(form.elements.estimated_value.value) || 0n;
    var completed = target.stage.completed;
    var prob = probability(form.dataset.method, chances, completed);
    var weighted = divHalfUp(value * prob, 10000n);
    out("completed").textContent = format(completed, { maximumFractionDigits: 2 }) + "\u00a0%";
    out("probability").textContent = format(prob, { maximumFractionDigits: 2 }) + "\u00a0%";
    out("weighted").textContent = format(weighted, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) +
      "\u00a0" + (form.dataset.currency || "");
  }

  function bindForms(root) {
    root.querySelectorAll("form[data-live-figures]").forEach(function (form) {
      if (form.dataset.liveBound) return;
      form.dataset.liveBound = "1";
      form.addEventListener("input", function () { updateFigures(form); });
      form.addEventListener("change", function () { updateFigures(form); });
      updateFigures(form);
    });
  }

  function showDialogs(root) {
    root.querySelectorAll("dialog[data-autoshow]").forEach(function (dialog) {
      if (dialog.open) return;
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (lastTrigger && document.body.contains(lastTrigger)) lastTrigger.focus();
      });
      dialog.addEventListener("click", function (event) {
        if (event.target.closest("[data-close-dialog]")) dialog.close();
      });
      dialog.showModal();
      // Focus the first field with an error, else the first field of the form.
      var focus = dialog.querySelector(".has-error input, .has-error select, .has-error textarea") ||
        dialog.querySelector(".action-form select:not([hidden]), .action-form input:not([type=hidden]), .action-form button[type=submit]");
      if (focus) focus.focus();
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.closest && !event.target.closest("dialog")) lastTrigger = event.target;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    bindForms(event.target);
    showDialogs(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () { bindForms(document); });

  window.crmOpportunity = { showDialogs: showDialogs };
})();
