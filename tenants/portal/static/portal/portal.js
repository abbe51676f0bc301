/* The portal's trend chart (ECharts, vendored). The same figures are in the table under it; without
 * JavaScript the table alone carries them. The line takes the tenant's brand colour (--brand). */
(function () {
  "use strict";

  function draw() {
    var node = document.getElementById("portal-chart");
    var source = document.getElementById("portal-chart-data");
    if (!node || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var brand = window.getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#1d4ed8";
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      color: [brand],
      aria: { enabled: true },
      grid: { left: 56, right: 16, top: 24, bottom: 48 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; },
      },
      xAxis: { type: "category", data: data.months, axisLabel: { fontSize: 13, rotate: 45 } },
      yAxis: {
        type: "value",
        max: 100,
        min: function (range) { return Math.max(0, Math.floor(range.min / 10) * 10 - 10); },
        axisLabel: { formatter: "{value}%", fontSize: 13 },
      },
      series: [{
        name: data.label,
        type: "line",
        data: data.values,
        connectNulls: false,
        symbolSize: 9,
        lineStyle: { width: 3, color: brand },
        itemStyle: { color: brand },
      }],
    });
    node.setAttribute("data-rendered", "true");
    node.setAttribute("data-color", brand);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
