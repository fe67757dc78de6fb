// Draws the dashboard's charts with plotly.js (served by the app). Without JavaScript
// the tables beside the charts carry the same figures.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var figure = JSON.parse(document.getElementById(element.dataset.chart).textContent);
    var layout = figure.layout;
    // The heading above says what the chart shows; plotly does not wrap a long title,
    // which a phone would cut off. Downloaded charts keep their title.
    layout.title = undefined;
    layout.margin = Object.assign({}, layout.margin, {t: 24});
    layout.width = undefined;
    layout.autosize = true;
    if (layout.yaxis && layout.yaxis.scaleanchor) {
      // A map keeps its proportions: no empty band above and below it on a phone.
      layout.height = Math.min(layout.height, Math.max(240, element.clientWidth));
    }
    // Downloads come from the server (the links below each chart): plotly's own image
    // button draws through a blob: image, which the CSP refuses, and "share" would send
    // the figures to a plotly server.
    Plotly.newPlot(element, figure.data, layout, {
      displaylogo: false, responsive: true, showSendToCloud: false,
      modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d", "autoScale2d"]
    });
  });
});
