// Quality (SPEC 9.4 and 9.5): calls, CPS, ASR with NER, ACD in seconds and post-dial
// delay percentiles per bucket; the disconnect codes of the range as a bar chart.

import { apiUrl, downloadCsv, getJson, saveCsv, V1 } from "../api.js";
import { barList, mountCharts, timeChart } from "../chart.js";
import { clear, h } from "../dom.js";
import { csvSupported, describedPath, reportFilters } from "../filters.js";
import { dataTable, shown } from "../table.js";
import { bucketEnd, formatTime, iso } from "../time.js";
import { explain, fileName, frame, loading, reportRange, showControls } from "./common.js";
import { callsLink } from "./links.js";
import { SIDES } from "./traffic.js";

const SPEC = { account: "one", sides: SIDES, sideLabel: "Side", range: "24h",
  sampling: ["minute", "5minutes", "15minutes"] };
const METRICS = ["ner", "pdd-avg", "pdd-p50", "pdd-p95", "pdd-p99"];
export const QUALITY_COLUMNS = [
  ["total_calls", "Calls"], ["cps", "CPS (calls/s)"], ["asr", "ASR (%)"], ["ner", "NER (%)"],
  ["acd", "ACD (s)"], ["pdd-avg", "PDD avg (s)"], ["pdd-p50", "PDD p50 (s)"],
  ["pdd-p95", "PDD p95 (s)"], ["pdd-p99", "PDD p99 (s)"],
];
const CLASS_STYLE = { answered: "answered", busy: "busy", rejected: "rejected",
  "not answered": "not-answered", failed: "failed" };

export default {
  title: "Quality",
  mount(ctx) {
    ctx.parts = frame(ctx, "Quality",
      "ASR and network effectiveness (NER), ACD, post-dial delay (PDD) and calls per second; disconnect codes of the range.");
    this.load(ctx);
  },

  async load(ctx) {
    const { controls, status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const probe = ctx.params.get("side") === "termination" ? "termination" : "origination";
    const qualityPath = `${V1}/${probe}-statistics-quality`;
    const defsPath = describedPath([qualityPath, `${V1}/${probe}-statistics`]);
    const { state, filters } = showControls(ctx, controls, SPEC,
      { filterDefs: defsPath.then(reportFilters) });
    const { pairs, span } = reportRange(state);
    const account = [["account-id", state.account]];
    const seriesUrl = apiUrl(`${V1}/${state.side}-statistics-quality`, [...account, ...pairs,
      ["sampling", state.sampling], ["time-zone", state.tz], ...filters, ["metrics", METRICS.join(",")]]);
    const codesUrl = apiUrl(`${V1}/${state.side}-disconnect-codes`, [...account, ...pairs, ...filters]);
    const result = await loading(status, signal, () => Promise.all([
      getJson(seriesUrl, signal), getJson(codesUrl, signal)]));
    if (!result) return;
    const [series, codes] = result;
    clear(content);
    const drill = (i) => callsLink(state, filters, series.data.t[i],
      bucketEnd(series.data.t[i], state.sampling, state.tz), span);
    const destroy = mountCharts(seriesSection(content, series, state, span, seriesUrl, drill,
      (i) => ctx.go(drill(i))), qualityCharts(series, state, span, (i) => ctx.go(drill(i))));
    codesSection(content, codes, state, codesUrl);
    ctx.replaceCleanup(destroy);
  },
};

function qualityCharts(body, state, span, onPick) {
  const d = body.data;
  if (!d.t.length) return [];
  const range = [span.from / 1000, (span.to ?? Date.now()) / 1000];
  const common = { t: d.t, zone: state.tz, onPick, range };
  return [
    timeChart({ ...common, title: "Calls", unit: "calls", series: [{ label: "Calls", values: d.total_calls }] }),
    timeChart({ ...common, title: "Calls per second", unit: "calls/s", series: [{ label: "CPS", values: d.cps }] }),
    timeChart({ ...common, title: "ASR and NER", unit: "%", series: [
      { label: "ASR", values: d.asr }, { label: "NER", values: d.ner }] }),
    timeChart({ ...common, title: "ACD", unit: "seconds", series: [{ label: "ACD", values: d.acd }] }),
    timeChart({ ...common, title: "Post-dial delay", unit: "seconds", series: [
      { label: "average", values: d["pdd-avg"] }, { label: "p50", values: d["pdd-p50"] },
      { label: "p95", values: d["pdd-p95"] }, { label: "p99", values: d["pdd-p99"] }] }),
  ];
}

function seriesSection(content, body, state, span, url, drill) {
  const d = body.data;
  const csv = h("button", { type: "button" }, "Download CSV");
  const report = `${state.side}-statistics-quality`;
  csv.addEventListener("click", async () => {
    try {
      if (await csvSupported(`${V1}/${report}`)) {
        await downloadCsv(url, fileName(report, state));
      } else {
        const keys = Object.keys(d);
        saveCsv([keys, ...d.t.map((_, i) => keys.map((k) => d[k][i]))], fileName(report, state));
      }
    } catch (error) {
      content.prepend(h("p", { class: "error", role: "alert" }, explain(error)));
    }
  });
  content.append(h("div", { class: "section-head" },
    h("p", { class: "muted" }, `${body.rows} buckets; times in ${state.tz}. Click a point to see that bucket's calls.`),
    h("div", { class: "actions" }, csv, h("a", { href: url, class: "api-link" }, "This data as JSON"))));
  const charts = h("div", { class: "charts" });
  content.append(charts);
  if (!d.t.length) content.append(h("p", { class: "empty" }, "No buckets in this range."));
  const columns = [
    { key: "t", label: `Bucket (${state.tz})`, cell: (row) => (row === body.totals ? "Total"
      : h("time", { datetime: iso(row.t * 1000), dataset: { t: String(row.t) } }, formatTime(row.t, state.tz))) },
    ...QUALITY_COLUMNS.filter(([key]) => key in d).map(([key, label]) => ({ key, label, numeric: true,
      cell: (row) => shown(row[key]) })),
    { key: "calls", label: "Calls list", cell: (row, i) => (row === body.totals || !row.total_calls ? ""
      : h("a", { href: drill(i), "aria-label": `Calls of ${formatTime(row.t, state.tz)}` }, "calls")) },
  ];
  const rows = d.t.map((time, i) => Object.fromEntries([["t", time],
    ...QUALITY_COLUMNS.filter(([key]) => key in d).map(([key]) => [key, d[key][i]])]));
  const details = h("details", { class: "panel" }, h("summary", {}, `Table: ${rows.length} buckets and totals`),
    dataTable({ caption: `${report} per ${state.sampling}`, columns, rows, footer: body.totals,
      className: "report-table" }));
  details.open = rows.length <= 400;
  content.append(details);
  return charts;
}

function codesSection(content, body, state, url) {
  const csv = h("button", { type: "button" }, "Download CSV");
  csv.addEventListener("click", () => saveCsv([["code", "class", "calls", "share"],
    ...body.data.map((r) => [r.code, r.class, r.calls, r.share])],
  fileName(`${state.side}-disconnect-codes`, state)));
  const panel = h("section", { class: "panel codes", "aria-labelledby": "codes-title" },
    h("div", { class: "section-head" }, h("h2", { id: "codes-title" }, "Disconnect codes"),
      h("div", { class: "actions" }, csv, h("a", { href: url, class: "api-link" }, "This data as JSON"))));
  if (!body.data.length) {
    panel.append(h("p", { class: "empty" }, "No calls in this range."));
  } else {
    const label = (r) => `${r.code === null ? "no code" : r.code} · ${r.class}`;
    panel.append(barList(body.data.map((r) => ({ label: label(r), value: r.calls, row: r })), {
      label: "Calls by disconnect code (bar length: calls)",
      valueText: (item) => `${item.row.calls} (${item.row.share} %)`,
      className: (item) => CLASS_STYLE[item.row.class] || "",
    }));
    const toggle = h("details", {}, h("summary", {}, "Table"), dataTable({
      caption: "Disconnect codes (share in %)",
      columns: [{ key: "code", label: "Code", numeric: true, cell: (r) => shown(r.code) },
        { key: "class", label: "Class" }, { key: "calls", label: "Calls", numeric: true },
        { key: "share", label: "Share (%)", numeric: true }],
      rows: body.data, className: "codes-table" }));
    panel.append(toggle);
  }
  content.append(panel);
}
