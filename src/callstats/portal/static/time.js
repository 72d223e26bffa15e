// Time zones without a library: the browser's Intl knows every IANA zone; an instant's
// wall time in a zone, and back, is all the portal needs (ranges, bucket ends, labels).

const formatters = new Map();

function partsFormatter(zone) {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function isZone(name) {
  if (!name) return false;
  try {
    partsFormatter(name);
    return true;
  } catch {
    return false;
  }
}

/** Every zone the browser knows, UTC first. */
export function allZones() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...zones.filter((z) => z !== "UTC")];
}

/** {year, month (1-12), day, hour, minute, second} of instant `ms` in `zone`. */
export function wallParts(ms, zone) {
  const out = {};
  for (const part of partsFormatter(zone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") out[part.type] = Number(part.value);
  }
  return out;
}

function offsetMs(ms, zone) {
  const p = wallParts(ms, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant (ms) a wall clock in `zone` shows y-m-d h:m (a repeated wall time gives its
 * first occurrence; one skipped by a DST change, an instant beside the gap). Fields may
 * overflow (day 32, month 13) as Date.UTC allows. */
export function wallToMs(zone, year, month, day, hour = 0, minute = 0) {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetMs(guess, zone);
  const second = guess - offsetMs(first, zone);
  return Math.min(first, second);
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** "YYYY-MM-DDTHH:MM" of `ms` in `zone`, as <input type="datetime-local"> takes it. */
export function toLocalInput(ms, zone) {
  const p = wallParts(ms, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** The instant of a datetime-local value read in `zone`, or null. */
export function fromLocalInput(text, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
  if (!m) return null;
  return wallToMs(zone, +m[1], +m[2], +m[3], +m[4], +m[5]);
}

/** RFC 3339 UTC text of `ms` (what the API reads), seconds always, fraction when any. */
export function iso(ms) {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** An inclusive end for an exclusive one: the last microsecond before `ms`. */
export function lastMicroBefore(ms) {
  return new Date(ms - 1).toISOString().replace(/\.(\d{3})Z$/, ".$1999Z");
}

/** Display text of unix seconds `t` in `zone`: "YYYY-MM-DD HH:MM" (":SS" when asked). */
export function formatTime(t, zone, seconds = false) {
  const p = wallParts(t * 1000, zone);
  const text = `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
  return seconds ? `${text}:${pad(p.second)}` : text;
}

/** Display text of an API timestamp ("YYYY-MM-DD HH:MM:SS" UTC or RFC 3339) in `zone`. */
export function formatStamp(text, zone) {
  if (!text) return "";
  const ms = parseStamp(text);
  return Number.isNaN(ms) ? text : formatTime(ms / 1000, zone, true);
}

export function parseStamp(text) {
  const spelled = /Z|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`;
  return Date.parse(spelled);
}

/** Short name of `zone` at instant `ms` ("GMT", "CET", "GMT+3"). */
export function zoneAbbreviation(zone, ms = Date.now()) {
  const part = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "short" })
    .formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName");
  return part ? part.value : zone;
}

// --- ranges ----------------------------------------------------------------------------

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function startOfDay(ms, zone, addDays = 0) {
  const p = wallParts(ms, zone);
  return wallToMs(zone, p.year, p.month, p.day + addDays);
}

function startOfMonth(ms, zone, addMonths = 0) {
  const p = wallParts(ms, zone);
  return wallToMs(zone, p.year, p.month + addMonths, 1);
}

/** Range presets: each gives [from, to) in ms at `now` in `zone`; to = null means "now". */
export const PRESETS = [
  { key: "15m", label: "Last 15 minutes", range: (now) => [now - HOUR / 4, null] },
  { key: "1h", label: "Last hour", range: (now) => [now - HOUR, null] },
  { key: "6h", label: "Last 6 hours", range: (now) => [now - 6 * HOUR, null] },
  { key: "24h", label: "Last 24 hours", range: (now) => [now - DAY, null] },
  { key: "7d", label: "Last 7 days", range: (now) => [now - 7 * DAY, null] },
  { key: "30d", label: "Last 30 days", range: (now) => [now - 30 * DAY, null] },
  { key: "today", label: "Today", range: (now, zone) => [startOfDay(now, zone), null] },
  { key: "yesterday", label: "Yesterday",
    range: (now, zone) => [startOfDay(now, zone, -1), startOfDay(now, zone)] },
  { key: "month", label: "This month", range: (now, zone) => [startOfMonth(now, zone), null] },
  { key: "last-month", label: "Last month",
    range: (now, zone) => [startOfMonth(now, zone, -1), startOfMonth(now, zone)] },
];
export const CUSTOM = "custom";

/** {from, to, relative} in ms for a view's range state; to is exclusive, null = now. */
export function resolveRange(state, zone, now = Date.now()) {
  if (state.range === CUSTOM) {
    const from = Date.parse(state.from);
    const to = state.to ? Date.parse(state.to) : null;
    if (Number.isNaN(from) || (to !== null && Number.isNaN(to))) return null;
    return { from, to, relative: false };
  }
  const preset = PRESETS.find((p) => p.key === state.range);
  if (!preset) return null;
  const [from, to] = preset.range(now, zone);
  return { from, to, relative: to === null };
}

// --- buckets ---------------------------------------------------------------------------

export const SAMPLING_SECONDS = {
  minute: 60, "5minutes": 300, "15minutes": 900, hour: 3600, day: 86400, week: 604800,
  month: 2_678_400,
};
export const SAMPLING_LABELS = {
  minute: "Minute", "5minutes": "5 minutes", "15minutes": "15 minutes", hour: "Hour",
  day: "Day", week: "Week (from Sunday)", month: "Month",
};

/** The end (unix seconds, exclusive) of the bucket starting at `t`, as the API aligns
 * buckets: fixed lengths up to an hour; days, weeks and months on `zone`'s calendar. */
export function bucketEnd(t, sampling, zone) {
  if (sampling === "day" || sampling === "week" || sampling === "month") {
    const p = wallParts(t * 1000, zone);
    const days = sampling === "day" ? 1 : sampling === "week" ? 7 : 0;
    const months = sampling === "month" ? 1 : 0;
    return wallToMs(zone, p.year, p.month + months, p.day + days, p.hour, p.minute) / 1000;
  }
  return t + SAMPLING_SECONDS[sampling];
}

/** A sampling from `allowed` giving a readable number of points over `seconds`. */
export function samplingFor(seconds, allowed) {
  const fit = allowed.find((s) => seconds / SAMPLING_SECONDS[s] <= 400);
  return fit || allowed[allowed.length - 1];
}

/**
 * Every bucket start from `t[0]` to the last of `t` (the API lists only buckets with
 * calls), with `series` values spread onto them and `fill` where the API has none (0 for
 * counts, null for ratios, so a line never bridges an empty stretch).
 */
export function fillBuckets(t, series, sampling, zone, limit = 50_000) {
  const raw = { t, series: series.map((s) => s.values) };
  if (t.length < 2) return raw;
  const starts = new Set(t);
  for (let at = t[0]; at <= t[t.length - 1]; at = bucketEnd(at, sampling, zone)) {
    starts.add(at);
    if (starts.size > limit) return raw;
  }
  const full = [...starts].sort((a, b) => a - b);
  const index = new Map(t.map((v, i) => [v, i]));
  return {
    t: full,
    series: series.map((s) => full.map((at) => (index.has(at) ? s.values[index.get(at)] : s.fill))),
  };
}
