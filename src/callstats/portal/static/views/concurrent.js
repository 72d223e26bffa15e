// Concurrent calls (SPEC 4.4): peak simultaneous calls per bucket, the calls you send
// (origination) and receive (termination) on one chart; it refreshes itself while the
// range reaches "now" and the tab is visible.

import { apiUrl, downloadCsv, getJson, V1 } from "../api.js";
import { mountCharts, timeChart } from "../chart.js";
import { clear, h } from "../dom.js";
import { reportFilters } from "../filters.js";
import { dataTable } from "../table.js";
import { formatTime, iso } from "../time.js";
import { explain, fileName, frame, loading, reportRange, showControls } from "./common.js";

const SPEC = { account: "one", range: "6h", presets: ["15m", "1h", "6h", "24h", "7d", "today", "yesterday"],
  sampling: ["minute", "5minutes", "hour", "day"], refresh: 60 };
const SIDES = [["origination", "Originated (you send)"], ["termination", "Terminated (you receive)"]];

/** Filters of both sides; a filter only one side knows is marked so. */
async function bothSidesFilters() {
  const [orig, term] = await Promise.all(SIDES.map(([side]) => reportFilters(`${V1}/${side}-active-calls`)));
  const inTerm = new Set(term.map((d) => d.param));
  const inOrig = new Set(orig.map((d) => d.param));
  return [
    ...orig.map((d) => (inTerm.has(d.param) ? d : { ...d, doc: `${d.doc} (originated calls only)` })),
    ...term.filter((d) => !inOrig.has(d.param)).map((d) => ({ ...d, doc: `${d.doc} (terminated calls only)` })),
  ];
}

export default {
  title: "Concurrent calls",
  mount(ctx) {
    ctx.parts = frame(ctx, "Concurrent calls",
      "The peak number of simultaneous calls in each bucket, from the switches' active-call snapshots.");
    this.load(ctx);
  },

  async load(ctx, { refresh = false } = {}) {
    const { controls, status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const { state, filters } = refresh ? ctx.lastState : showControls(ctx, controls, SPEC, {
      filterDefs: bothSidesFilters(),
      note: "A filter one side does not have applies to the other side only.",
    });
    ctx.lastState = { state, filters };
    const { pairs, span } = reportRange(state);
    const urls = SIDES.map(([side]) => apiUrl(`${V1}/${side}-active-calls`, [["account-id", state.account],
      ...pairs, ["sampling", state.sampling], ["time-zone", state.tz], ...filters]));
    const bodies = await loading(status, signal, () => Promise.all(urls.map((u) => getJson(u, signal))),
      { quiet: refresh });
    if (bodies) {
      const destroy = render(content, bodies, urls, state, span);
      ctx.replaceCleanup(destroy);
    }
    if (span.relative && state.refresh) {
      ctx.refresher.start(state.refresh, () => this.load(ctx, { refresh: true }));
      status.append(h("p", { class: "hint" }, `Refreshes every ${state.refresh} s while this tab is visible.`));
    }
  },
};

function render(content, bodies, urls, state, span) {
  clear(content);
  const [orig, term] = bodies;
  const t = orig.data.t;
  const downloads = SIDES.map(([side, label], i) => {
    const button = h("button", { type: "button" }, `CSV: ${label.split(" ")[0].toLowerCase()}`);
    button.addEventListener("click", () => downloadCsv(urls[i], fileName(`${side}-active-calls`, state))
      .catch((error) => content.prepend(h("p", { class: "error", role: "alert" }, explain(error)))));
    return button;
  });
  const peak = (body) => body.data.calls.reduce((a, b) => Math.max(a, b), 0);
  const latest = (body) => (body.data.calls.length ? body.data.calls[body.data.calls.length - 1] : 0);
  content.append(h("div", { class: "section-head" },
    h("p", { class: "muted" }, `Peak in range: ${peak(orig)} originated, ${peak(term)} terminated. `,
      `Latest bucket: ${latest(orig)} originated, ${latest(term)} terminated. Times in ${state.tz}. `,
      `Updated ${formatTime(Date.now() / 1000, state.tz, true)}.`),
    h("div", { class: "actions" }, ...downloads,
      h("a", { href: urls[0], class: "api-link" }, "Originated as JSON"),
      h("a", { href: urls[1], class: "api-link" }, "Terminated as JSON"))));
  const box = h("div", { class: "charts" });
  content.append(box);
  const range = [span.from / 1000, (span.to ?? Date.now()) / 1000];
  const charts = t.length ? [timeChart({ title: "Concurrent calls", unit: "calls", t, zone: state.tz, range,
    series: [{ label: "Originated", values: orig.data.calls }, { label: "Terminated", values: term.data.calls }] })] : [];
  if (!t.length) content.append(h("p", { class: "empty" }, "No buckets in this range."));
  const rows = t.map((time, i) => ({ t: time, origination: orig.data.calls[i], termination: term.data.calls[i] }));
  const table = dataTable({
    caption: `Peak concurrent calls per ${state.sampling}`,
    columns: [
      { key: "t", label: `Bucket (${state.tz})`, cell: (row) => h("time", { datetime: iso(row.t * 1000),
        dataset: { t: String(row.t) } }, formatTime(row.t, state.tz)) },
      { key: "origination", label: "Originated (calls)", numeric: true },
      { key: "termination", label: "Terminated (calls)", numeric: true },
    ],
    rows, className: "report-table",
  });
  const details = h("details", { class: "panel" }, h("summary", {}, `Table: ${rows.length} buckets`), table);
  details.open = rows.length <= 400;
  content.append(details);
  return mountCharts(box, charts);
}
