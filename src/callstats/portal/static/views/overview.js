// Overview: each account's last 24 hours at a glance (calls, ASR, ACD, minutes, spend,
// for the calls it sends and those it receives), its calls in progress now and a 24-hour
// sparkline of calls per hour.

import { apiUrl, getJson, V1 } from "../api.js";
import { timeChart } from "../chart.js";
import { clear, h } from "../dom.js";
import { readState, stateParams } from "../controls.js";
import { iso } from "../time.js";
import { explain, loading } from "./common.js";

const DAY_MS = 86_400_000;

export default {
  title: "Overview",
  mount(ctx) {
    const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
    const content = h("div", { class: "cards" });
    ctx.root.append(h("div", { class: "section-head" }, h("h1", {}, "Overview"),
      h("p", { class: "muted" }, "Each account's last 24 hours, and its calls in progress now.")), status, content);
    ctx.parts = { status, content };
    this.load(ctx);
  },

  async load(ctx, { refresh = false } = {}) {
    const { status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const state = readState(ctx.params, { refresh: 60 }, ctx.accounts);
    ctx.record(stateParams(state));
    const from = iso(Date.now() - DAY_MS);
    if (!ctx.accounts.length) {
      status.replaceChildren(h("p", { class: "empty" }, "Your login has no accounts yet."));
      return;
    }
    const loaded = await loading(status, signal, () => Promise.all(ctx.accounts.map((account) => {
      const report = (side) => getJson(apiUrl(`${V1}/${side}-statistics`, [["account-id", account.id],
        ["from-time", from], ["sampling", "hour"], ["time-zone", state.tz]]), signal);
      const live = getJson(apiUrl(`${V1}/outgoing-active-calls`, [["account-id", account.id]]), signal)
        .catch((error) => ({ error }));
      return Promise.all([report("origination"), report("termination"), live]);
    })), { quiet: refresh });
    if (loaded) {
      clear(content);
      const charts = [];
      ctx.accounts.forEach((account, i) => charts.push(card(content, account, loaded[i], state)));
      ctx.replaceCleanup(() => charts.forEach((c) => c.destroy()));
      for (const chart of charts) chart.mount();
    }
    if (state.refresh) ctx.refresher.start(state.refresh, () => this.load(ctx, { refresh: true }));
  },
};

function figures(totals, priceLabel, side) {
  const item = (label, value, unit, key) => h("div", { dataset: { key } }, h("dt", {}, label),
    h("dd", {}, value === null || value === undefined ? "—" : String(value), unit ? h("small", {}, ` ${unit}`) : null));
  return h("dl", { dataset: { side } },
    item("Calls", totals.total_calls, "", "total_calls"),
    item("ASR", totals.asr, "%", "asr"),
    item("ACD", totals.acd, "min", "acd"),
    item("Minutes", totals.total_duration, "min", "total_duration"),
    item(priceLabel, totals.total_price, "", "total_price"),
    item("Answered", totals.successful_calls, "", "successful_calls"));
}

function card(content, account, [orig, term, live], state) {
  const link = (path, side) => {
    const params = new URLSearchParams({ account: account.id, tz: state.tz, range: "24h" });
    if (side) params.set("side", side);
    return `${path}?${params}`;
  };
  const now = live.error
    ? h("p", { class: "error" }, explain(live.error))
    : h("p", {}, h("a", { href: link("/live"), class: "calls-now", dataset: { rows: String(live.rows) } },
      `${live.rows} call${live.rows === 1 ? "" : "s"} in progress now`));
  const chart = timeChart({
    title: "Calls per hour, last 24 h", unit: "calls", t: orig.data.t, zone: state.tz, height: 70,
    compact: true, sampling: "hour", range: [(Date.now() - DAY_MS) / 1000, Date.now() / 1000],
    series: [{ label: "Sent", values: orig.data.total_calls, fill: 0 }],
  });
  const article = h("article", { class: "card panel", dataset: { account: account.id } },
    h("h2", {}, h("a", { href: link("/traffic", "origination") }, account.attributes.name)),
    now,
    h("p", { class: "side" }, "Calls you sent (origination)"), figures(orig.totals, "Spend", "origination"),
    chart.figure,
    h("p", { class: "side" }, "Calls you received (termination)"), figures(term.totals, "Price", "termination"),
    h("p", {}, h("a", { href: link("/traffic", "termination") }, "Traffic"), " · ",
      h("a", { href: link("/quality", "origination") }, "Quality"), " · ",
      h("a", { href: link("/calls") }, "Calls")));
  content.append(article);
  return chart;
}
