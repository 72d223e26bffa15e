// Traffic (SPEC 4.3): origination or termination statistics per bucket, five charts, the
// table with its totals and the API's CSV. A click on a bucket opens its calls.

import { apiUrl, downloadCsv, getJson, V1 } from "../api.js";
import { clear, h } from "../dom.js";
import { mountCharts, timeChart } from "../chart.js";
import { reportFilters } from "../filters.js";
import { dataTable, shown } from "../table.js";
import { bucketEnd, formatTime, iso } from "../time.js";
import { explain, fileName, frame, loading, reportRange, showControls } from "./common.js";
import { callsLink } from "./links.js";

export const SIDES = [["origination", "Origination (calls you send)"],
  ["termination", "Termination (calls you receive)"]];
const SPEC = { account: "one", sides: SIDES, sideLabel: "Side", range: "24h",
  sampling: ["minute", "5minutes", "hour", "day", "week", "month"] };

export const TRAFFIC_COLUMNS = [
  ["total_calls", "Calls", true], ["successful_calls", "Successful", true],
  ["failed_calls", "Failed", true], ["total_duration", "Minutes", true],
  ["acd", "ACD (min)", true], ["asr", "ASR (%)", true], ["total_price", "Price", true],
];

function trafficCharts(body, state, span, onPick) {
  const { t } = body.data;
  const d = body.data;
  const range = [span.from / 1000, (span.to ?? Date.now()) / 1000];
  const common = { t, zone: state.tz, onPick, sampling: state.sampling, range };
  return [
    timeChart({ ...common, title: "Calls", unit: "calls", series: [
      { label: "Total", values: d.total_calls, fill: 0 },
      { label: "Successful", values: d.successful_calls, fill: 0 },
      { label: "Failed", values: d.failed_calls, fill: 0 }] }),
    timeChart({ ...common, title: "ASR", unit: "%", series: [{ label: "ASR", values: d.asr, fill: null }] }),
    timeChart({ ...common, title: "ACD", unit: "minutes",
      series: [{ label: "ACD", values: d.acd, fill: null }] }),
    timeChart({ ...common, title: "Minutes", unit: "minutes",
      series: [{ label: "Total duration", values: d.total_duration, fill: 0 }] }),
    timeChart({ ...common, title: "Price", unit: "account currency",
      series: [{ label: state.side === "origination" ? "Customer price" : "Vendor price",
        values: d.total_price, fill: 0 }] }),
  ];
}

export default {
  title: "Traffic",
  mount(ctx) {
    ctx.parts = frame(ctx, "Traffic",
      "Calls, answer-seizure ratio (ASR), average call duration (ACD), minutes and price per time bucket.");
    this.load(ctx);
  },

  async load(ctx) {
    const { controls, status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const probe = ctx.params.get("side") === "termination" ? "termination" : "origination";
    const { state, filters } = showControls(ctx, controls, SPEC,
      { filterDefs: reportFilters(`${V1}/${probe}-statistics`) });
    const { pairs, span } = reportRange(state);
    const params = [["account-id", state.account], ...pairs, ["sampling", state.sampling],
      ["time-zone", state.tz], ...filters];
    const url = apiUrl(`${V1}/${state.side}-statistics`, params);
    const body = await loading(status, signal, () => getJson(url, signal));
    if (!body) return;
    ctx.replaceCleanup(render(ctx, content, body, state, filters, url, span));
  },
};

function render(ctx, content, body, state, filters, url, span) {
  clear(content);
  const { t } = body.data;
  const drill = (i) => callsLink(state, filters, t[i], bucketEnd(t[i], state.sampling, state.tz), span);
  const download = h("button", { type: "button", class: "csv", dataset: { url } }, "Download CSV");
  download.addEventListener("click", () => downloadCsv(url, fileName(`${state.side}-statistics`, state))
    .catch((error) => content.prepend(h("p", { class: "error", role: "alert" }, explain(error)))));
  const summary = h("p", { class: "muted" }, `${body.rows} buckets with calls; times in ${state.tz}.`,
    t.length ? " Click a point on a chart, or a bucket's link in the table, to see its calls." : "");
  content.append(h("div", { class: "section-head" }, summary,
    h("div", { class: "actions" }, download, h("a", { href: url, class: "api-link" }, "This data as JSON"))));
  if (!t.length) {
    content.append(h("p", { class: "empty" }, "No calls in this range with these filters."));
  }
  const chartBox = h("div", { class: "charts" });
  content.append(chartBox);
  const charts = t.length ? trafficCharts(body, state, span, (i) => ctx.go(drill(i))) : [];
  const destroyCharts = mountCharts(chartBox, charts);

  const rows = t.map((time, i) => {
    const row = { t: time };
    for (const [key] of TRAFFIC_COLUMNS) row[key] = body.data[key][i];
    return row;
  });
  const columns = [
    { key: "t", label: `Bucket (${state.tz})`, cell: (row) => (row === body.totals ? "Total"
      : h("time", { datetime: iso(row.t * 1000), dataset: { t: String(row.t) } }, formatTime(row.t, state.tz))) },
    ...TRAFFIC_COLUMNS.map(([key, label]) => ({ key, label, numeric: true, cell: (row) => shown(row[key]) })),
    { key: "calls", label: "Calls list", cell: (row, i) => (row === body.totals ? ""
      : h("a", { href: drill(i), "aria-label": `Calls of ${formatTime(row.t, state.tz)}` }, "calls")) },
  ];
  content.append(h("h2", {}, "Table"), dataTable({ caption: `${state.side} statistics per ${state.sampling}`,
    columns, rows, footer: body.totals, className: "report-table" }));
  return destroyCharts;
}
