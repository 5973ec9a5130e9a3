/* The secretariat's review dashboard: draws the charts with the vendored Apache ECharts from the data the page
 * embeds with json_script (#review-chart-data). Every chart has a table beside it, so the page says the same
 * without this script. */
(function () {
  "use strict";

  var charts = [];

  function chartIn(element) {
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    charts.push(chart);
    return chart;
  }

  function stageOf(data, code) {
    for (var i = 0; i < data.stages.length; i += 1) {
      if (data.stages[i].code === code) {
        return data.stages[i];
      }
    }
    return null;
  }

  function radarOption(data, entry) {
    var series = [];
    data.stages.forEach(function (stage) {
      var values = entry.series[stage.code];
      if (values) {
        series.push({
          name: values.label,
          value: values.shares.map(function (share) { return share === null ? "-" : share; })
        });
      }
    });
    return {
      tooltip: { trigger: "item" },
      legend: { bottom: 0, data: series.map(function (item) { return item.name; }) },
      radar: {
        radius: "62%",
        indicator: data.categories.map(function (category) {
          return { name: category.code + " " + category.name, max: 100 };
        })
      },
      series: [{ type: "radar", areaStyle: { opacity: 0.15 }, data: series }]
    };
  }

  function drawRadar(data) {
    var element = document.getElementById("radar-chart");
    var select = document.getElementById("radar-dossier");
    if (!element || !select || !data.radar.length) {
      return;
    }
    var chart = chartIn(element);
    var show = function () {
      var entry = data.radar[Number(select.value)] || data.radar[0];
      chart.setOption(radarOption(data, entry), true);
    };
    select.addEventListener("change", show);
    show();
  }

  function boxOption(names, boxes, means, axisName, yMin, yMax) {
    return {
      tooltip: { trigger: "item" },
      grid: { left: 70, right: 20, top: 20, bottom: 110 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 45, interval: 0 } },
      yAxis: {
        type: "value",
        name: axisName,
        nameLocation: "middle",
        nameRotate: 90,
        nameGap: 45,
        min: yMin,
        max: yMax
      },
      series: [
        { type: "boxplot", data: boxes },
        { type: "scatter", symbolSize: 7, data: means }
      ]
    };
  }

  function drawStageCharts(data) {
    document.querySelectorAll(".review-chart[data-chart]").forEach(function (element) {
      var stage = stageOf(data, element.dataset.stage);
      if (!stage) {
        return;
      }
      var chart = chartIn(element);
      if (element.dataset.chart === "calibration") {
        chart.setOption(boxOption(
          stage.calibration.map(function (row) { return row.expert + " · " + row.panel; }),
          stage.calibration.map(function (row) { return row.box; }),
          stage.calibration.map(function (row) { return row.mean; }),
          data.labels.difference
        ));
      } else if (element.dataset.chart === "spread") {
        chart.setOption(boxOption(
          stage.spread.map(function (row) { return row.item; }),
          stage.spread.map(function (row) { return row.box; }),
          stage.spread.map(function (row) { return row.mean; }),
          data.labels.percent,
          0,
          100
        ));
      }
    });
  }

  function start() {
    var source = document.getElementById("review-chart-data");
    if (!source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    drawRadar(data);
    drawStageCharts(data);
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
