// What every data view shares: its frame (heading, controls, status line, content), the
// control bar rebuilt from the URL (focus kept), the API range of its state, and how an
// API error reads on the page.

import { ApiError } from "../api.js";
import { clear, h, message } from "../dom.js";
import { controlsForm, readState, STATE_KEYS, stateParams } from "../controls.js";
import { filterBuilder, passThrough } from "../filters.js";
import { iso, lastMicroBefore, resolveRange } from "../time.js";

export function frame(ctx, title, intro) {
  const controls = h("div", { class: "controls-slot" });
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const content = h("div", { class: "content" });
  ctx.root.append(h("div", { class: "section-head" }, h("h1", {}, title),
    intro ? h("p", { class: "muted" }, intro) : null), controls, status, content);
  return { controls, status, content };
}

/** The element focused now, as a selector that finds its twin in a rebuilt form. */
function focusKey() {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  if (element.name) return `[name="${CSS.escape(element.name)}"]`;
  const label = element.getAttribute("aria-label");
  return label ? `[aria-label="${CSS.escape(label)}"]` : null;
}

/**
 * The view's state from the URL (defaults filled and written back), and its control bar
 * rebuilt in `slot`. `filterDefs` (a promise of filter definitions, or null) fills the
 * filter rows when it arrives. Returns {state, filters}: filters = the other URL params.
 */
export function showControls(ctx, slot, spec, { filterDefs = null, extra = [], ownKeys = [],
  note } = {}) {
  const params = ctx.params;
  const state = readState(params, spec, ctx.accounts);
  const own = [...STATE_KEYS, ...ownKeys];
  const filters = passThrough(params, own);
  const kept = ownKeys.flatMap((key) => params.getAll(key).map((v) => [key, v]));
  ctx.record(stateParams(state, [...kept, ...filters]));

  const refocus = slot.contains(document.activeElement) ? focusKey() : null;
  const apply = (next, filterPairs) => {
    const extraPairs = extra.flatMap((control) => (control.read ? control.read() : []));
    ctx.navigate(stateParams(next, [...extraPairs, ...filterPairs]));
  };
  const builder = filterDefs ? { element: h("div", { class: "filters-slot" }), read: () => filters } : null;
  const { form } = controlsForm(spec, state, ctx.accounts, {
    filters: builder, extra: extra.map((control) => control.element), apply,
  });
  clear(slot).append(form);
  if (filterDefs) {
    filterDefs.then((defs) => {
      const real = filterBuilder(defs, params, { note });
      builder.element.replaceWith(real.element);
      builder.read = real.read;
      builder.element = real.element;
    }).catch(() => {
      builder.element.replaceWith(message("hint", "The filter list could not be loaded; filters in the address still apply."));
    });
  }
  if (refocus) {
    const twin = form.querySelector(refocus);
    if (twin) twin.focus();
  }
  return { state, filters };
}

/** from-time / to-time of a report for the state's range (to-time inclusive, as the API). */
export function reportRange(state) {
  const span = resolveRange(state, state.tz);
  const pairs = [["from-time", iso(span.from)]];
  if (span.to !== null) pairs.push(["to-time", lastMicroBefore(span.to)]);
  return { pairs, span };
}

const ACCOUNT_ERROR = "invalid value account-id";

/** A sentence for an API error on a page. */
export function explain(error) {
  if (!(error instanceof ApiError)) return `Something went wrong: ${error.message}`;
  if (error.message === ACCOUNT_ERROR || error.message.includes("account_id")) {
    return "This account is not one of the accounts you may see. Pick one from the list.";
  }
  if (error.status === 0) return error.message;
  return `The API refused the request: ${error.message}`;
}

let pending = 0;

/** Loads under way, on <body data-pending>: 0 once a view has all it asked for. */
function track(change) {
  pending += change;
  document.body.dataset.pending = String(pending);
}

/** Runs one load: shows "Loading…", the error if it fails; ignores aborted loads. */
export async function loading(status, signal, work, { quiet = false } = {}) {
  if (!quiet) status.replaceChildren(message("loading", "Loading…"));
  track(1);
  try {
    const result = await work();
    if (!signal.aborted) status.replaceChildren();
    return result;
  } catch (error) {
    if (signal.aborted || error.name === "AbortError") return undefined;
    if (error instanceof ApiError && error.status === 401) return undefined;
    status.replaceChildren(message("error", explain(error)));
    return undefined;
  } finally {
    track(-1);
  }
}

export function accountName(ctx, uuid) {
  const account = ctx.accounts.find((a) => a.id === uuid);
  return account ? account.attributes.name : uuid;
}

/** A file name for a download: report, account, range start. */
export function fileName(report, state, extension = "csv") {
  const from = (state.from || new Date().toISOString()).slice(0, 16).replaceAll(":", "");
  const account = state.account ? `-${state.account.slice(0, 8)}` : "";
  return `${report}${account}-${state.range === "custom" ? from : state.range}.${extension}`;
}
