// Live calls (SPEC 4.5): the account's calls in progress now, with every filter of the
// API; it refreshes itself while the tab is visible, and the connected time of each call
// counts up between refreshes.

import { apiUrl, getJson, saveCsv, V1 } from "../api.js";
import { clear, h } from "../dom.js";
import { reportFilters } from "../filters.js";
import { dataTable, shown } from "../table.js";
import { formatStamp, formatTime, parseStamp } from "../time.js";
import { accountName, fileName, frame, loading, showControls } from "./common.js";

const SPEC = { account: "one", refresh: 10 };
const COLUMNS = [
  ["start_time", "Started"], ["connect_time", "Connected"], ["talking", "Connected for"],
  ["src_name_in", "Caller name"], ["src_prefix_in", "Caller"], ["dst_prefix_in", "Dialled"],
  ["dst_prefix_routing", "Destination (routing)"], ["destination_prefix", "Prefix"],
  ["destination_initial_rate", "Rate (initial)"], ["destination_next_rate", "Rate (next)"],
  ["auth_orig_ip", "Signalling IP"], ["auth_orig_port", "Port"],
];
const TIME_KEYS = new Set(["start_time", "connect_time", "snapshot_timestamp"]);

function elapsed(connect) {
  if (!connect) return "not connected";
  const seconds = Math.max(0, Math.floor((Date.now() - parseStamp(connect)) / 1000));
  const m = Math.floor(seconds / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

export default {
  title: "Live calls",
  mount(ctx) {
    ctx.parts = frame(ctx, "Live calls",
      "Calls in progress on the account now, from each switch node's latest snapshot.");
    this.load(ctx);
  },

  async load(ctx, { refresh = false } = {}) {
    const { controls, status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const { state, filters } = refresh ? ctx.lastState : showControls(ctx, controls, SPEC,
      { filterDefs: reportFilters(`${V1}/outgoing-active-calls`) });
    ctx.lastState = { state, filters };
    const url = apiUrl(`${V1}/outgoing-active-calls`, [["account-id", state.account], ...filters]);
    const body = await loading(status, signal, () => getJson(url, signal), { quiet: refresh });
    if (body) ctx.replaceCleanup(render(ctx, content, body, state, url));
    if (state.refresh) ctx.refresher.start(state.refresh, () => this.load(ctx, { refresh: true }));
  },
};

function render(ctx, content, body, state, url) {
  clear(content);
  const csv = h("button", { type: "button" }, "Download CSV");
  csv.addEventListener("click", () => {
    const keys = body.data.length ? Object.keys(body.data[0]) : COLUMNS.map(([k]) => k).filter((k) => k !== "talking");
    saveCsv([keys, ...body.data.map((call) => keys.map((k) => call[k]))], fileName("outgoing-active-calls", state));
  });
  const paused = h("span", { class: "refresh-state" });
  const count = h("span", { class: "live-count", dataset: { rows: String(body.rows) } }, String(body.rows));
  content.append(h("div", { class: "live-head" },
    h("span", {}, h("span", { class: "pulse", "aria-hidden": "true" }), " ", count,
      ` call${body.rows === 1 ? "" : "s"} in progress on ${accountName(ctx, state.account)}`),
    h("span", { class: "muted" }, `Updated ${formatTime(Date.now() / 1000, state.tz, true)} (${state.tz})`,
      state.refresh ? `; refreshes every ${state.refresh} s while this tab is visible` : "; auto-refresh off"),
    paused,
    h("div", { class: "actions" }, csv, h("a", { href: url, class: "api-link" }, "This data as JSON"))));
  if (!body.data.length) {
    content.append(h("p", { class: "empty" }, "No calls in progress right now."));
    return null;
  }
  const columns = COLUMNS.map(([key, label]) => ({
    key, label, numeric: key.includes("rate") || key === "auth_orig_port" || key === "talking",
    cell: (call) => {
      if (key === "talking") return h("span", { class: "talking", dataset: { connect: call.connect_time || "" } }, elapsed(call.connect_time));
      if (TIME_KEYS.has(key)) return call[key] ? h("time", { datetime: call[key] }, formatStamp(call[key], state.tz)) : "—";
      return shown(call[key]);
    },
  }));
  content.append(dataTable({ caption: `Calls in progress (times in ${state.tz})`, columns, rows: body.data,
    className: "live-table" }));
  const ticker = setInterval(() => {
    for (const cell of content.querySelectorAll(".talking")) cell.textContent = elapsed(cell.dataset.connect || null);
  }, 1000);
  return () => clearInterval(ticker);
}
