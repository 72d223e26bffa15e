// Call summary (SPEC 5): the PBX in/out summary of calls and of CDRs over a range, with
// the disposition classes as bars, optionally for some extensions only.

import { apiUrl, getJson } from "../api.js";
import { barList } from "../chart.js";
import { clear, field, h } from "../dom.js";
import { dataTable } from "../table.js";
import { formatStamp, iso, resolveRange } from "../time.js";
import { frame, loading, showControls } from "./common.js";

const CLIENT = "/client/@me";
const SPEC = { range: "24h" };
const CLASSES = ["answered", "busy", "rejected", "not answered", "failed"];
const MEASURES = [
  ["total", "Total", ""], ["answered", "Answered", ""], ["busy", "Busy", ""],
  ["rejected", "Rejected", ""], ["not answered", "Not answered", ""], ["failed", "Failed", ""],
  ["bridged", "Bridged", ""], ["duration", "Duration", "s"], ["bridged_duration", "Bridged duration", "s"],
  ["diverted", "Diverted", ""], ["answered elsewhere", "Answered elsewhere", ""],
];
const DIRECTIONS = [["in", "Incoming calls (delivered to you)"], ["out", "Outgoing calls (placed by you)"]];

let extensionList = null;

function loadExtensions(signal) {
  if (!extensionList) {
    extensionList = getJson(`${CLIENT}/extensions/`, signal).then((body) => body.data).catch((error) => {
      extensionList = null;
      if (error.status === 404) return null; // the server has no extension list: type ids
      throw error;
    });
  }
  return extensionList;
}

/** The extension filter: a multiple select of the client's extensions, or typed ids. */
function extensionControl(chosen, extensions) {
  if (extensions && extensions.length) {
    const control = h("select", { name: "extension_id", multiple: true,
      size: String(Math.min(6, extensions.length)) }, extensions.map((e) => h("option", {
      value: String(e.extension_id), selected: chosen.includes(String(e.extension_id)) },
    `${e.extension_id} (${e.cdrs} CDRs, last ${e.last_call ? formatStamp(e.last_call, "UTC").slice(0, 10) : "—"})`)));
    return { element: field("Extensions (none chosen: all)", control, { hint: "Ctrl/Shift+click or Space to choose several" }),
      read: () => {
        const ids = [...control.selectedOptions].map((o) => o.value);
        return ids.length ? [["extension_id", ids.join(",")]] : [];
      } };
  }
  const control = h("input", { name: "extension_id", value: chosen.join(","), inputmode: "numeric",
    autocomplete: "off", placeholder: "e.g. 101,102" });
  return { element: field("Extension IDs (comma-separated; empty: all)", control),
    read: () => (control.value.trim() ? [["extension_id", control.value.replace(/\s+/g, "")]] : []) };
}

export default {
  title: "Call summary",
  mount(ctx) {
    ctx.parts = frame(ctx, "Call summary",
      "Calls and CDRs of every extension, or of the ones you choose, by outcome, in each direction.");
    this.load(ctx);
  },

  async load(ctx) {
    const { controls, status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const chosen = (ctx.params.get("extension_id") || "").split(",").filter(Boolean);
    let extensions = null;
    try {
      extensions = await loadExtensions(signal);
    } catch {
      extensions = null;
    }
    const control = extensionControl(chosen, extensions);
    const { state } = showControls(ctx, controls, SPEC, { extra: [control], ownKeys: ["extension_id"] });
    const span = resolveRange(state, state.tz);
    const params = [["start_datetime", iso(span.from)]];
    if (span.to !== null) params.push(["end_datetime", iso(span.to)]);
    if (chosen.length) params.push(["extension_id", chosen.join(",")]);
    const urls = { calls: apiUrl(`${CLIENT}/calls/stats/`, params), cdrs: apiUrl(`${CLIENT}/cdr/stats/`, params) };
    const bodies = await loading(status, signal, () => Promise.all([getJson(urls.calls, signal), getJson(urls.cdrs, signal)]));
    if (!bodies) return;
    render(content, { calls: bodies[0], cdrs: bodies[1] }, urls, state, chosen);
  },
};

function render(content, bodies, urls, state, chosen) {
  clear(content);
  content.append(h("div", { class: "section-head" },
    h("p", { class: "muted" }, chosen.length ? `Extensions ${chosen.join(", ")}. ` : "All extensions. ",
      "A call counts once however many CDRs (forks, attempts) it has; the CDR columns count each leg."),
    h("div", { class: "actions" }, h("a", { href: urls.calls, class: "api-link" }, "Calls as JSON"),
      h("a", { href: urls.cdrs, class: "api-link" }, "CDRs as JSON"))));
  const cols = h("div", { class: "two-cols" });
  for (const [direction, label] of DIRECTIONS) {
    const calls = bodies.calls[direction];
    const cdrs = bodies.cdrs[direction];
    const panel = h("section", { class: "panel summary", dataset: { direction }, "aria-label": label },
      h("h2", {}, label),
      barList(CLASSES.map((c) => ({ label: c, value: calls[c], cls: c })), {
        label: `${label}: calls by outcome (bar length: calls)`,
        valueText: (item) => `${item.value} (${calls.total ? ((100 * item.value) / calls.total).toFixed(1) : "0.0"} %)`,
        className: (item) => item.cls.replace(" ", "-"),
      }),
      dataTable({
        caption: `${label}: calls and CDRs`,
        columns: [{ key: "measure", label: "Measure" },
          { key: "calls", label: "Calls", numeric: true }, { key: "cdrs", label: "CDRs", numeric: true }],
        rows: MEASURES.map(([key, name, unit]) => ({ key, measure: unit ? `${name} (${unit})` : name,
          calls: key in calls ? calls[key] : "—", cdrs: key in cdrs ? cdrs[key] : "—" })),
        className: "summary-table",
      }));
    panel.querySelectorAll(".summary-table tbody tr").forEach((tr, i) => { tr.dataset.measure = MEASURES[i][0]; });
    cols.append(panel);
  }
  content.append(cols);
}
