// Target page charts: a calendar heat-map of publications per day and daily availability, drawn
// with the vendored Apache ECharts when it is present. The data comes from a JSON block, not script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var block = document.getElementById("chart-data");
  if (!block || typeof window.echarts === "undefined") return;
  var data = JSON.parse(block.textContent);
  var heat = document.getElementById("heatmap");
  if (heat) {
    var max = data.days.reduce(function (m, d) { return Math.max(m, d[1]); }, 1);
    echarts.init(heat).setOption({
      tooltip: {formatter: function (p) { return p.value[0] + "：" + p.value[1] + " 条"; }},
      visualMap: {min: 0, max: max, show: false, inRange: {color: ["#ebedf0", "#9be9a8", "#40c463", "#216e39"]}},
      calendar: {range: [data.from, data.to], cellSize: ["auto", 13], left: 30, right: 10, top: 20,
                 dayLabel: {nameMap: "ZH"}, monthLabel: {nameMap: "ZH"}, yearLabel: {show: false}},
      series: {type: "heatmap", coordinateSystem: "calendar", data: data.days}
    });
  }
  var avail = document.getElementById("availability");
  if (avail && data.availability.length) {
    echarts.init(avail).setOption({
      grid: {left: 40, right: 10, top: 10, bottom: 30},
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: data.availability.map(function (a) { return a[0]; })},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
      series: [{type: "bar", data: data.availability.map(function (a) { return a[1]; }), itemStyle: {color: "#0b5cad"}}]
    });
  }
});

// 统计: new findings per month, stacked by rule family
document.addEventListener("DOMContentLoaded", function () {
  var block = document.getElementById("stats-data");
  var box = document.getElementById("trend");
  if (!block || !box || typeof window.echarts === "undefined") return;
  var data = JSON.parse(block.textContent);
  echarts.init(box).setOption({
    tooltip: {trigger: "axis"},
    legend: {type: "scroll", top: 0},
    grid: {left: 40, right: 10, top: 30, bottom: 30},
    xAxis: {type: "category", data: data.months},
    yAxis: {type: "value", minInterval: 1},
    series: data.series.map(function (s) { return {name: s.name, type: "bar", stack: "all", data: s.data}; })
  });
});
