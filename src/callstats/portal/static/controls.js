// A view's state lives in its URL. `readState` fills the defaults a view declares;
// `controlsForm` shows that state as labelled controls and writes changes back to the URL
// (selects apply at once, typed filters when the form is submitted).

import { field, h, select, uid } from "./dom.js";
import {
  allZones, browserZone, CUSTOM, fromLocalInput, iso, isZone, PRESETS, resolveRange,
  SAMPLING_LABELS, samplingFor, toLocalInput,
} from "./time.js";

export const STATE_KEYS = ["account", "side", "range", "from", "to", "sampling", "tz", "refresh"];

/**
 * spec: {account: "one"|"any"|null, sides: [[value, label]…]|null, range: default preset,
 *        presets?: [keys], sampling: [options]|null, refresh: default seconds|null}
 */
export function readState(params, spec, accounts) {
  const state = {};
  const known = accounts.map((a) => a.id);
  if (spec.account === "one") state.account = params.get("account") || known[0] || "";
  if (spec.account === "any") state.account = params.get("account") || "";
  if (spec.sides) {
    const side = params.get("side");
    state.side = spec.sides.some(([v]) => v === side) ? side : spec.sides[0][0];
  }
  state.tz = isZone(params.get("tz")) ? params.get("tz") : browserZone();
  if (spec.range) {
    const presets = spec.presets || PRESETS.map((p) => p.key);
    const range = params.get("range");
    if (range === CUSTOM && !Number.isNaN(Date.parse(params.get("from") || ""))) {
      state.range = CUSTOM;
      state.from = params.get("from");
      state.to = params.get("to") && !Number.isNaN(Date.parse(params.get("to"))) ? params.get("to") : "";
    } else {
      state.range = presets.includes(range) ? range : spec.range;
    }
  }
  if (spec.sampling) {
    const sampling = params.get("sampling");
    if (spec.sampling.includes(sampling)) {
      state.sampling = sampling;
    } else {
      const span = resolveRange(state, state.tz);
      const seconds = span ? ((span.to ?? Date.now()) - span.from) / 1000 : 86400;
      state.sampling = samplingFor(seconds, spec.sampling);
    }
  }
  if (spec.refresh !== undefined && spec.refresh !== null) {
    const refresh = Number.parseInt(params.get("refresh") ?? "", 10);
    state.refresh = Number.isFinite(refresh) && (refresh === 0 || refresh >= 2) ? refresh : spec.refresh;
  }
  return state;
}

/** The URL params of `state` followed by the other (filter) params. */
export function stateParams(state, filters = []) {
  const out = new URLSearchParams();
  for (const key of STATE_KEYS) {
    if (state[key] !== undefined && state[key] !== "") out.set(key, String(state[key]));
  }
  if (state.range !== CUSTOM) {
    out.delete("from");
    out.delete("to");
  }
  for (const [key, value] of filters) out.append(key, value);
  return out;
}

const REFRESH_CHOICES = [[0, "Off"], [5, "5 s"], [10, "10 s"], [30, "30 s"], [60, "1 min"], [300, "5 min"]];

/**
 * The control bar of a view. `apply(state, filters)` is called with the new state when a
 * control changes or the form is submitted.
 */
export function controlsForm(spec, state, accounts, { filters = null, extra = [], apply }) {
  const form = h("form", { class: "controls", "aria-label": "View settings", novalidate: true });
  const controls = {};

  if (spec.account) {
    const options = accounts.map((a) => [a.id, a.attributes ? a.attributes.name : a.name]);
    if (spec.account === "any") options.unshift(["", "All accounts"]);
    if (state.account && !options.some(([id]) => id === state.account)) {
      options.push([state.account, `${state.account} (not in your accounts)`]);
    }
    controls.account = select("account", options, state.account);
    form.append(field("Account", controls.account));
  }
  if (spec.sides) {
    controls.side = select("side", spec.sides, state.side);
    form.append(field(spec.sideLabel || "Direction", controls.side));
  }
  let fromInput = null;
  let toInput = null;
  if (spec.range) {
    const presets = (spec.presets || PRESETS.map((p) => p.key))
      .map((key) => PRESETS.find((p) => p.key === key)).map((p) => [p.key, p.label]);
    controls.range = select("range", [...presets, [CUSTOM, "Custom range…"]], state.range);
    form.append(field("Range", controls.range));
    const span = resolveRange(state, state.tz) || { from: Date.now() - 86400000, to: null };
    fromInput = h("input", { type: "datetime-local", name: "from-local",
      value: toLocalInput(span.from, state.tz), step: "60" });
    toInput = h("input", { type: "datetime-local", name: "to-local",
      value: span.to === null ? "" : toLocalInput(span.to, state.tz), step: "60" });
    const custom = h("div", { class: "custom-range", hidden: state.range !== CUSTOM },
      field(`From (${state.tz})`, fromInput),
      field(`Until (${state.tz}, empty: now)`, toInput));
    form.append(custom);
    controls.range.addEventListener("change", () => {
      custom.hidden = controls.range.value !== CUSTOM;
      if (controls.range.value === CUSTOM) fromInput.focus();
    });
  }
  if (spec.sampling) {
    controls.sampling = select("sampling",
      spec.sampling.map((s) => [s, SAMPLING_LABELS[s] || s]), state.sampling);
    form.append(field("Sampling", controls.sampling));
  }
  controls.tz = zoneSelect(state.tz);
  form.append(field("Time zone", controls.tz));
  if (state.refresh !== undefined) {
    const choices = REFRESH_CHOICES.map(([s, label]) => [String(s), label]);
    if (!choices.some(([s]) => s === String(state.refresh))) {
      choices.push([String(state.refresh), `${state.refresh} s`]);
    }
    controls.refresh = select("refresh", choices, String(state.refresh));
    form.append(field("Auto-refresh", controls.refresh));
  }
  for (const element of extra) form.append(element);
  if (filters) form.append(filters.element);
  const submit = h("button", { type: "submit", class: "primary" }, "Apply");
  form.append(h("div", { class: "actions" }, submit));

  const read = () => {
    const next = { ...state };
    for (const [key, control] of Object.entries(controls)) next[key] = control.value;
    if (next.refresh !== undefined) next.refresh = Number(next.refresh);
    if (spec.range && next.range === CUSTOM) {
      const from = fromLocalInput(fromInput.value, next.tz);
      const to = fromLocalInput(toInput.value, next.tz);
      if (from === null) return { error: "Choose the start of the custom range.", focus: fromInput };
      if (to !== null && to <= from) return { error: "The end of the range must come after its start.", focus: toInput };
      next.from = iso(from);
      next.to = to === null ? "" : iso(to);
    }
    return { state: next };
  };
  const error = h("p", { class: "error", role: "alert", hidden: true, id: uid("form-error") });
  form.append(error);
  const go = (changed) => {
    const result = read();
    error.hidden = !result.error;
    if (result.error) {
      error.textContent = result.error;
      result.focus.focus();
      return;
    }
    const next = result.state;
    const rangeChanged = spec.range && (next.range !== state.range || next.from !== state.from
      || next.to !== state.to);
    if (spec.sampling && rangeChanged && changed !== "sampling") {
      next.sampling = fitSampling(next, spec.sampling);
    }
    apply(next, filters ? filters.read() : []);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go("submit");
  });
  for (const [key, control] of Object.entries(controls)) {
    control.addEventListener("change", () => {
      if (key === "range" && control.value === CUSTOM) return; // wait for the dates
      go(key);
    });
  }
  return { form, controls };
}

function zoneSelect(current) {
  const zones = allZones();
  if (!zones.includes(current)) zones.unshift(current);
  const browser = browserZone();
  return select("tz", zones.map((z) => [z, z === browser ? `${z} (this browser)` : z]), current);
}

/** The sampling that suits a new range: a readable number of points. */
export function fitSampling(state, allowed) {
  const span = resolveRange(state, state.tz);
  if (!span) return state.sampling;
  return samplingFor(((span.to ?? Date.now()) - span.from) / 1000, allowed);
}
