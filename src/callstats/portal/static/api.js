// Calls to the customer API with the session cookie. The portal holds no token: the
// browser sends the HttpOnly cookie and the API refreshes it on every answer.

export const V1 = "/api/rest/customer/v1";

/** An API answer that is not a success, with the message the API gave. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The URL of `path` with `params` ([[key, value], …] or an object; empty values left out). */
export function apiUrl(path, params = []) {
  const query = new URLSearchParams();
  const pairs = Array.isArray(params) ? params : Object.entries(params);
  for (const [key, value] of pairs) {
    if (value !== undefined && value !== null && value !== "") query.append(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** What an error body says: `{"error": …}` (reports) or JSON:API `{"errors": [{…}]}`. */
export function errorMessage(status, body) {
  if (body && typeof body.error === "string") return body.error;
  const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
  if (first) return first.detail || first.title || `HTTP ${status}`;
  return `The server answered HTTP ${status}.`;
}

async function parseError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return new ApiError(response.status, errorMessage(response.status, body), body);
}

let onUnauthorized = () => {};

// Requests whose answer has not arrived. Every answer carries a refreshed session cookie,
// so signing out waits for these first: an answer arriving after the sign-out's would set
// the cookie again and leave the customer signed in.
let inFlight = 0;
let whenIdle = [];

function settle() {
  inFlight -= 1;
  if (inFlight === 0) {
    const waiting = whenIdle;
    whenIdle = [];
    for (const resolve of waiting) resolve();
  }
}

/** Resolves once no request is waiting for its answer (abort them first to be quick). */
export function idle() {
  return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => whenIdle.push(resolve));
}

/** Called with the 401 response's error when any request finds the session gone. */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/** fetch with the cookie; 401 signs out (unless `quiet401`), other failures throw ApiError. */
export async function request(url, { method = "GET", accept = "application/json", body,
  signal, quiet401 = false } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  inFlight += 1;
  try {
    response = await fetch(url, {
      method, headers, signal, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The server cannot be reached. Check your connection and retry.", null);
  } finally {
    settle();
  }
  if (response.ok) return response;
  const error = await parseError(response);
  if (response.status === 401 && !quiet401) onUnauthorized(error);
  throw error;
}

export async function getJson(url, signal) {
  const response = await request(url, { signal });
  return response.json();
}

/** Saves the API's own CSV of `url` (the same query as the table) under `filename`. */
export async function downloadCsv(url, filename, signal) {
  const response = await request(url, { accept: "text/csv", signal });
  saveBlob(await response.blob(), filename);
}

/** Saves CSV text made in the page (for answers the API has no CSV of). */
export function saveCsv(rows, filename) {
  const cell = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const text = rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
  saveBlob(new Blob([text], { type: "text/csv;charset=utf-8" }), filename);
}

function saveBlob(blob, filename) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** Every page of a JSON:API list (the account picker needs them all). */
export async function allPages(path, params, signal) {
  const items = [];
  let url = apiUrl(path, [...params, ["page[size]", "1000"]]);
  for (let guard = 0; url && guard < 100; guard += 1) {
    const body = await getJson(url, signal);
    items.push(...body.data);
    const next = body.links && body.links.next;
    url = next ? relative(next) : null;
  }
  return items;
}

/** A link the API gave (absolute, as yeti writes them) made relative to this origin. */
export function relative(link) {
  const parsed = new URL(link, location.origin);
  return parsed.pathname + parsed.search;
}
