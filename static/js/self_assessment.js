// Live totals of the self-assessment: item points = item points × percentage; categories and total follow.
(function () {
  "use strict";
  function recompute() {
    var inputs = document.querySelectorAll("input.self-percent");
    var categories = {};
    var total = 0;
    inputs.forEach(function (input) {
      var percent = parseFloat(input.value);
      var points = isNaN(percent) ? 0 : (parseFloat(input.dataset.points) * percent) / 100;
      var cell = input.closest("td").querySelector("output.item-points");
      if (cell) { cell.textContent = points.toFixed(2).replace(/\.00$/, ""); }
      categories[input.dataset.category] = (categories[input.dataset.category] || 0) + points;
      total += points;
    });
    document.querySelectorAll("output.category-total").forEach(function (out) {
      out.textContent = (categories[out.dataset.category] || 0).toFixed(2).replace(/\.00$/, "");
    });
    var totalOut = document.getElementById("self-total");
    if (totalOut) { totalOut.textContent = total.toFixed(2).replace(/\.00$/, ""); }
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("input.self-percent")) { recompute(); }
  });
  document.addEventListener("DOMContentLoaded", recompute);
})();
