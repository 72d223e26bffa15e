// Links from a report's bucket to the calls behind it: the Calls view with the bucket's
// time range, the account, and each report filter spelled as the CDR list's filter.

import { iso } from "../time.js";

const TEXT_OPS = { eq: "eq", "starts-with": "start", "ends-with": "end", contains: "cont" };
const COMPARE_OPS = { eq: "eq", gt: "gt", lt: "lt" };

/** The CDR-list filter key of a report filter key, or null when the list has none. */
export function cdrFilterKey(key) {
  let m = /^(src|dst)-prefix-routing-(eq|starts-with|ends-with|contains)$/.exec(key);
  if (m) return `filter[${m[1]}_prefix_routing_${TEXT_OPS[m[2]]}]`;
  m = /^(duration|customer-price|vendor-price)-(eq|gt|lt)$/.exec(key);
  if (m) return `filter[${m[1].replace("-", "_")}_${COMPARE_OPS[m[2]]}]`;
  if (key === "auth-orig-ip") return "filter[auth_orig_ip_eq]";
  return null;
}

/**
 * /calls for the bucket [from, to) (unix seconds) of a report in `state` (side, account,
 * tz, range span), clipped to the report's own range so the calls are the bucket's.
 */
export function callsLink(state, filters, from, to, span = null) {
  const start = span ? Math.max(from * 1000, span.from) : from * 1000;
  const end = span && span.to !== null ? Math.min(to * 1000, span.to) : to * 1000;
  const params = new URLSearchParams({
    dir: state.side === "termination" ? "in" : "out",
    account: state.account,
    tz: state.tz,
    range: "custom",
    from: iso(start),
    to: iso(end),
  });
  for (const [key, value] of filters) {
    const mapped = cdrFilterKey(key);
    if (mapped) params.append(mapped, value);
    else params.append("unmatched", `${key}=${value}`);
  }
  return `/calls?${params}`;
}
