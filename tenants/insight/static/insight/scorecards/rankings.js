/* The ranking chart: good-review rate per entity (dots) with its 95% Wilson interval (error bars). The data
   comes from the json_script block the page renders next to the table holding the same figures. */
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("ranking-chart");
    var source = document.getElementById("ranking-data");
    if (!holder || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var intervals = data.names.map(function (_, i) { return [i, data.lows[i], data.highs[i]]; });
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      legend: { data: [data.labels.rate, data.labels.interval], top: 0 },
      tooltip: { trigger: "item" },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10); }, max: 100,
               axisLabel: { formatter: "{value}%" } },
      series: [
        { name: data.labels.rate, type: "scatter", data: data.rates, symbolSize: 12, z: 20,
          itemStyle: { color: "#1d4ed8", borderColor: "#fff", borderWidth: 1 } },
        {
          name: data.labels.interval, type: "custom", data: intervals, itemStyle: { color: "#111827" }, z: 10,
          renderItem: function (params, api) {
            var low = api.coord([api.value(0), api.value(1)]);
            var high = api.coord([api.value(0), api.value(2)]);
            var half = Math.min(api.size([1, 0])[0] * 0.15, 8);
            var style = { stroke: "#111827", lineWidth: 2 };
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
              { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: style },
              { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: style }
            ] };
          },
          encode: { x: 0, y: [1, 2] }
        }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
