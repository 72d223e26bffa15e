"""Generate every call that starts within one UTC day, as CDR legs, column-wise.

A block is a pure function of (seed, day): history and live traffic generate the same
day the same way, so a demo's history and its live feed join without a seam.

Per call: flow, start, numbers, outcome, talk time. Then each call expands into legs
(one CDR each, sharing the call's local_tag, the last one `is_last_cdr`):
- routed (outbound): 1-3 sequential attempts, failed ones to other vendors;
- inbound to a PBX: direct to an extension, a queue ringing 2-4 agents in parallel
  (the others `answered_elsewhere`), voicemail (answered, not bridged), or a divert
  (the extension answers 302, is_redirected, then the follow-me number rings).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callstats.columns import CDR_COLUMNS
from callstats.ingest.convert import arrow_type
from callstats.sim.load import expected_calls
from callstats.sim.model import TrafficModel, billed_seconds, price_micros
from callstats.sim.outcomes import FAILOVER, OUTCOMES, UNANSWERED_INBOUND, UNANSWERED_OUTBOUND, Leg
from callstats.sim.vectors import (
    MICROS,
    decimals_from_micros,
    group_exclusive_cumsum,
    ints,
    local_tags,
    numbers_as_text,
    pick_text,
    skewed,
    timestamps,
)

BLOCK_SECONDS = 86400
SLOT_SECONDS = 300
MAX_TALK_SECONDS = 3 * 3600
# Longest a call can last from its start to its last CDR's end, with margin.
MAX_CALL_SECONDS = MAX_TALK_SECONDS + 15 * 60


class Kind(IntEnum):
    ROUTED = 0
    DIRECT = 1
    QUEUE = 2
    VOICEMAIL = 3
    DIVERTED = 4


INBOUND_KINDS = {Kind.DIRECT: 0.55, Kind.QUEUE: 0.25, Kind.VOICEMAIL: 0.10, Kind.DIVERTED: 0.10}
ATTEMPTS = {1: 0.92, 2: 0.06, 3: 0.02}  # routing attempts of an outbound call

# Columns beyond the CDR: when the call ends, and what live snapshots need.
SIM_COLUMNS = ("sim_call_start", "sim_call_end", "sim_node_id", "sim_flow", "sim_rate_prefix",
               "sim_customer_rate", "sim_vendor_rate", "sim_initial_interval",
               "sim_next_interval", "sim_diversion_in")

_LEGB = np.array([OUTCOMES[leg].legb for leg in Leg])
_LEGA = np.array([OUTCOMES[leg].lega for leg in Leg])
_INTERNAL = np.array([OUTCOMES[leg].internal for leg in Leg])
_RANG = np.array([OUTCOMES[leg].rang for leg in Leg])
_HOLD_LOW = np.array([OUTCOMES[leg].hold[0] for leg in Leg])
_HOLD_HIGH = np.array([OUTCOMES[leg].hold[1] for leg in Leg])


def _choice(rng: np.random.Generator, table: dict[Any, float], n: int) -> np.ndarray:
    keys = np.array([int(k) for k in table])
    drawn: np.ndarray = rng.choice(keys, size=n, p=np.array(list(table.values())))
    return drawn


def _sample_routes(rng: np.random.Generator, cdf: np.ndarray, flow: np.ndarray) -> np.ndarray:
    u = rng.random(len(flow))
    routes: np.ndarray = np.minimum((u[:, None] >= cdf[flow]).sum(axis=1), cdf.shape[1] - 1)
    return routes


def _subscriber_numbers(rng: np.random.Generator, model: TrafficModel, route: np.ndarray
                        ) -> np.ndarray:
    free = model.route_free_digits[route]
    scale = 10 ** free
    numbers: np.ndarray = model.route_base[route] * scale + rng.integers(0, scale)
    return numbers


def generate_block(model: TrafficModel, seed: int, block: int, live: bool = False) -> pa.Table:
    """CDR legs (ids still null) of the calls starting on day `block` since the epoch, in
    order of call start, then leg: the CDR columns, `sim_call_start` and `sim_call_end`
    (unix microseconds), and with `live` the other SIM_COLUMNS snapshots need."""
    rng = np.random.default_rng([seed, block])
    calls = _draw_calls(model, rng, block)
    legs = _expand(model, rng, calls)
    columns = _cdr_columns(model, calls, legs)
    columns["sim_call_start"] = ints(calls["start"][legs["call"]])
    columns["sim_call_end"] = ints(legs["call_end"])
    if live:
        columns.update(_live_columns(model, calls, legs))
    return pa.table(columns)


def _draw_calls(model: TrafficModel, rng: np.random.Generator, block: int) -> dict[str, Any]:
    slot_starts = block * BLOCK_SECONDS + np.arange(0, BLOCK_SECONDS, SLOT_SECONDS)
    mean = np.stack([
        expected_calls(f.profile, f.timezone, f.peak_calls_per_hour, slot_starts, SLOT_SECONDS)
        for f in model.flows
    ])
    counts = rng.poisson(mean).ravel()
    flow = np.repeat(np.repeat(np.arange(len(model.flows)), len(slot_starts)), counts)
    slot = np.repeat(np.tile(slot_starts, len(model.flows)), counts)
    n = len(flow)
    start = slot * MICROS + rng.integers(0, SLOT_SECONDS * MICROS, n)
    order = np.argsort(start, kind="stable")
    flow, start = flow[order], start[order]

    inbound = model.inbound[flow]
    kind = np.where(inbound, _choice(rng, INBOUND_KINDS, n), Kind.ROUTED)
    answered = (rng.random(n) < model.answer_rate[flow]) | (kind == Kind.VOICEMAIL)
    unanswered = np.where(inbound, _choice(rng, UNANSWERED_INBOUND, n),
                          _choice(rng, UNANSWERED_OUTBOUND, n))
    final = np.where(answered, Leg.ANSWERED, unanswered)
    final = np.where((kind == Kind.QUEUE) & ~answered, Leg.QUEUE_ABANDONED, final)

    talk = rng.lognormal(np.log(model.median_talk[flow]), 1.0)
    talk = np.where(kind == Kind.VOICEMAIL, rng.uniform(8, 75, n), talk)
    talk = np.clip(talk, 1.0, MAX_TALK_SECONDS)

    other_node = rng.choice(model.node_ids, n)
    node = np.where(rng.random(n) < 0.8, model.node[flow], other_node)

    called_route = _sample_routes(rng, model.called_cdf, flow)
    calling_route = _sample_routes(rng, model.calling_cdf, flow)
    called = _subscriber_numbers(rng, model, called_route)
    calling = _subscriber_numbers(rng, model, calling_route)
    count = model.ext_count[flow]
    ext = np.where(count > 0, model.ext_first[flow] + rng.integers(0, np.maximum(count, 1)), -1)
    pbx_out = model.is_pbx[flow] & ~inbound
    did = model.ext_did[np.maximum(ext, 0)]
    calling = np.where(pbx_out, did, calling)
    called = np.where(inbound, np.where(kind == Kind.QUEUE, model.main_number[flow], did),
                      called)
    src_country = np.where(pbx_out, model.home_country_id,
                           model.route_country_id[calling_route])
    dst_country = np.where(inbound, model.home_country_id, model.route_country_id[called_route])

    ip = model.ip_first[flow] + rng.integers(0, model.ip_count[flow])
    return {
        "tag": local_tags(rng, n),
        "flow": flow, "start": start, "kind": kind, "answered": answered, "final": final,
        "talk": talk, "node": node, "route": called_route, "called": called,
        "calling": calling, "src_country": src_country, "dst_country": dst_country,
        "ext": ext, "ip": ip,
    }


def _expand(model: TrafficModel, rng: np.random.Generator, calls: dict[str, Any]
            ) -> dict[str, np.ndarray]:
    n = len(calls["flow"])
    kind, final, route = calls["kind"], calls["final"], calls["route"]

    # Vendors in routing order: a weighted shuffle (Gumbel top-k) of those serving the route.
    weights = model.vendor_weight[:, route].T  # (calls, vendor accounts)
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=weights.shape)
    vendor_order = np.argsort(-keys, axis=1)
    attempts = np.minimum(_choice(rng, ATTEMPTS, n), (weights > 0).sum(axis=1))
    attempts = np.where(final == Leg.NO_ROUTE, 1, np.maximum(attempts, 1))
    n_legs = np.select(
        [kind == Kind.ROUTED, kind == Kind.QUEUE, kind == Kind.DIVERTED],
        [attempts, rng.integers(2, 5, n), 2], 1,
    )

    call = np.repeat(np.arange(n), n_legs)
    m = len(call)
    first = np.cumsum(n_legs) - n_legs
    leg_no = np.arange(m) - first[call]
    last = leg_no == n_legs[call] - 1
    leg_kind = kind[call]

    earlier = np.select(
        [leg_kind == Kind.ROUTED, leg_kind == Kind.QUEUE],
        [_choice(rng, FAILOVER, m),
         np.where(calls["answered"][call], Leg.ANSWERED_ELSEWHERE, Leg.QUEUE_ABANDONED)],
        Leg.REDIRECTED,
    )
    outcome = np.where(last, final[call], earlier)
    vendor = np.where((leg_kind == Kind.ROUTED) & (outcome != Leg.NO_ROUTE),
                      vendor_order[call, np.minimum(leg_no, vendor_order.shape[1] - 1)], -1)
    ext = calls["ext"][call]
    flow = calls["flow"][call]
    agents = np.maximum(model.ext_count[flow], 1)
    queue_agent = model.ext_first[flow] + (ext - model.ext_first[flow] + leg_no) % agents
    ext = np.where(leg_kind == Kind.QUEUE, queue_agent, ext)

    # Timing, in seconds from the call's start.
    rang = _RANG[outcome]
    pdd = np.clip(rng.lognormal(np.log(1.6), 0.45, m), 0.3, 9.0)
    answered = outcome == Leg.ANSWERED
    parallel = leg_kind == Kind.QUEUE
    main = (first + n_legs - 1)[call]  # the call's last leg
    pdd = np.where(parallel, pdd[main], pdd)  # a queue rings its agents at once
    to_reply = np.where(rang, pdd, 0.0) + skewed(rng, _HOLD_LOW[outcome], _HOLD_HIGH[outcome])
    talk = np.where(answered, calls["talk"][call], 0.0)
    span = to_reply + talk
    step = span + rng.uniform(0.01, 0.08, m)  # the next attempt follows a moment later
    offset = np.where(parallel, rng.uniform(0.0, 0.04, m),
                      group_exclusive_cumsum(step, first, call))
    start = calls["start"][call] + (offset * MICROS).astype(np.int64)
    connect = start + (to_reply * MICROS).astype(np.int64)
    end = connect + (talk * MICROS).astype(np.int64)
    # Queue forks stop ringing when an agent picks up, or when the caller gives up.
    cut = np.where(calls["answered"][call], connect[main], end[main])
    end = np.where(parallel & ~last, cut + rng.integers(5_000, 60_000, m), end)
    call_end = np.maximum.reduceat(end, first) if m else end

    duration = np.where(answered, np.maximum(np.rint(talk), 1), 0).astype(np.int64)
    bridged = answered & (leg_kind != Kind.VOICEMAIL)
    return {
        "call": call, "leg_no": leg_no, "last": last, "outcome": outcome, "vendor": vendor,
        "ext": ext, "flow": flow, "rang": rang, "pdd": pdd, "start": start,
        "connect": connect, "end": end, "call_end": call_end[call], "answered": answered,
        "duration": duration, "bridged": bridged,
    }


def _rates(model: TrafficModel, calls: dict[str, Any], legs: dict[str, np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Per-minute customer and vendor rates of each leg, in micros. Inbound calls are
    charged to the delivering carrier; the PBX customer they reach is not paid."""
    flow, vendor = legs["flow"], legs["vendor"]
    inbound = model.inbound[flow]
    route = calls["route"][legs["call"]]
    customer = np.where(inbound, model.inbound_rate[flow], model.customer_rate[flow, route])
    vendor_rate = np.where(vendor < 0, 0, model.vendor_rate[np.maximum(vendor, 0), route])
    return customer, vendor_rate


def _cdr_columns(model: TrafficModel, calls: dict[str, Any], legs: dict[str, np.ndarray]
                 ) -> dict[str, pa.Array]:
    call, flow, vendor, outcome = legs["call"], legs["flow"], legs["vendor"], legs["outcome"]
    inbound = model.inbound[flow]
    unrouted = ~inbound & (vendor < 0)
    vendor = np.maximum(vendor, 0)
    duration = legs["duration"]
    diverted = (calls["kind"][call] == Kind.DIVERTED) & legs["last"]
    no_ext = legs["ext"] < 0
    ext = np.maximum(legs["ext"], 0)

    customer_rate, vendor_rate = _rates(model, calls, legs)
    customer_duration = billed_seconds(
        duration, model.billing_initial[flow], model.billing_next[flow])
    calling = numbers_as_text(calls["calling"][call])
    dialled = numbers_as_text(calls["called"][call])
    routed_to = np.where(diverted, model.ext_mobile[ext], calls["called"][call])
    codes = {name: ints(by_outcome[outcome], by_outcome[outcome] == 0)
             for name, by_outcome in (("lega_disconnect_code", _LEGA),
                                      ("legb_disconnect_code", _LEGB),
                                      ("internal_disconnect_code", _INTERNAL))}
    columns: dict[str, pa.Array] = {
        "id": pa.nulls(len(call), pa.int64()),
        "time_start": timestamps(legs["start"]),
        "time_connect": timestamps(legs["connect"], ~legs["answered"]),
        "time_end": timestamps(legs["end"]),
        "duration": ints(duration),
        "customer_id": ints(model.customer_id[flow]),
        "customer_acc_id": ints(model.account_id[flow]),
        "vendor_id": ints(np.where(inbound, model.target_customer_id[flow],
                                   model.vendor_id[vendor]), unrouted),
        "vendor_acc_id": ints(np.where(inbound, model.target_account_id[flow],
                                       model.vendor_acc_id[vendor]), unrouted),
        "is_last_cdr": pa.array(legs["last"]),
        "local_tag": calls["tag"].take(pa.array(call)),
        "src_country_id": ints(calls["src_country"][call]),
        "dst_country_id": ints(calls["dst_country"][call]),
        "src_prefix_in": calling,
        "dst_prefix_in": pc.binary_join_element_wise(
            pick_text(model.dial_prefix, flow), dialled, ""),
        "src_prefix_routing": calling,
        "dst_prefix_routing": numbers_as_text(routed_to),
        "src_name_in": pc.coalesce(pick_text(model.ext_name, ext, no_ext | inbound), calling),
        "auth_orig_ip": pick_text(model.ips, calls["ip"][call]),
        "customer_price": decimals_from_micros(price_micros(customer_rate, customer_duration)),
        "vendor_price": decimals_from_micros(price_micros(vendor_rate, duration)),
        "customer_duration": ints(customer_duration),
        "vendor_duration": ints(duration),
        **codes,
        "is_redirected": pa.array(outcome == Leg.REDIRECTED),
        "extension_id": ints(model.ext_id[ext], no_ext),
        "bridged": pa.array(legs["bridged"]),
        "bridged_duration": ints(np.where(legs["bridged"], duration, 0)),
        "answered_elsewhere": pa.array(outcome == Leg.ANSWERED_ELSEWHERE),
        "pdd": pa.array(np.round(legs["pdd"], 3), mask=~legs["rang"]),
        "success": pa.array(duration > 0),
        **_yeti_fields(model, calls, legs, codes, unrouted),
    }
    return {c.name: columns[c.name] if c.name in columns else pa.nulls(len(call), arrow_type(c))
            for c in CDR_COLUMNS}


# SIP reason phrases of the codes the outcomes write (RFC 3261 wording).
_REASONS = {200: "OK", 302: "Moved Temporarily", 404: "Not Found", 408: "Request Timeout",
            480: "Temporarily Unavailable", 486: "Busy Here", 487: "Request Terminated",
            500: "Server Internal Error", 503: "Service Unavailable", 603: "Decline"}
_USER_AGENTS = ["Asterisk PBX 18.20.0", "FPBX-16.0.40(18.20.0)",
                "Yealink SIP-T46U 108.86.0.20",
                "Grandstream UCM6302 1.0.27.10", "FreeSWITCH-mod_sofia/1.10.11",
                "Cisco-SIPGateway/IOS-15.x"]
_VENDOR_AGENTS = ["YETI SBC", "Sippy Softswitch v2023", "FreeSWITCH-mod_sofia/1.10.9",
                  "Kamailio (5.7.4 (x86_64/linux))"]


def _reasons(codes: pa.Array) -> pa.Array:
    known = pa.array(list(_REASONS), pa.int64())
    return pa.array(list(_REASONS.values()), pa.string()).take(
        pc.index_in(codes, value_set=known))


def _yeti_fields(model: TrafficModel, calls: dict[str, Any], legs: dict[str, np.ndarray],
                 codes: dict[str, pa.Array], unrouted: np.ndarray) -> dict[str, pa.Array]:
    """SPEC 3.1's yeti fields as the switch fills them: the tariff each side billed with
    (rate deck prefix, intervals, per-minute rates, no fees), the numbers as sent on to the
    vendor, the SIP domains, call ids and user agents of both legs, the reason phrases."""
    call, flow = legs["call"], legs["flow"]
    vendor = np.maximum(legs["vendor"], 0)
    inbound = model.inbound[flow]
    route = calls["route"][call]
    labels = model.route_label + [model.inbound_label]
    prefix = pick_text(labels, np.where(inbound, len(labels) - 1, route))
    customer_rate, vendor_rate = _rates(model, calls, legs)
    rate = pa.decimal128(28, 10)
    selling = decimals_from_micros(customer_rate).cast(rate)
    buying = pc.if_else(pa.array(unrouted), pa.scalar(None, rate),
                        decimals_from_micros(vendor_rate).cast(rate))
    zero = decimals_from_micros(np.zeros(len(call), np.int64)).cast(rate)
    origins = [model.flow_origin(i) for i in range(len(model.inbound))]
    transport = np.array([o[0] for o in origins], dtype=np.int64)[flow]
    port = np.array([o[1] for o in origins], dtype=np.int64)[flow]
    node_index = np.searchsorted(model.node_ids, calls["node"][call])
    node_ip = pick_text([model.node_ip[int(i)] for i in model.node_ids], node_index)
    origin_ip = pick_text(model.ips, calls["ip"][call])
    vendor_ip = pick_text(model.vendor_ip, vendor, unrouted)
    tag = calls["tag"].take(pa.array(call))
    seconds = np.ones(len(call), dtype=np.int64)
    return {
        "destination_prefix": prefix,
        "destination_initial_interval": ints(model.billing_initial[flow]),
        "destination_next_interval": ints(model.billing_next[flow]),
        "destination_initial_rate": selling, "destination_next_rate": selling,
        "destination_fee": zero,
        "dialpeer_prefix": pc.if_else(pa.array(unrouted), pa.scalar(None, pa.string()), prefix),
        "dialpeer_initial_interval": ints(seconds, unrouted),
        "dialpeer_next_interval": ints(seconds, unrouted),
        "dialpeer_initial_rate": buying, "dialpeer_next_rate": buying,
        "dialpeer_fee": pc.if_else(pa.array(unrouted), pa.scalar(None, rate), zero),
        "lega_disconnect_reason": _reasons(codes["lega_disconnect_code"]),
        "legb_disconnect_reason": _reasons(codes["legb_disconnect_code"]),
        "src_name_out": numbers_as_text(calls["calling"][call]),
        "src_prefix_out": numbers_as_text(calls["calling"][call]),
        "dst_prefix_out": numbers_as_text(calls["called"][call]),
        "from_domain": origin_ip, "to_domain": node_ip, "ruri_domain": node_ip,
        "orig_call_id": pc.binary_join_element_wise(tag, origin_ip, "@"),
        "term_call_id": pc.binary_join_element_wise(
            tag, pa.array(np.char.mod("%d", np.arange(len(call)) % 97)), node_ip, "-"),
        "lega_user_agent": pick_text(_USER_AGENTS, calls["ip"][call] % len(_USER_AGENTS)),
        "legb_user_agent": pick_text(_VENDOR_AGENTS, vendor % len(_VENDOR_AGENTS), unrouted),
        "sign_term_ip": vendor_ip,
        "sign_term_port": ints(np.full(len(call), 5060), unrouted),
        "sign_term_transport_protocol_id": ints(np.ones(len(call), dtype=np.int64), unrouted),
        "auth_orig_transport_protocol_id": ints(transport),
        "auth_orig_port": ints(port),
    }


def _live_columns(model: TrafficModel, calls: dict[str, Any], legs: dict[str, np.ndarray]
                  ) -> dict[str, pa.Array]:
    """What a switch knows of a call in progress that its CDR does not keep."""
    call, flow = legs["call"], legs["flow"]
    inbound = model.inbound[flow]
    route = calls["route"][call]
    node = calls["node"][call]
    diverted = (calls["kind"][call] == Kind.DIVERTED) & legs["last"]
    labels = model.route_label + [model.inbound_label]
    node_index = np.searchsorted(model.node_ids, node)
    diversion = pc.binary_join_element_wise(
        "<sip:+", numbers_as_text(calls["called"][call]),
        pick_text([f"@{model.node_ip[int(i)]}>;reason=no-answer" for i in model.node_ids],
                  node_index), "")
    customer_rate, vendor_rate = _rates(model, calls, legs)
    return {
        "sim_node_id": ints(node),
        "sim_flow": ints(flow),
        "sim_rate_prefix": pick_text(labels, np.where(inbound, len(labels) - 1, route)),
        "sim_customer_rate": ints(customer_rate),
        "sim_vendor_rate": ints(vendor_rate),
        "sim_initial_interval": ints(model.billing_initial[flow]),
        "sim_next_interval": ints(model.billing_next[flow]),
        "sim_diversion_in": pc.if_else(pa.array(diverted), diversion,
                                       pa.scalar(None, pa.string())),
    }
