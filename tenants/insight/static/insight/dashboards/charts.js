/* Draws the dashboards' charts (Apache ECharts, vendored) from the JSON the page embeds with json_script
   (id "insight-charts", one entry per panel): no data is interpolated into scripts. Every chart element
   (data-chart="<panel>") carries an aria-label and sits next to its data table, which stays the accessible
   source of the figures; without JavaScript the tables alone remain. */
(function () {
  "use strict";

  // series colours with at least 3:1 contrast on white (WCAG 1.4.11); text in the page's ink colour
  var PALETTE = ["#1d4ed8", "#15803d", "#b91c1c", "#b45309", "#6d28d9", "#0e7490", "#be185d", "#4d7c0f", "#374151"];
  var COUNT_BARS = "#64748b";
  var INK = "#111827";
  var LINE = "#d1d5db";
  var FONT = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function base(el) {
    return {
      color: PALETTE,
      textStyle: { color: INK, fontFamily: FONT, fontSize: 14 },
      aria: { enabled: true, label: { description: el.getAttribute("aria-label") || "" } },
      animationDuration: 300,
      legend: { type: "scroll", top: 0, textStyle: { color: INK } },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
    };
  }

  function axis(extra) {
    var a = {
      axisLine: { lineStyle: { color: INK } },
      axisLabel: { color: INK, fontSize: 13 },
      splitLine: { lineStyle: { color: LINE } },
      nameTextStyle: { color: INK },
    };
    return Object.assign(a, extra || {});
  }

  function percentLabel(value) {
    return value === null || value === undefined ? "—" : value + "%";
  }

  var BUILD = {
    trend: function (spec, option) {
      option.tooltip = { trigger: "axis", confine: true };
      option.xAxis = axis({ type: "category", data: spec.x });
      option.yAxis = [
        axis({ type: "value", name: spec.countAxis, minInterval: 1 }),
        axis({ type: "value", name: spec.rateAxis, min: 0, max: 100, splitLine: { show: false },
               axisLabel: { color: INK, fontSize: 13, formatter: "{value}%" } }),
      ];
      option.series = [{ type: "bar", name: spec.counts.name, data: spec.counts.data, yAxisIndex: 0,
                         barMaxWidth: 48, itemStyle: { color: COUNT_BARS } }];
      var colours = [PALETTE[1], PALETTE[2], PALETTE[4]];
      spec.rates.forEach(function (s, i) {
        option.series.push({ type: "line", name: s.name, data: s.data, yAxisIndex: 1, symbol: "circle",
                             symbolSize: 7, connectNulls: false, itemStyle: { color: colours[i % colours.length] },
                             lineStyle: { width: 3, type: i === 2 ? "dashed" : "solid" },
                             tooltip: { valueFormatter: percentLabel } });
      });
      if (spec.x.length > 62) {
        option.dataZoom = [{ type: "inside" }, { type: "slider", bottom: 0, height: 24 }];
        option.grid.bottom = 40;
      }
      return option;
    },

    pie: function (spec, option, el) {
      option.tooltip = { trigger: "item", formatter: "{b}: {c} ({d}%)", confine: true };
      option.series = [{ type: "pie", radius: ["38%", "68%"], center: ["50%", "56%"], data: spec.data,
                         // on a phone the legend and the table name the slices; labels would not fit
                         label: { show: el.clientWidth > 480, color: INK, formatter: "{b}\n{d}%" },
                         itemStyle: { borderColor: "#fff", borderWidth: 2 } }];
      return option;
    },

    heatmap: function (spec, option) {
      option.tooltip = { position: "top", confine: true, formatter: function (p) {
        return spec.y[p.value[1]] + " " + spec.x[p.value[0]] + ":00 — " + p.value[2];
      } };
      option.grid.bottom = 64;
      option.grid.top = 16;
      option.xAxis = axis({ type: "category", data: spec.x, name: spec.xName, splitArea: { show: true } });
      option.yAxis = axis({ type: "category", data: spec.y, inverse: true, splitArea: { show: true } });
      option.visualMap = { min: 0, max: Math.max(spec.max, 1), calculable: true, orient: "horizontal",
                           left: "center", bottom: 0, textStyle: { color: INK },
                           inRange: { color: ["#eff6ff", "#60a5fa", "#1e3a8a"] } };
      option.series = [{ type: "heatmap", data: spec.data, itemStyle: { borderColor: "#fff", borderWidth: 1 },
                         emphasis: { itemStyle: { borderColor: INK, borderWidth: 2 } } }];
      return option;
    },

    hbar: function (spec, option, el) {
      // category names get a fixed share of the width (truncated; the tooltip and the table have them whole)
      var labelWidth = Math.min(240, Math.round(el.clientWidth * 0.38));
      option.grid = { left: labelWidth + 16, right: spec.stack ? 24 : 72, top: 40, bottom: 24, containLabel: false };
      option.tooltip = { trigger: "axis", axisPointer: { type: "shadow" }, confine: true };
      if (spec.percent) option.tooltip.valueFormatter = percentLabel;
      option.xAxis = axis({ type: "value", max: spec.percent ? 100 : null, minInterval: spec.percent ? 0 : 1,
                            axisLabel: { color: INK, fontSize: 13, formatter: spec.percent ? "{value}%" : "{value}" } });
      option.yAxis = axis({ type: "category", data: spec.categories, inverse: true,
                            axisLabel: { color: INK, fontSize: 13, width: labelWidth, overflow: "truncate" } });
      option.series = spec.series.map(function (s, i) {
        return { type: "bar", name: s.name, data: s.data, stack: spec.stack ? "total" : undefined,
                 itemStyle: { color: PALETTE[s.colour === undefined ? i : s.colour] },
                 label: { show: !spec.stack, position: "right", color: INK,
                          formatter: function (p) { return spec.percent ? percentLabel(p.value) : p.value; } } };
      });
      if (spec.series.length < 2) {
        option.legend = { show: false };
        option.grid.top = 8;
      }
      return option;
    },
  };

  function height(spec) {
    if (spec.type === "hbar") return Math.max(240, 72 + spec.categories.length * (spec.stack ? 30 : 44));
    return null; // the stylesheet's height
  }

  function draw() {
    var source = document.getElementById("insight-charts");
    if (!source || typeof echarts === "undefined") return;
    var specs = JSON.parse(source.textContent);
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = specs[el.getAttribute("data-chart")];
      if (!spec || !BUILD[spec.type]) return;
      var h = height(spec);
      if (h) el.style.height = h + "px";
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(BUILD[spec.type](spec, base(el), el));
      drawn.push({ chart: chart, spec: spec, el: el });
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(function () {
        drawn.forEach(function (d) {
          d.chart.resize();
          d.chart.setOption(BUILD[d.spec.type](d.spec, base(d.el), d.el), true); // layouts depend on the width
        });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
