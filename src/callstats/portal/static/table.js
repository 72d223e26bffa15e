// Tables: the numbers behind every chart, exactly as the API wrote them.

import { h } from "./dom.js";

/**
 * columns: [{key, label, numeric?, cell?(row) → text|Node, sort?: "asc"|"desc"|null,
 *            onSort?()}]; rows: objects; footer: an object of the same keys (totals).
 * Each cell carries data-key, so what the page shows can be read back column by column.
 */
export function dataTable({ caption, columns, rows, footer, className = "" }) {
  const head = h("tr", {}, columns.map((column) => {
    const sortState = column.sort === "asc" ? "ascending" : column.sort === "desc" ? "descending" : null;
    const label = column.onSort
      ? h("button", { type: "button", class: "sort", onclick: column.onSort,
        "aria-label": `Sort by ${column.label}` }, column.label)
      : column.label;
    return h("th", { scope: "col", class: column.numeric ? "num" : null,
      "aria-sort": column.onSort ? (sortState || "none") : null }, label);
  }));
  const body = h("tbody", {}, rows.map((row, index) => rowOf(columns, row, index)));
  const foot = footer ? h("tfoot", {}, rowOf(columns, footer, -1)) : null;
  const table = h("table", { class: className },
    caption ? h("caption", {}, caption) : null, h("thead", {}, head), body, foot);
  return h("div", { class: "table-wrap", tabindex: "0", role: "region",
    "aria-label": caption || "Table" }, table);
}

function rowOf(columns, row, index) {
  return h("tr", { dataset: index >= 0 ? { row: String(index) } : { row: "totals" } },
    columns.map((column) => {
      const value = column.cell ? column.cell(row, index) : row[column.key];
      return h("td", { class: column.numeric ? "num" : null, dataset: { key: column.key } },
        value === null || value === undefined ? "" : value);
    }));
}

/** A number the API wrote, as the API wrote it ("86.67", 1250, null → "—"). */
export function shown(value) {
  return value === null || value === undefined ? "—" : String(value);
}
