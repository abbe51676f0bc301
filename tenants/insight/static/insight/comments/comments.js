/* The comment analysis page's bar chart (Apache ECharts, vendored): the most mentioned words, bad reviews and
   other ratings stacked. Data comes from the JSON the page embeds with json_script (id "comments-chart"); no data
   is interpolated into scripts. The table below the chart carries the same figures, and is all there is without
   JavaScript. */
(function () {
  "use strict";
  var INK = "#111827";
  var LINE = "#d1d5db";
  var BAD = "#b91c1c";
  var OTHER = "#64748b";
  var FONT = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function draw() {
    var source = document.getElementById("comments-chart");
    var el = document.getElementById("chart-keywords");
    if (!source || !el || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    var terms = spec.terms.slice().reverse(); // the most mentioned on top
    el.style.height = Math.max(300, 24 * terms.length + 72) + "px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      textStyle: { color: INK, fontFamily: FONT, fontSize: 14 },
      aria: { enabled: true, label: { description: el.getAttribute("aria-label") || "" } },
      animationDuration: 300,
      legend: { top: 0, textStyle: { color: INK } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: INK }, splitLine: { lineStyle: { color: LINE } } },
      yAxis: { type: "category", data: terms, axisLabel: { color: INK, fontSize: 13 }, axisLine: { lineStyle: { color: INK } } },
      series: [
        { type: "bar", stack: "n", name: spec.badName, data: spec.bad.slice().reverse(), itemStyle: { color: BAD } },
        { type: "bar", stack: "n", name: spec.otherName, data: spec.other.slice().reverse(), itemStyle: { color: OTHER } },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
