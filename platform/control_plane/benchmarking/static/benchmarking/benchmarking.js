/* Charts of the benchmarking pages (ECharts, SVG renderer). The figures come from the json_script blocks the
   pages render beside the tables that hold the same figures; a drawn chart gets data-drawn="1". */
(function () {
  "use strict";
  var BLUE = "#1d4ed8", GREY = "#6b7280", GREEN = "#166534", RED = "#b91c1c";

  function chartIn(id) {
    var holder = document.getElementById(id);
    if (!holder || !window.echarts) { return null; }
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    return { holder: holder, chart: chart };
  }

  function done(c, option) {
    c.chart.setOption(option);
    c.holder.setAttribute("data-drawn", "1");
  }

  function percentAxis() {
    return { type: "value", scale: true, axisLabel: { formatter: "{value}%" } };
  }

  function trend(data) {
    var c = chartIn("trend-chart");
    if (!c) { return; }
    var t = data.trend, labels = data.labels;
    var spread = t.q3.map(function (high, i) {
      return high === null || t.q1[i] === null ? null : Math.round((high - t.q1[i]) * 100) / 100;
    });
    done(c, {
      animation: false,
      grid: { left: 8, right: 32, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0, data: [labels.pooled, labels.median, labels.quartiles] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: t.months, boundaryGap: false },
      yAxis: percentAxis(),
      series: [
        { name: labels.quartiles, type: "line", data: t.q1, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
          tooltip: { show: false } },
        { name: labels.quartiles, type: "line", data: spread, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
          areaStyle: { color: "rgba(29, 78, 216, 0.18)" } },
        { name: labels.median, type: "line", data: t.median, itemStyle: { color: GREY }, lineStyle: { type: "dashed" } },
        { name: labels.pooled, type: "line", data: t.pooled, itemStyle: { color: BLUE }, lineStyle: { width: 3 } }
      ]
    });
  }

  function distribution(data) {
    var d = data.distribution;
    if (!d.bins.length) { return; }
    var c = chartIn("distribution-chart");
    if (!c) { return; }
    done(c, {
      animation: false,
      tooltip: { trigger: "item" },
      grid: [
        { left: 8, right: 16, top: 16, height: "58%", containLabel: true },
        { left: 8, right: 16, bottom: 8, height: "18%", containLabel: true }
      ],
      xAxis: [
        { type: "category", data: d.bins, gridIndex: 0, axisLabel: { rotate: d.bins.length > 8 ? 30 : 0 } },
        { type: "value", gridIndex: 1, scale: true, axisLabel: { formatter: "{value}%" } }
      ],
      yAxis: [
        { type: "value", gridIndex: 0, minInterval: 1, name: data.labels.tenants },
        { type: "category", gridIndex: 1, data: [""], axisTick: { show: false } }
      ],
      series: [
        { name: data.labels.tenants, type: "bar", data: d.counts, xAxisIndex: 0, yAxisIndex: 0, itemStyle: { color: BLUE } },
        { name: data.labels.rate, type: "boxplot", data: [d.box], xAxisIndex: 1, yAxisIndex: 1, layout: "horizontal",
          itemStyle: { color: "#dbeafe", borderColor: BLUE } }
      ]
    });
  }

  function movers(data) {
    var m = data.movers;
    if (!m.names.length) { return; }
    var c = chartIn("movers-chart");
    if (!c) { return; }
    done(c, {
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: m.names, inverse: true },
      series: [{
        name: data.labels.up, type: "bar",
        data: m.changes.map(function (v) { return { value: v, itemStyle: { color: v >= 0 ? GREEN : RED } }; }),
        label: { show: true, position: "right", formatter: function (p) { return (p.value > 0 ? "+" : "") + p.value; } }
      }]
    });
  }

  function regions(data) {
    var c = chartIn("regions-chart");
    if (!c) { return; }
    var values = data.regions.map(function (r) { return r.value; });
    var low = values.length ? Math.min.apply(null, values) : 0;
    var high = values.length ? Math.max.apply(null, values) : 100;
    if (low === high) { low = Math.max(0, low - 1); high = Math.min(100, high + 1); }
    // lower is better: the best regions stay the darkest blue either way
    var colours = data.lower_is_better ? ["#1d4ed8", "#eff6ff"] : ["#eff6ff", "#1d4ed8"];
    if (window.echarts.getMap && window.echarts.getMap("china")) {
      done(c, {
        animation: false,
        tooltip: { trigger: "item", formatter: function (p) {
          return p.data ? p.data.full + ": " + p.data.value + "%" : p.name; } },
        visualMap: { min: low, max: high, calculable: true, left: 8, bottom: 8, text: [high + "%", low + "%"],
                     inRange: { color: colours } },
        series: [{ name: data.labels.rate, type: "map", map: "china", roam: false,
                   emphasis: { label: { show: true } },
                   data: data.regions.map(function (r) { return { name: r.name, value: r.value, full: r.full }; }) }]
      });
      c.holder.setAttribute("data-map", "china");
      return;
    }
    var note = document.createElement("p");  // no map file: provinces as bars
    note.className = "muted";
    note.textContent = data.labels.no_map;
    c.holder.parentNode.insertBefore(note, c.holder);
    done(c, {
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.regions.map(function (r) { return r.full; }), axisLabel: { rotate: 45 } },
      yAxis: percentAxis(),
      series: [{ name: data.labels.rate, type: "bar", data: values, itemStyle: { color: BLUE } }]
    });
  }

  function history(data) {
    var c = chartIn("history-chart");
    if (!c) { return; }
    var labels = data.labels;
    done(c, {
      animation: false,
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0, data: [labels.own, labels.pooled, labels.rank] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.months },
      yAxis: [percentAxis(), { type: "value", inverse: true, minInterval: 1, min: 1, name: labels.rank }],
      series: [
        { name: labels.own, type: "line", data: data.own, itemStyle: { color: BLUE }, lineStyle: { width: 3 } },
        { name: labels.pooled, type: "line", data: data.group, itemStyle: { color: GREY }, lineStyle: { type: "dashed" } },
        { name: labels.rank, type: "line", yAxisIndex: 1, data: data.ranks, itemStyle: { color: "#92400e" },
          lineStyle: { type: "dotted" }, symbol: "diamond", symbolSize: 9 }
      ]
    });
  }

  function draw() {
    var league = document.getElementById("benchmarking-data");
    if (league) {
      var data = JSON.parse(league.textContent);
      trend(data);
      distribution(data);
      movers(data);
      regions(data);
    }
    var own = document.getElementById("history-data");
    if (own) { history(JSON.parse(own.textContent)); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
