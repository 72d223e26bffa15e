"""A World compiled into lookup arrays, so call generation is array indexing.

Money is kept as integer millionths of a currency unit ("micros") from here on, so every
price the generator writes is an exact decimal with at most 6 places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import numpy as np

from callstats.sim.world import Flow, World

IntOrArray = TypeVar("IntOrArray", int, np.ndarray)


def micros(amount: str) -> int:
    return int(Decimal(amount) * 1_000_000)


class TrafficModel:
    """Index spaces: routes (every numbering range of every country), flows, vendor
    accounts (termination accounts only), extensions (of every PBX customer)."""

    def __init__(self, world: World):
        self.world = world
        self._compile_routes(world)
        self._compile_vendors(world)
        self._compile_extensions(world)
        self._compile_flows(world)

    def _compile_routes(self, world: World) -> None:
        rows = [(c, r) for c in world.countries for r in c.routes]
        self.route_country_id = np.array([c.id for c, _ in rows], dtype=np.int64)
        self.route_iso = [c.iso for c, _ in rows]
        self.route_label = [c.code + r.prefix for c, r in rows]  # rate deck prefix
        self.route_base = np.array([int(c.code + r.prefix) for c, r in rows], dtype=np.int64)
        self.route_free_digits = np.array(
            [r.number_length - len(r.prefix) for _, r in rows], dtype=np.int64
        )
        self.route_cost = np.array([micros(r.cost) for _, r in rows], dtype=np.int64)
        self.route_mobile = np.array([r.mobile for _, r in rows])

    def route_weights(self, countries: tuple[tuple[str, float], ...], mobile_share: float
                      ) -> np.ndarray:
        """Probability of each route given country weights and the share of mobiles."""
        wanted = dict(countries)
        weights = np.zeros(len(self.route_iso))
        for iso, share in wanted.items():
            in_country = np.array([i == iso for i in self.route_iso])
            mobile = in_country & self.route_mobile
            fixed = in_country & ~self.route_mobile
            mobile_part = mobile_share if fixed.any() else 1.0
            if not mobile.any():
                mobile_part = 0.0
            if mobile.any():
                weights[mobile] = share * mobile_part / mobile.sum()
            if fixed.any():
                weights[fixed] = share * (1.0 - mobile_part) / fixed.sum()
        normalised: np.ndarray = weights / weights.sum()
        return normalised

    def _compile_vendors(self, world: World) -> None:
        accounts = [
            (vendor, account, weight)
            for vendor in world.vendors
            for account, weight in zip(vendor.customer.accounts, vendor.preference, strict=True)
            if weight > 0
        ]
        self.vendor_id = np.array([v.customer.id for v, _, _ in accounts], dtype=np.int64)
        self.vendor_acc_id = np.array([a.id for _, a, _ in accounts], dtype=np.int64)
        # Where each termination account's calls are signalled to (its first address).
        self.vendor_ip = [(v.customer.signalling_ips or ("192.0.2.1",))[0]
                          for v, _, _ in accounts]
        serves = np.array(
            [[not v.countries or iso in v.countries for iso in self.route_iso]
             for v, _, _ in accounts]
        )
        self.vendor_weight = np.array([w for _, _, w in accounts])[:, None] * serves  # (A, R)
        factor = np.array([v.cost_factor for v, _, _ in accounts])[:, None]
        self.vendor_rate = np.round(self.route_cost[None, :] * factor).astype(np.int64)

    def _compile_extensions(self, world: World) -> None:
        self.pbx_range: dict[int, tuple[int, int]] = {}
        ids: list[int] = []
        dids: list[int] = []
        mobiles: list[int] = []
        names: list[str] = []
        for customer in world.customers:
            if customer.extensions:
                self.pbx_range[customer.id] = (len(ids), len(customer.extensions))
            for ext in customer.extensions:
                ids.append(ext.id)
                dids.append(int(ext.did))
                mobiles.append(int(ext.mobile))
                names.append(ext.name)
        self.ext_id = np.array(ids, dtype=np.int64)
        self.ext_did = np.array(dids, dtype=np.int64)
        self.ext_mobile = np.array(mobiles, dtype=np.int64)
        self.ext_name = names

    def _compile_flows(self, world: World) -> None:
        flows = world.flows
        self.flows = flows
        home = world.country(world.home_country)
        self.home_country_id = home.id
        self.inbound_label = home.code
        self.inbound = np.array([f.inbound for f in flows])
        self.answer_rate = np.array([f.answer_rate for f in flows])
        self.median_talk = np.array([f.median_talk_seconds for f in flows])
        self.billing_initial = np.array([f.billing.initial for f in flows], dtype=np.int64)
        self.billing_next = np.array([f.billing.next for f in flows], dtype=np.int64)
        self.node = np.array([f.node_id for f in flows], dtype=np.int64)
        self.node_ids = np.array(sorted(n.id for n in world.nodes), dtype=np.int64)
        self.customer_id = np.array([f.customer_id for f in flows], dtype=np.int64)
        self.account_id = np.array([f.account_id for f in flows], dtype=np.int64)
        self.target_customer_id = np.array([f.target_customer_id or 0 for f in flows])
        self.target_account_id = np.array([f.target_account_id or 0 for f in flows])
        self.inbound_rate = np.array([micros(f.inbound_rate) for f in flows], dtype=np.int64)
        self.dial_prefix = [f.dial_prefix for f in flows]
        self.main_number = np.array(
            [int(world.contractor(f.target_customer_id).main_number)
             if f.inbound and f.target_customer_id is not None else 0
             for f in flows], dtype=np.int64)
        self.is_pbx = np.array([f.pbx_customer_id is not None for f in flows])
        ranges = [self.pbx_range.get(f.pbx_customer_id or 0, (0, 0)) for f in flows]
        self.ext_first = np.array([r[0] for r in ranges], dtype=np.int64)
        self.ext_count = np.array([r[1] for r in ranges], dtype=np.int64)
        self._compile_flow_routes(world, flows)
        self._compile_signalling(world, flows)

    def _compile_flow_routes(self, world: World, flows: tuple[Flow, ...]) -> None:
        """Called numbers (outbound) or calling numbers (inbound), and callers of outbound
        calls (the customer's own subscribers), as cumulative route distributions."""
        called, calling = [], []
        for flow in flows:
            own = ((world.contractor(flow.customer_id).country, 1.0),)
            if flow.inbound:
                called.append(self.route_weights(((world.home_country, 1.0),), 0.0))
                calling.append(self.route_weights(flow.countries, flow.mobile_share))
            else:
                called.append(self.route_weights(flow.countries, flow.mobile_share))
                calling.append(self.route_weights(own, 0.5))
        self.called_cdf = np.cumsum(np.array(called), axis=1)
        self.calling_cdf = np.cumsum(np.array(calling), axis=1)
        cost = self.route_cost[None, :]
        markup = np.array([f.markup for f in flows])[:, None]
        # Sell rates with 4 decimal places, rounded up: always above every vendor's rate.
        self.customer_rate = (np.ceil(cost * markup / 100) * 100).astype(np.int64)
        if not (self.customer_rate[~self.inbound] > self.vendor_rate.max(axis=0)).all():
            raise ValueError("a flow's markup leaves a rate at or below a vendor's cost")

    def _compile_signalling(self, world: World, flows: tuple[Flow, ...]) -> None:
        ips: list[str] = []
        first, count = [], []
        for flow in flows:
            origin = world.contractor(flow.customer_id)
            first.append(len(ips))
            count.append(len(origin.signalling_ips))
            ips += origin.signalling_ips
        self.ips = ips
        self.ip_first = np.array(first, dtype=np.int64)
        self.ip_count = np.array(count, dtype=np.int64)
        self.node_ip = {n.id: n.ip for n in world.nodes}

    def flow_origin(self, flow_index: int) -> tuple[int, int, str]:
        """(transport protocol id, SIP port, name) of a flow's originating contractor."""
        origin = self.world.contractor(self.flows[flow_index].customer_id)
        return origin.transport_protocol_id, origin.sip_port, origin.name


def billed_seconds(duration: np.ndarray, initial: np.ndarray, increment: np.ndarray
                   ) -> np.ndarray:
    """Seconds charged for answered seconds under an initial/next-interval tariff."""
    extra = np.maximum(duration - initial, 0)
    steps = -(-extra // increment)  # ceiling division
    billed: np.ndarray = np.where(duration > 0, initial + steps * increment, 0)
    return billed


def price_micros(rate_per_minute: IntOrArray, seconds: IntOrArray) -> IntOrArray:
    """rate × seconds / 60, rounded half up to a millionth (the billing engine's rounding)."""
    price: IntOrArray = (rate_per_minute * seconds + 30) // 60
    return price

