// The charts of the reports page. The numbers come from the page (json_script "reports-data");
// the table next to each chart shows the same numbers. Each tab of the page carries only its own
// charts; a chart whose canvas or data is not on the page is skipped.
(function () {
  "use strict";

  var COLOURS = ["rgba(31, 95, 168, 0.35)", "#1f5fa8", "#2e8540", "#c0392b"];

  function chart(id, config, data, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !config || !config.labels.length) return;
    var datasets = config.datasets.map(function (dataset, index) {
      var colour = (options.colours || COLOURS)[index % COLOURS.length];
      return { label: dataset.label, data: dataset.data, backgroundColor: colour, borderColor: colour, borderWidth: 1 };
    });
    var locale = document.documentElement.lang || undefined;
    var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var exact = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var valueAxis = options.horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true,
      stacked: Boolean(options.stacked),
      ticks: { precision: 0, callback: function (value) { return number.format(value); } }
    };
    scales[valueAxis === "x" ? "y" : "x"] = { stacked: Boolean(options.stacked) };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: config.labels, datasets: datasets },
      options: {
        indexAxis: options.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = options.horizontal ? context.parsed.x : context.parsed.y;
                if (options.money) return context.dataset.label + ": " + exact.format(value) + "\u00a0" + data.currency;
                return context.dataset.label + ": " + number.format(value);
              }
            }
          }
        }
      }
    });
  }

  function draw() {
    var source = document.getElementById("reports-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    chart("forecast-chart", data.forecast, data, { money: true, colours: [COLOURS[0], COLOURS[1], COLOURS[2]] });
    chart("close-code-chart", data.closeCodes, data, { colours: [COLOURS[1]] });
    chart("stage-chart", data.stages, data, { stacked: true, colours: [COLOURS[2], COLOURS[3]] });
    chart("funnel-chart", data.funnel, data, { horizontal: true, colours: [COLOURS[1]] });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
