// The lead inbox: "select all" for the bulk actions, and only the field the chosen action needs.
// Without JavaScript every field shows and each lead is ticked by itself.
(function () {
  "use strict";

  function setUp(form) {
    var all = form.querySelector("[data-select-all]");
    var boxes = form.querySelectorAll("[data-lead-checkbox]");
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
      });
      boxes.forEach(function (box) {
        box.addEventListener("change", function () {
          var checked = Array.prototype.filter.call(boxes, function (item) { return item.checked; }).length;
          all.checked = checked === boxes.length;
          all.indeterminate = checked > 0 && checked < boxes.length;
        });
      });
    }
    var action = form.querySelector("select[name=action]");
    if (action) {
      var show = function () {
        form.querySelectorAll("[data-bulk-for]").forEach(function (field) {
          field.hidden = field.dataset.bulkFor !== action.value;
        });
      };
      action.addEventListener("change", show);
      show();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-lead-inbox]").forEach(setUp);
  });
})();
