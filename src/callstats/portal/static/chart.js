// Time-series charts on uPlot (one canvas, typed arrays, no DOM per point), each with its
// numbers in a table one click away, units on both axes, the times in the chosen zone.
// Wheel zooms, shift+wheel pans, a drag selects a range, a double click resets; a click
// on a bucket calls `onPick(index)`.

import { h, uid } from "./dom.js";
import { dataTable, shown } from "./table.js";
import { fillBuckets, formatTime } from "./time.js";

const live = new Set();
let firstDrawn = false;

/** Charts drawn from CSS colours follow a theme change. */
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  for (const chart of live) chart.rebuild();
});

function palette() {
  const css = getComputedStyle(document.documentElement);
  const read = (name) => css.getPropertyValue(name).trim();
  return {
    fg: read("--fg"), muted: read("--muted"), grid: read("--grid"),
    series: [read("--accent"), read("--series-2"), read("--series-3"), read("--series-4"),
      read("--series-5")],
  };
}

/** Numbers to plot from API values (decimal strings, integers, null). */
export function plotted(values) {
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    out[i] = v === null || v === undefined ? null : Number(v);
  }
  return out;
}

// Time-axis labels on a 24-hour clock, the date under the first tick of each day (uPlot's
// template table: tick spacing, format, then the formats used where a larger unit changes).
const DAY = 86400;
const TIME_TICKS = [
  [DAY * 365, "{YYYY}", null, null, null, null, null, null, 1],
  [DAY * 28, "{MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [DAY, "{D} {MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [3600, "{HH}:{mm}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
  [60, "{HH}:{mm}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
  [1, "{HH}:{mm}:{ss}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
];

/** `#rgb` / `#rrggbb` with an alpha, for translucent fills. */
function withAlpha(hex, alpha) {
  let digits = hex.replace("#", "");
  if (digits.length === 3) digits = [...digits].map((d) => d + d).join("");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
  return Number.isNaN(r) ? hex : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function compactNumber(value) {
  if (value === null || value === undefined) return "";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${+(value / 1e6).toFixed(2)}M`;
  if (magnitude >= 1e4) return `${+(value / 1e3).toFixed(1)}k`;
  return String(+value.toFixed(4));
}

/** Wheel zoom and shift+wheel pan on the x scale. */
function wheelPlugin() {
  return {
    hooks: {
      ready(u) {
        u.over.addEventListener("wheel", (event) => {
          if (!event.ctrlKey && !event.shiftKey && !event.altKey) return; // let the page scroll
          event.preventDefault();
          const { min, max } = u.scales.x;
          const span = max - min;
          if (event.shiftKey) {
            const shift = span * 0.1 * Math.sign(event.deltaY || event.deltaX);
            u.setScale("x", { min: min + shift, max: max + shift });
          } else {
            const at = u.posToVal(event.offsetX, "x");
            const factor = event.deltaY < 0 ? 0.8 : 1.25;
            u.setScale("x", { min: at - (at - min) * factor, max: at + (max - at) * factor });
          }
        }, { passive: false });
      },
    },
  };
}

/**
 * A chart in a <figure>: title and unit in the caption, a "Table" toggle showing the
 * same values. series: [{label, values (API values), unit?}]; t: unix seconds.
 */
export function timeChart({ title, unit, t, series, zone, onPick, height = 230,
  compact = false, pickLabel = "Open this bucket's calls", sampling = null, range = null }) {
  const plotId = uid("plot");
  const plot = h("div", { class: onPick ? "plot clickable" : "plot", id: plotId, role: "img",
    "aria-label": `${title} chart, ${unit}; the numbers are in its table` });
  const tableBox = h("div", { class: "chart-table", hidden: true, id: uid("chart-table") });
  const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false",
    "aria-controls": tableBox.id }, "Table");
  toggle.addEventListener("click", () => {
    const open = tableBox.hidden;
    if (open && !tableBox.firstChild) tableBox.append(chartTable(title, unit, t, series, zone));
    tableBox.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Chart only" : "Table";
  });
  const figure = h("figure", { class: compact ? "chart compact" : "chart panel" },
    h("figcaption", {}, h("span", { class: "title" }, title, h("span", { class: "muted" }, ` (${unit})`)),
      toggle),
    plot, tableBox);

  // With `sampling`, buckets the API left out (no calls) are drawn with each series' `fill`.
  const drawn = sampling ? fillBuckets(t, series, sampling, zone) : { t, series: series.map((s) => s.values) };
  const data = [Float64Array.from(drawn.t), ...drawn.series.map(plotted)];
  const indexOfDrawn = new Map(t.map((time, i) => [time, i]));
  const chart = { figure, uplot: null, rebuild: () => {} };

  // A clickable chart keeps half a bucket beside its first and last buckets, so a bucket
  // on the range's edge is inside the plot, where a pointer can pick it.
  const step = drawn.t.length > 1 ? drawn.t[1] - drawn.t[0] : 60;
  const [low, high] = [drawn.t[0], drawn.t[drawn.t.length - 1]];
  const initial = onPick && drawn.t.length
    ? [Math.min(range ? range[0] : low, low) - step / 2, Math.max(range ? range[1] : high, high) + step / 2]
    : range;

  const build = () => {
    if (chart.uplot) chart.uplot.destroy();
    const colours = palette();
    const width = Math.max(plot.clientWidth || figure.clientWidth || 300, 120);
    const axis = { stroke: colours.muted, grid: { stroke: colours.grid, width: 1 },
      ticks: { stroke: colours.grid, width: 1 } };
    const opts = {
      width, height,
      tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1e3), zone),
      legend: { show: !compact, live: !compact },
      cursor: compact ? { show: false } : { drag: { x: true, y: false, setScale: true } },
      // The x axis spans the chosen range at first; zooming and panning move it freely.
      scales: { x: initial
        ? { time: true, range: (u, min, max) => (u.status === 0 ? initial : [min, max]) }
        : { time: true } },
      series: [
        { label: `Time (${zone})`, value: (u, v) => (v === null ? "—" : formatTime(v, zone)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: colours.series[i % colours.series.length],
          width: 1.5,
          fill: i === 0 && series.length === 1 ? withAlpha(colours.series[0], 0.14) : undefined,
          points: { show: drawn.t.length <= 120 },
          value: (u, v) => (v === null ? "—" : `${v} ${s.unit || unit}`),
        })),
      ],
      axes: compact
        ? [{ show: false }, { show: false }]
        : [
          { ...axis, label: `Time (${zone})`, labelSize: 20, labelFont: "12px system-ui",
            values: TIME_TICKS },
          { ...axis, label: unit, labelSize: 20, labelFont: "12px system-ui", size: 56,
            values: (u, ticks) => ticks.map(compactNumber) },
        ],
      plugins: compact ? [] : [wheelPlugin()],
      hooks: {
        draw: [() => {
          figure.dataset.drawn = "true";
          if (!firstDrawn) {
            firstDrawn = true;
            performance.mark("callstats:first-chart");
          }
        }],
      },
    };
    chart.uplot = new window.uPlot(opts, data, plot);
    figure.uplot = chart.uplot; // for scripts that drive the page (tests, benchmarks)
    if (onPick) {
      chart.uplot.over.addEventListener("mouseup", () => {
        const u = chart.uplot;
        if (u.select.width > 3 || u.cursor.idx === null || u.cursor.idx === undefined) return;
        const picked = indexOfDrawn.get(drawn.t[u.cursor.idx]);
        if (picked !== undefined) onPick(picked);
      });
      chart.uplot.over.title = pickLabel;
    }
  };
  chart.rebuild = build;

  const resize = new ResizeObserver(() => {
    if (!chart.uplot) return;
    const width = Math.max(plot.clientWidth, 120);
    if (Math.abs(width - chart.uplot.width) > 2) chart.uplot.setSize({ width, height });
  });
  chart.mount = () => {
    build();
    resize.observe(plot);
    live.add(chart);
  };
  chart.destroy = () => {
    resize.disconnect();
    live.delete(chart);
    if (chart.uplot) chart.uplot.destroy();
  };
  return chart;
}

function chartTable(title, unit, t, series, zone) {
  const rows = t.map((time, i) => {
    const row = { t: formatTime(time, zone) };
    series.forEach((s, j) => { row[`s${j}`] = shown(s.values[i]); });
    return row;
  });
  return dataTable({
    caption: `${title} (${unit}), times in ${zone}`,
    columns: [{ key: "t", label: "Time" },
      ...series.map((s, j) => ({ key: `s${j}`, label: `${s.label} (${s.unit || unit})`, numeric: true }))],
    rows,
  });
}

/** Puts charts in `container` and draws them once they have a width. */
export function mountCharts(container, charts) {
  for (const chart of charts) container.append(chart.figure);
  for (const chart of charts) chart.mount();
  return () => charts.forEach((chart) => chart.destroy());
}

/** Horizontal bars (disconnect codes, call classes): an accessible list, widths by share. */
export function barList(items, { label, valueText, className }) {
  const top = Math.max(1, ...items.map((item) => item.value));
  return h("ul", { class: "bars", "aria-label": label }, items.map((item) => {
    const bar = h("span", { class: `bar ${className ? className(item) : ""}` });
    bar.style.width = `${(100 * item.value) / top}%`;
    return h("li", {}, h("span", { class: "bar-label" }, item.label),
      h("span", { class: "bar-track", "aria-hidden": "true" }, bar),
      h("span", { class: "value" }, valueText(item)));
  }));
}
