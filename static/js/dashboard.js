// The dashboard's forecast chart: open estimated and weighted value by month. The numbers come
// from the page (json_script "forecast-data"); the table below the chart shows the same numbers.
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("forecast-chart");
    var source = document.getElementById("forecast-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var locale = document.documentElement.lang || undefined;
    var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var exact = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.estimatedLabel, data: data.estimated, backgroundColor: "rgba(31, 95, 168, 0.35)", borderColor: "#1f5fa8", borderWidth: 1 },
          { label: data.weightedLabel, data: data.weighted, backgroundColor: "#1f5fa8" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, ticks: { callback: function (value) { return number.format(value); } } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + exact.format(context.parsed.y) + "\u00a0" + data.currency;
              }
            }
          }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
