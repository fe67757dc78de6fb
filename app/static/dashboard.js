// Draws the dashboard's charts with plotly.js (served by the app). Without JavaScript
// the tables beside the charts carry the same figures.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var figure = JSON.parse(document.getElementById(element.dataset.chart).textContent);
    figure.layout.width = undefined;
    figure.layout.autosize = true;
    Plotly.newPlot(element, figure.data, figure.layout, {
      displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
      toImageButtonOptions: {format: "png", filename: element.id}
    });
  });
});
