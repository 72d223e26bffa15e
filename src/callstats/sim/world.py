"""The shape of a simulated VoIP operator: who sends calls, who terminates them, to which
numbering ranges, through which switch nodes.

A World is plain frozen data. `callstats.sim.catalog.demo_world` builds the one the demo
and the simulator share; the traffic model only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Account:
    id: int
    uuid: str
    name: str
    customer_id: int


@dataclass(frozen=True)
class Extension:
    """A PBX extension: its id in the PBX, short number, user and numbers."""

    id: int
    number: str
    name: str
    did: str  # E.164 direct-dial number, also the caller id of its outgoing calls
    mobile: str  # follow-me target when a call to it is diverted


@dataclass(frozen=True)
class Customer:
    """A contractor as the operator's metadata knows it: a customer sending calls, a
    carrier terminating them, or both."""

    id: int
    name: str
    accounts: tuple[Account, ...]
    signalling_ips: tuple[str, ...]
    country: str = "GB"  # ISO alpha-2 of its subscribers' numbers
    transport_protocol_id: int = 1  # as yeti counts them: 1 UDP, 2 TCP, 3 TLS
    sip_port: int = 5060
    extensions: tuple[Extension, ...] = ()
    main_number: str = ""  # a PBX's published number, where queue calls arrive

    def account(self, account_id: int) -> Account:
        return next(a for a in self.accounts if a.id == account_id)


@dataclass(frozen=True)
class Vendor:
    """A carrier we route calls to, with what it charges relative to the market."""

    customer: Customer
    cost_factor: float
    countries: tuple[str, ...] = ()  # ISO alpha-2 it terminates; empty: every country
    preference: tuple[float, ...] = ()  # routing weight of each termination account


@dataclass(frozen=True)
class Route:
    """One numbering range with one price: a country code plus `prefix`."""

    prefix: str  # digits after the country code
    mobile: bool
    number_length: int  # national significant number length, prefix included
    cost: str  # market cost per minute, USD


@dataclass(frozen=True)
class Country:
    id: int  # ISO 3166-1 numeric, as switch geo tables use
    iso: str
    name: str
    code: str  # country calling code
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    ip: str


class Profile(Enum):
    """Shape of a day's load, by local hour."""

    BUSINESS = "business"
    RESIDENTIAL = "residential"
    CONTACT_CENTRE = "contact_centre"


@dataclass(frozen=True)
class Billing:
    initial: int  # seconds billed for the first interval
    next: int  # seconds per following interval


@dataclass(frozen=True)
class Flow:
    """One stream of calls with its own volume, daily shape, destinations and tariff.

    Outbound: `customer` sends calls out through `account`; the router picks vendors.
    Inbound: a carrier (`customer`, `account`) delivers calls to the numbers of a PBX
    customer (`target`, `target_account`), which rings its extensions.
    """

    name: str
    customer_id: int
    account_id: int
    peak_calls_per_hour: float
    timezone: str
    profile: Profile
    answer_rate: float
    median_talk_seconds: float
    countries: tuple[tuple[str, float], ...]  # called (outbound) or calling (inbound)
    mobile_share: float
    billing: Billing
    markup: float = 1.0  # customer rate / market cost, outbound
    inbound_rate: str = "0"  # per minute charged to the delivering carrier, inbound
    dial_prefix: str = ""  # how the customer spells numbers it sends: "", "00", "+"
    node_id: int = 1  # preferred switch node
    target_customer_id: int | None = None  # inbound only
    target_account_id: int | None = None
    pbx_customer_id: int | None = None  # whose extensions place / take the calls

    @property
    def inbound(self) -> bool:
        return self.target_customer_id is not None


@dataclass(frozen=True)
class World:
    customers: tuple[Customer, ...]  # contractors sending calls, PBX customers included
    vendors: tuple[Vendor, ...]
    countries: tuple[Country, ...]
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]
    demo_customer_id: int
    home_country: str  # where the operator and its PBX customers are

    def contractors(self) -> tuple[Customer, ...]:
        """Everyone the metadata store must know: customers, then carriers."""
        return self.customers + tuple(v.customer for v in self.vendors)

    def contractor(self, customer_id: int) -> Customer:
        return next(c for c in self.contractors() if c.id == customer_id)

    def country(self, iso: str) -> Country:
        return next(c for c in self.countries if c.iso == iso)

    @property
    def demo_customer(self) -> Customer:
        return self.contractor(self.demo_customer_id)
