/* Draws every [data-chart] element from the JSON spec next to it, with ECharts (SVG).
   Specs come from sync/server/web/figures.py: {type, horizontal, labels, series:[{name,
   values, stack?, band?}], suppressed}. A null value is a figure about fewer than 5
   residents: no bar is drawn and the tooltip says "<5". No animation, so a printed
   page shows the final chart. */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif';
  var COLORS = ["#1f6feb", "#e8833a", "#2da44e", "#8250df", "#bf3989"];
  var BAND_COLORS = { below: "#d1453b", within: "#2da44e", above: "#1f6feb" };
  var charts = [];

  function draw(el) {
    var holder = document.getElementById(el.id + "-data");
    if (!holder) { return; }
    var spec = JSON.parse(holder.textContent);
    if (!window.echarts) {
      el.textContent = "";
      el.setAttribute("data-rendered", "no-library");
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var category = {
      type: "category",
      data: spec.labels,
      axisLabel: { fontFamily: FONT, hideOverlap: true },
      axisTick: { alignWithLabel: true }
    };
    var value = { type: "value", minInterval: 1, axisLabel: { fontFamily: FONT } };
    var series = spec.series.map(function (s, i) {
      return {
        name: s.name,
        type: spec.type,
        data: s.values,
        stack: s.stack,
        showSymbol: spec.type === "line" ? false : undefined,
        connectNulls: false,
        barMaxWidth: 28,
        itemStyle: { color: (s.band && BAND_COLORS[s.band]) || COLORS[i % COLORS.length] }
      };
    });
    if (spec.type === "bar") {
      // A "<5" mark on the axis where a figure is suppressed, so a gap is not read as zero.
      var hiddenAt = spec.labels.map(function (_label, i) {
        return spec.series.some(function (s) { return s.values[i] === null; });
      });
      series.push({
        name: spec.suppressed,
        type: "scatter",
        symbolSize: 0,
        silent: true,
        tooltip: { show: false },
        data: spec.labels.map(function (label, i) {
          if (!hiddenAt[i]) { return null; }
          return spec.horizontal ? [0, label] : [label, 0];
        }),
        label: {
          show: true,
          formatter: spec.suppressed,
          position: spec.horizontal ? "right" : "top",
          color: "#667085",
          fontFamily: FONT,
          fontSize: 11
        }
      });
    }
    var shownSeries = series.filter(function (s) { return s.type !== "scatter"; });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 16, top: shownSeries.length > 1 ? 32 : 16, bottom: 8, containLabel: true },
      legend: shownSeries.length > 1
        ? { top: 0, data: shownSeries.map(function (s) { return s.name; }), textStyle: { fontFamily: FONT } }
        : undefined,
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null || v === undefined ? spec.suppressed : v; }
      },
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? category : value,
      series: series
    });
    charts.push(chart);
    el.setAttribute("data-rendered", "yes");
  }

  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }

  document.querySelectorAll("[data-chart]").forEach(draw);
  window.addEventListener("resize", resizeAll);
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
