// Live totals of the self-assessment: item points = item points × percentage; categories and total follow.
(function () {
  "use strict";
  function show(points) {
    // 7.5 rather than 7.50, 25 rather than 25.00: two decimals at most, trailing zeros dropped.
    return String(Math.round(points * 100) / 100);
  }
  function recompute() {
    var inputs = document.querySelectorAll("input.self-percent");
    var categories = {};
    var total = 0;
    inputs.forEach(function (input) {
      var percent = parseFloat(input.value);
      var points = isNaN(percent) ? 0 : (parseFloat(input.dataset.points) * percent) / 100;
      var cell = input.closest("td").querySelector("output.item-points");
      if (cell) { cell.textContent = show(points); }
      categories[input.dataset.category] = (categories[input.dataset.category] || 0) + points;
      total += points;
    });
    document.querySelectorAll("output.category-total").forEach(function (out) {
      out.textContent = show(categories[out.dataset.category] || 0);
    });
    var totalOut = document.getElementById("self-total");
    if (totalOut) { totalOut.textContent = show(total); }
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("input.self-percent")) { recompute(); }
  });
  document.addEventListener("DOMContentLoaded", recompute);
})();
