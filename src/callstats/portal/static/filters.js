// Which filters a view offers comes from the API's own description (/openapi.json, made
// from the server's param tables), so the portal offers every filter the API has and
// never one it lacks. A filter is a field, an operation and the query key they make.

import { getJson } from "./api.js";
import { h, select } from "./dom.js";

let openapi = null;

export function loadOpenApi() {
  if (!openapi) {
    openapi = getJson("/openapi.json").catch((error) => {
      openapi = null;
      throw error;
    });
  }
  return openapi;
}

const FIELD_LABELS = {
  "src-country-id": "Source country ID",
  "dst-country-id": "Destination country ID",
  "src-prefix-routing": "Source number (routing)",
  "dst-prefix-routing": "Destination number (routing)",
  "src-prefix-in": "Caller number",
  "dst-prefix-in": "Dialled number",
  "src-name-in": "Caller name",
  duration: "Duration (s)",
  "auth-orig-ip": "Signalling IP",
  "auth-orig-port": "Signalling port",
  "auth-orig-transport-protocol-id": "Transport protocol ID",
  "customer-price": "Customer price",
  "vendor-price": "Vendor price",
  "connect-time-null": "Not yet connected",
};

export const OP_LABELS = {
  eq: "equals", not_eq: "does not equal", gt: "greater than", gteq: "at least",
  lt: "less than", lteq: "at most", "starts-with": "starts with", start: "starts with",
  "ends-with": "ends with", end: "ends with", contains: "contains (any case)",
  cont: "contains (any case)", cont_any: "contains any of (comma-separated)",
  in: "is one of (comma-separated)", not_in: "is none of (comma-separated)", is: "is",
};

/** "dst_prefix_routing" / "dst-prefix-routing" → a label a person reads. */
export function fieldLabel(name) {
  const dashed = name.replaceAll("_", "-");
  if (FIELD_LABELS[dashed]) return FIELD_LABELS[dashed];
  const words = dashed.split("-").map((w) => ({ id: "ID", ip: "IP", src: "source",
    dst: "destination", pdd: "PDD", uuid: "UUID" }[w] || w));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const SUFFIXES = ["starts-with", "ends-with", "contains", "eq", "gt", "lt"];
const HANDLED = new Set(["account-id", "from-time", "to-time", "sampling", "time-zone", "metrics"]);

function valueType(schema = {}) {
  if (schema.type === "integer") return "integer";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "number" || (schema.pattern && schema.pattern.includes("[0-9]"))) return "decimal";
  return "text";
}

/** The filters of report `path` (e.g. "/origination-statistics"), from its parameters. */
export async function reportFilters(path) {
  const doc = await loadOpenApi();
  const operation = doc.paths[path] && doc.paths[path].get;
  if (!operation) return [];
  return (operation.parameters || [])
    .filter((p) => p.in === "query" && !HANDLED.has(p.name))
    .map((p) => {
      const type = valueType(p.schema);
      const suffix = SUFFIXES.find((s) => p.name.endsWith(`-${s}`));
      const fieldName = suffix ? p.name.slice(0, -suffix.length - 1) : p.name;
      return { param: p.name, field: fieldName, op: suffix || (type === "boolean" ? "is" : "eq"),
        type, doc: p.description || "" };
    });
}

/**
 * The filter rows of a form: one row per filter set in `params`, and "Add filter".
 * Each row is labelled (field, operation, value); `read()` gives [[key, value], …].
 */
export function filterBuilder(defs, params, { legend = "Filters", note } = {}) {
  const fields = [...new Map(defs.map((d) => [d.field, d])).keys()];
  const rows = h("div", { class: "filter-rows" });
  const box = h("fieldset", { class: "filters" }, h("legend", {}, legend), rows);
  if (note) box.append(h("p", { class: "hint" }, note));
  let count = 0;

  const addRow = (def, value = "") => {
    count += 1;
    const n = count;
    const fieldSelect = select("", fields.map((f) => [f, fieldLabel(f)]), def.field,
      { "aria-label": `Filter ${n}: field`, class: "filter-field" });
    const opSelect = h("select", { "aria-label": `Filter ${n}: operation`, class: "filter-op" });
    const valueBox = h("span", { class: "filter-value" });
    const remove = h("button", { type: "button", class: "link", "aria-label": `Remove filter ${n}` },
      "Remove");
    const row = h("div", { class: "filter-row" }, fieldSelect, opSelect, valueBox, remove);

    const fillOps = (chosenOp) => {
      const ops = defs.filter((d) => d.field === fieldSelect.value);
      opSelect.replaceChildren(...ops.map((d) => h("option", { value: d.param,
        selected: d.op === chosenOp }, OP_LABELS[d.op] || d.op)));
      fillValue(value);
    };
    const fillValue = (current) => {
      const chosen = defs.find((d) => d.param === opSelect.value);
      let input;
      if (chosen && chosen.type === "boolean") {
        input = select("", [["true", "yes"], ["false", "no"]], current || "true");
      } else {
        input = h("input", { type: "text", value: current, spellcheck: "false",
          autocomplete: "off",
          inputmode: chosen && chosen.type === "integer" ? "numeric"
            : chosen && chosen.type === "decimal" ? "decimal" : null,
          placeholder: chosen && chosen.type === "text" ? "text" : "number" });
      }
      input.classList.add("filter-input");
      input.setAttribute("aria-label", `Filter ${n}: value`);
      if (chosen && chosen.doc) input.title = chosen.doc;
      valueBox.replaceChildren(input);
    };
    fieldSelect.addEventListener("change", () => { value = ""; fillOps(null); });
    opSelect.addEventListener("change", () => {
      const input = valueBox.querySelector(".filter-input");
      fillValue(input ? input.value : "");
    });
    remove.addEventListener("click", () => {
      row.remove();
      addButton.focus();
    });
    fillOps(def.op);
    rows.append(row);
    return row;
  };

  const addButton = h("button", { type: "button", class: "add-filter" }, "Add filter");
  addButton.addEventListener("click", () => {
    const row = addRow(defs[0]);
    row.querySelector("select").focus();
  });
  if (defs.length) box.append(h("div", { class: "actions" }, addButton));
  else box.append(h("p", { class: "hint" }, "This report has no filters."));

  for (const def of defs) {
    for (const value of params.getAll(def.param)) addRow(def, value);
  }

  return {
    element: box,
    read() {
      const out = [];
      for (const row of rows.querySelectorAll(".filter-row")) {
        const key = row.querySelector(".filter-op").value;
        const value = row.querySelector(".filter-input").value.trim();
        if (key && value !== "") out.push([key, value]);
      }
      return out;
    },
    active() {
      return defs.filter((d) => params.getAll(d.param).length).length;
    },
  };
}

/** The URL's params that are not the view's own state: the API's filters, forwarded as
 * they are (the API ignores a key it does not know, and names a bad value). */
export function passThrough(params, ownKeys) {
  return [...params].filter(([key, value]) => !ownKeys.includes(key) && value !== "");
}

/** Whether the API answers `path` with CSV (its OpenAPI lists text/csv for 200). */
export async function csvSupported(path) {
  try {
    const doc = await loadOpenApi();
    const operation = doc.paths[path] && doc.paths[path].get;
    const ok = operation && operation.responses && operation.responses["200"];
    return Boolean(ok && ok.content && ok.content["text/csv"]);
  } catch {
    return false;
  }
}

/** The first of `paths` the API describes (a report's own path, else its sibling's). */
export async function describedPath(paths) {
  try {
    const doc = await loadOpenApi();
    return paths.find((p) => doc.paths[p]) || paths[0];
  } catch {
    return paths[0];
  }
}

const JSONAPI_FILTER = /^filter\[(.+?)_(not_eq|not_in|cont_any|gteq|lteq|eq|gt|lt|in|cont|start|end)\]$/;

/** The `filter[<attribute>_<op>]` filters of a JSON:API list, from its parameters. */
export async function resourceFilters(path) {
  const doc = await loadOpenApi();
  const operation = doc.paths[path] && doc.paths[path].get;
  if (!operation) return [];
  const defs = [];
  for (const p of operation.parameters || []) {
    const m = JSONAPI_FILTER.exec(p.name);
    if (!m) continue;
    const schema = p.schema || {};
    const listed = ["in", "not_in", "cont_any"].includes(m[2]);
    const type = schema.enum ? "boolean" : listed ? "text" : valueType(schema);
    defs.push({ param: p.name, field: m[1], op: m[2], type,
      doc: schema.format === "date-time" ? "RFC 3339, e.g. 2026-01-31T12:00:00Z" : p.description || "" });
  }
  return defs;
}

/** Attribute name → "datetime" | "number" | "boolean" | "text", in the list's own order,
 * from the schema of the list's resource objects. */
export async function resourceAttributes(path) {
  const doc = await loadOpenApi();
  const operation = doc.paths[path] && doc.paths[path].get;
  const content = operation && operation.responses && operation.responses["200"]
    && operation.responses["200"].content;
  const schema = content && Object.values(content)[0].schema;
  const item = schema && schema.properties && schema.properties.data && schema.properties.data.items;
  const attributes = item && item.properties && item.properties.attributes
    && item.properties.attributes.properties;
  const out = {};
  for (const [name, spec] of Object.entries(attributes || {})) {
    const inner = (spec.anyOf || [spec]).find((s) => s.type !== "null") || {};
    out[name] = inner.type === "integer" || inner.type === "number" ? "number"
      : inner.type === "boolean" ? "boolean"
        : inner.pattern && inner.pattern.includes("T[0-9]") ? "datetime"
          : inner.pattern ? "number" : "text";
  }
  return out;
}
