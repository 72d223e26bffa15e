// Calls (SPEC 9.3): the CDR lists, outgoing (/cdrs) or incoming (/incoming-cdrs), with
// every filter of the API, paging, sorting by any column and the API's CSV of the whole
// selection. The URL holds the API's own filter keys (filter[duration_gt]=…), so a link
// from a chart bucket is the exact query behind that bucket.

import { apiUrl, downloadCsv, getJson, V1 } from "../api.js";
import { clear, field, h, select } from "../dom.js";
import { fieldLabel, resourceAttributes, resourceFilters } from "../filters.js";
import { dataTable, shown } from "../table.js";
import { formatStamp, iso, resolveRange } from "../time.js";
import { explain, fileName, frame, loading, showControls } from "./common.js";

const DIRECTIONS = {
  out: { path: "/cdrs", type: "cdrs", label: "Outgoing: calls you sent",
    shown: ["time-start", "duration", "success", "src-prefix-in", "dst-prefix-in", "dst-prefix-routing",
      "destination-prefix", "customer-price", "customer-duration", "lega-disconnect-code",
      "lega-disconnect-reason", "auth-orig-ip"] },
  in: { path: "/incoming-cdrs", type: "incoming-cdrs", label: "Incoming: calls delivered to you",
    shown: ["time-start", "duration", "success", "src-prefix-out", "dst-prefix-out", "dst-prefix-routing",
      "dialpeer-prefix", "vendor-price", "vendor-duration", "legb-disconnect-code",
      "legb-disconnect-reason", "sign-term-ip"] },
};
const SPEC = { account: "any", range: "24h" };
const OWN = ["dir", "page", "size", "sort", "columns", "unmatched"];
const TIME_FILTERS = ["filter[time_start_gteq]", "filter[time_start_lt]", "filter[time_start_lteq]"];

/** Filters of a list, its time-start filters aside (the range control sets those). */
async function filterDefs(direction) {
  const defs = await resourceFilters(`${V1}${direction.path}`);
  return defs.filter((d) => d.field !== "time_start");
}

export default {
  title: "Calls",
  mount(ctx) {
    ctx.parts = frame(ctx, "Calls", "Call detail records: one row per call (outgoing) or per attempt delivered to you (incoming).");
    this.load(ctx);
  },

  async load(ctx) {
    const { controls, status, content } = ctx.parts;
    const signal = ctx.freshSignal();
    const params = ctx.params;
    const dir = params.get("dir") === "in" ? "in" : "out";
    const direction = DIRECTIONS[dir];
    const size = ["25", "50", "100", "250", "500", "1000"].includes(params.get("size")) ? params.get("size") : "50";
    const page = Math.max(1, Number.parseInt(params.get("page") || "1", 10) || 1);
    const sort = params.get("sort") || "-time-start";
    const wide = params.get("columns") === "all";
    const dirSelect = select("dir", Object.entries(DIRECTIONS).map(([k, d]) => [k, d.label]), dir);
    const sizeSelect = select("size", ["25", "50", "100", "250", "500", "1000"].map((s) => [s, `${s} per page`]), size);
    const colsSelect = select("columns", [["main", "Main columns"], ["all", "All columns"]], wide ? "all" : "main");
    const extra = [
      { element: field("Direction", dirSelect), read: () => [["dir", dirSelect.value]] },
      { element: field("Page size", sizeSelect), read: () => [["size", sizeSelect.value], ["sort", sort]] },
      { element: field("Columns", colsSelect), read: () => [["columns", colsSelect.value]] },
    ];
    for (const { element } of extra) element.querySelector("select").addEventListener("change", (e) => {
      e.target.closest("form").requestSubmit();
    });
    const { state, filters } = showControls(ctx, controls, SPEC, {
      filterDefs: filterDefs(direction), extra, ownKeys: OWN });
    const unmatched = params.getAll("unmatched");

    const span = resolveRange(state, state.tz);
    const query = filters.filter(([key]) => !TIME_FILTERS.includes(key) && key !== "filter[account_id_eq]");
    const timeFilters = [["filter[time_start_gteq]", iso(span.from)]];
    if (span.to !== null) timeFilters.push(["filter[time_start_lt]", iso(span.to)]);
    if (state.account) query.unshift(["filter[account_id_eq]", state.account]);
    const base = [...timeFilters, ...query, ["sort", sort]];
    const url = apiUrl(`${V1}${direction.path}`, [...base, ["page[number]", page], ["page[size]", size]]);
    const csvUrl = apiUrl(`${V1}${direction.path}`, base);
    const loaded = await loading(status, signal, () => Promise.all([getJson(url, signal),
      resourceAttributes(`${V1}${direction.path}`)]));
    if (!loaded) return;
    const [body, attributes] = loaded;
    clear(content);
    if (unmatched.length) {
      content.append(h("p", { class: "notice" }, `The report you came from also filtered by ${unmatched.join(", ")}, `
        + "which the calls list cannot filter by: these calls include those the filter left out."));
    }
    renderList(ctx, content, body, { direction, attributes, state, sort, page, size, wide, url,
      csvUrl, dir });
  },
};

function go(ctx, changes) {
  const params = ctx.params;
  for (const [key, value] of Object.entries(changes)) params.set(key, value);
  ctx.navigate(params);
}

function renderList(ctx, content, body, { direction, attributes: types, state, sort, page, size,
  wide, url, csvUrl, dir }) {
  const total = body.meta["total-count"];
  const pages = Math.max(1, Math.ceil(total / Number(size)));
  const csv = h("button", { type: "button", class: "csv", dataset: { url: csvUrl } },
    "Download CSV (all matching calls)");
  csv.addEventListener("click", () => downloadCsv(csvUrl, fileName(direction.type, state))
    .catch((error) => content.prepend(h("p", { class: "error", role: "alert" }, explain(error)))));
  content.append(h("div", { class: "section-head" },
    h("p", { class: "muted", dataset: { total: String(total) } },
      `${total} call${total === 1 ? "" : "s"}; page ${page} of ${pages}; times in ${state.tz}.`),
    h("div", { class: "actions" }, csv, h("a", { href: url, class: "api-link" }, "This page as JSON"))));
  const names = Object.keys(types).length ? Object.keys(types)
    : Object.keys((body.data[0] && body.data[0].attributes) || {});
  const visible = wide ? names : direction.shown.filter((key) => !names.length || names.includes(key));
  const sortKey = sort.replace(/^-/, "");
  const columns = [
    { key: "id", label: "ID", numeric: true, cell: (row) => row.id,
      sort: sortKey === "id" ? (sort.startsWith("-") ? "desc" : "asc") : null,
      onSort: () => go(ctx, { sort: sort === "id" ? "-id" : "id", page: "1" }) },
    ...visible.map((key) => ({
      key, label: fieldLabel(key), numeric: types[key] === "number",
      sort: sortKey === key ? (sort.startsWith("-") ? "desc" : "asc") : null,
      onSort: key === "rec" ? null : () => go(ctx, { sort: sort === key ? `-${key}` : key, page: "1" }),
      cell: (row) => {
        const value = row.attributes[key];
        if (types[key] === "datetime" && value) {
          return h("time", { datetime: value }, formatStamp(value, state.tz));
        }
        return shown(value);
      },
    })),
  ];
  if (!body.data.length) {
    content.append(h("p", { class: "empty" }, "No calls match. Widen the range or remove a filter."));
  } else {
    content.append(dataTable({ caption: `${direction.label} (sorted by ${fieldLabel(sortKey)}${sort.startsWith("-") ? ", newest first" : ""})`,
      columns, rows: body.data, className: "calls-table" }));
  }
  const link = (label, target) => (target
    ? h("a", { href: pageHref(target), "aria-label": `${label} page` }, label)
    : h("span", { class: "muted", "aria-disabled": "true" }, label));
  const pageHref = (linkUrl) => {
    const number = new URL(linkUrl, location.origin).searchParams.get("page[number]") || "1";
    const params = ctx.params;
    params.set("page", number);
    params.set("dir", dir);
    return `/calls?${params}`;
  };
  const links = body.links || {};
  content.append(h("nav", { class: "pager", "aria-label": "Pages" },
    link("First", page > 1 ? links.first : null), link("Previous", links.prev),
    h("span", {}, `Page ${page} of ${pages}`), link("Next", links.next),
    link("Last", page < pages ? links.last : null)));
}
