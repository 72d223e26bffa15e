"""The demo operator: a small UK-based carrier with hosted-PBX and wholesale customers.

Fixed data, no randomness: the demo's database and a later `callstats simulate` run refer
to the same customers and accounts. Subscriber numbers of the PBX customers come from
Ofcom's ranges reserved for drama (020 7946 0xxx, 0113 496 0xxx, 07700 900xxx), signalling
addresses from the documentation networks (RFC 5737), so nothing points at a real party.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from callstats.sim.world import (
    Account,
    Billing,
    Country,
    Customer,
    Extension,
    Flow,
    Node,
    Profile,
    Route,
    Vendor,
    World,
)

_GREGORIAN = datetime(1582, 10, 15, tzinfo=UTC)
_ACCOUNTS_CREATED = datetime(2024, 2, 12, 9, 30, tzinfo=UTC)
_UUID_NODE = 0x0A63CAF27539  # the provisioning host's MAC, as in uuid1


def account_uuid(account_id: int) -> str:
    """A time-based (version 1) UUID, as the operator's provisioning made it; fixed per id."""
    created = _ACCOUNTS_CREATED + timedelta(seconds=97 * account_id)
    ticks = (created - _GREGORIAN) // timedelta(microseconds=1) * 10
    clock_seq = 0x132E
    return str(
        uuid.UUID(
            fields=(
                ticks & 0xFFFFFFFF,
                (ticks >> 32) & 0xFFFF,
                ((ticks >> 48) & 0x0FFF) | 0x1000,
                0x80 | (clock_seq >> 8),
                clock_seq & 0xFF,
                _UUID_NODE,
            )
        )
    )


def _accounts(customer_id: int, *names: str) -> tuple[Account, ...]:
    return tuple(
        Account(customer_id * 10 + i, account_uuid(customer_id * 10 + i), name, customer_id)
        for i, name in enumerate(names, start=1)
    )


def _r(prefix: str, length: int, cost: str) -> Route:
    return Route(prefix, False, length, cost)


def _m(prefix: str, length: int, cost: str) -> Route:
    return Route(prefix, True, length, cost)


COUNTRIES = (
    Country(826, "GB", "United Kingdom", "44", (
        _r("20", 10, "0.0042"), _r("121", 10, "0.0042"), _r("161", 10, "0.0042"),
        _r("113", 10, "0.0042"), _r("131", 10, "0.0044"),
        _m("74", 10, "0.0105"), _m("75", 10, "0.0105"), _m("77", 10, "0.0105"),
        _m("78", 10, "0.0105"), _m("79", 10, "0.0105"))),
    Country(372, "IE", "Ireland", "353", (
        _r("1", 8, "0.0061"), _m("83", 9, "0.0135"), _m("85", 9, "0.0135"),
        _m("86", 9, "0.0135"), _m("87", 9, "0.0135"))),
    Country(276, "DE", "Germany", "49", (
        _r("30", 10, "0.0055"), _r("89", 10, "0.0055"), _r("40", 10, "0.0055"),
        _r("69", 10, "0.0055"), _r("221", 10, "0.0055"),
        _m("151", 11, "0.0135"), _m("160", 11, "0.0135"), _m("170", 11, "0.0135"),
        _m("176", 11, "0.0135"))),
    Country(250, "FR", "France", "33", (
        _r("1", 9, "0.0050"), _r("4", 9, "0.0050"), _r("5", 9, "0.0050"),
        _m("6", 9, "0.0150"), _m("7", 9, "0.0150"))),
    Country(724, "ES", "Spain", "34", (
        _r("91", 9, "0.0048"), _r("93", 9, "0.0048"), _m("6", 9, "0.0085"),
        _m("7", 9, "0.0085"))),
    Country(380, "IT", "Italy", "39", (
        _r("06", 10, "0.0058"), _r("02", 10, "0.0058"), _m("3", 10, "0.0140"))),
    Country(528, "NL", "Netherlands", "31", (
        _r("20", 9, "0.0065"), _r("10", 9, "0.0065"), _m("6", 9, "0.0320"))),
    Country(616, "PL", "Poland", "48", (
        _r("22", 9, "0.0068"), _r("12", 9, "0.0068"), _m("50", 9, "0.0088"),
        _m("60", 9, "0.0088"), _m("69", 9, "0.0088"), _m("79", 9, "0.0088"))),
    Country(804, "UA", "Ukraine", "380", (
        _r("44", 9, "0.0850"), _r("56", 9, "0.0850"), _m("50", 9, "0.1050"),
        _m("67", 9, "0.1050"), _m("63", 9, "0.1050"), _m("93", 9, "0.1050"),
        _m("97", 9, "0.1050"))),
    Country(840, "US", "United States", "1", (
        _r("212", 10, "0.0038"), _r("415", 10, "0.0038"), _r("312", 10, "0.0038"),
        _r("617", 10, "0.0038"), _r("305", 10, "0.0038"), _r("713", 10, "0.0038"))),
    Country(124, "CA", "Canada", "1", (
        _r("416", 10, "0.0040"), _r("604", 10, "0.0040"), _r("514", 10, "0.0040"))),
    Country(484, "MX", "Mexico", "52", (
        _r("55", 10, "0.0095"), _r("33", 10, "0.0095"), _r("81", 10, "0.0095"))),
    Country(356, "IN", "India", "91", (
        _r("11", 10, "0.0115"), _r("22", 10, "0.0115"), _r("80", 10, "0.0115"),
        _m("98", 10, "0.0125"), _m("99", 10, "0.0125"), _m("97", 10, "0.0125"),
        _m("70", 10, "0.0125"), _m("88", 10, "0.0125"))),
    Country(608, "PH", "Philippines", "63", (
        _r("2", 9, "0.0900"), _m("917", 10, "0.1150"), _m("918", 10, "0.1150"),
        _m("995", 10, "0.1150"))),
    Country(566, "NG", "Nigeria", "234", (
        _r("1", 8, "0.0680"), _m("803", 10, "0.0780"), _m("806", 10, "0.0780"),
        _m("813", 10, "0.0780"))),
)

NODES = (
    Node(1, "lon1-sbc", "198.51.100.10"),
    Node(2, "man1-sbc", "198.51.100.74"),
)

_BRIGHTLINE_STAFF = (
    "Olivia Bennett", "James Whitfield", "Priya Sharma", "Tom Gallagher", "Hannah Okafor",
    "Daniel Hughes", "Sophie Clarke", "Mohammed Rahman", "Emily Lawson", "Callum Fraser",
    "Grace Adeyemi", "Oliver Nowak", "Chloe Evans", "Samuel Price", "Aisha Begum",
    "Reception",
)
_KESTREL_AGENTS = (
    "Jade Turner", "Liam Walsh", "Megan Hart", "Ryan Patel", "Zoe Fletcher",
    "Kieran Doyle", "Amelia Shaw", "Harvey Lloyd", "Niamh Kelly", "Ethan Marsh",
    "Isla Robertson", "Jordan Fox", "Leah Simpson", "Aaron Kaur", "Freya Dawson",
    "Connor Byrne", "Holly Grant", "Declan Moore", "Poppy Webb", "Tyler Reid",
)


def _extensions(first_id: int, first_number: int, did_base: str, mobile_base: int,
                names: tuple[str, ...]) -> tuple[Extension, ...]:
    return tuple(
        Extension(first_id + i, str(first_number + i), name, f"{did_base}{first_number + i}",
                  f"447700{mobile_base + i}")
        for i, name in enumerate(names)
    )


def _customers() -> tuple[Customer, ...]:
    return (
        Customer(1001, "Brightline Communications Ltd",
                 _accounts(1001, "Brightline Hosted PBX", "Brightline SIP Trunk"),
                 ("203.0.113.20", "203.0.113.21"), "GB", 3, 5061,
                 _extensions(4101, 201, "442079460", 900101, _BRIGHTLINE_STAFF),
                 "442079460000"),
        Customer(1002, "Kestrel Contact Centres Ltd",
                 _accounts(1002, "Kestrel Outbound Campaigns", "Kestrel Customer Care"),
                 ("203.0.113.45",), "GB", 1, 5060,
                 _extensions(5301, 301, "441134960", 900301, _KESTREL_AGENTS),
                 "441134960000"),
        Customer(1003, "Rheinwerk Telefonie GmbH", _accounts(1003, "Rheinwerk Wholesale"),
                 ("192.0.2.33", "192.0.2.34"), "DE"),
        Customer(1004, "Lumière Voix SAS",
                 _accounts(1004, "Lumière Voix Entreprise", "Lumière Voix Résidentiel"),
                 ("192.0.2.61",), "FR", 2),
        Customer(1005, "Dnipro Connect LLC", _accounts(1005, "Dnipro Connect Trunk"),
                 ("192.0.2.90",), "UA"),
        Customer(1006, "Pacific Dial Inc.",
                 _accounts(1006, "Pacific Dial Retail", "Pacific Dial Wholesale",
                           "Pacific Dial India Routes"),
                 ("192.0.2.140", "192.0.2.141"), "US"),
    )


def _vendors() -> tuple[Vendor, ...]:
    def carrier(id: int, name: str, ip: str, *accounts: str) -> Customer:
        return Customer(id, name, _accounts(id, *accounts), (ip,), "GB")

    return (
        Vendor(carrier(2001, "Atlas Carrier Services", "198.51.100.130", "Atlas Premium CLI",
                       "Atlas Standard"), 1.08, (), (1.0, 2.0)),
        Vendor(carrier(2002, "Meridian Voice Transit", "198.51.100.150",
                       "Meridian Global Transit"), 0.97, (), (3.0,)),
        Vendor(carrier(2003, "Orbit Wholesale Telecom", "198.51.100.170",
                       "Orbit Wholesale Termination", "Orbit DID Inbound"), 1.0,
               ("GB", "IE", "FR", "DE", "ES", "NL", "IT", "US", "CA", "MX"), (2.5, 0.0)),
        Vendor(carrier(2004, "Sterling Route Ltd", "198.51.100.190", "Sterling UK Termination"),
               0.94, ("GB", "IE"), (4.0,)),
        Vendor(carrier(2005, "Eastlink Telecom", "198.51.100.210", "Eastlink CEE Termination"),
               0.92, ("UA", "PL", "DE", "IT"), (3.0,)),
    )


_PER_SECOND = Billing(1, 1)
_PER_MINUTE = Billing(60, 60)
_THIRTY_SIX = Billing(30, 6)


def _flows() -> tuple[Flow, ...]:
    business, residential, centre = Profile.BUSINESS, Profile.RESIDENTIAL, Profile.CONTACT_CENTRE
    london = "Europe/London"
    return (
        Flow("Brightline PBX outbound", 1001, 10011, 110, london, business, 0.60, 95,
             (("GB", .82), ("IE", .03), ("US", .04), ("FR", .02), ("DE", .02), ("ES", .02),
              ("IN", .03), ("PL", .02)), .5, _PER_SECOND, markup=1.9,
             pbx_customer_id=1001),
        Flow("Brightline SIP trunk", 1001, 10012, 60, london, business, 0.58, 110,
             (("GB", .75), ("US", .08), ("DE", .05), ("FR", .04), ("NL", .03), ("IN", .05)),
             .45, _PER_MINUTE, markup=1.45, dial_prefix="+"),
        # The trunk also carries a reseller's households and an offshore care desk calling
        # UK customers from Manila, so the demo login has live calls at any hour.
        Flow("Brightline SIP trunk, residential resale", 1001, 10012, 160, london, residential,
             0.54, 150, (("GB", .85), ("PL", .04), ("IN", .04), ("US", .03), ("FR", .02),
                        ("ES", .02)), .6, _PER_MINUTE, markup=1.5, dial_prefix="+"),
        Flow("Brightline SIP trunk, Manila care desk", 1001, 10012, 150, "Asia/Manila", centre,
             0.50, 200, (("GB", .92), ("IE", .08)), .55, _PER_MINUTE, markup=1.35,
             dial_prefix="+"),
        Flow("Brightline inbound", 2003, 20032, 90, london, business, 0.66, 120,
             (("GB", .93), ("IE", .02), ("US", .02), ("FR", .01), ("DE", .01), ("IN", .01)),
             .55, _PER_SECOND, inbound_rate="0.0012", target_customer_id=1001,
             target_account_id=10011, pbx_customer_id=1001),
        Flow("Kestrel campaigns", 1002, 10021, 300, london, centre, 0.34, 48,
             (("GB", .97), ("IE", .03)), .65, _PER_SECOND, markup=1.3, node_id=2,
             pbx_customer_id=1002),
        Flow("Kestrel customer care", 1002, 10022, 60, london, centre, 0.55, 140,
             (("GB", .95), ("IE", .05)), .6, _THIRTY_SIX, markup=1.35, node_id=2,
             pbx_customer_id=1002),
        Flow("Kestrel care inbound", 2003, 20032, 140, london, centre, 0.64, 210,
             (("GB", .98), ("IE", .02)), .7, _PER_SECOND, inbound_rate="0.0012", node_id=2,
             target_customer_id=1002, target_account_id=10022, pbx_customer_id=1002),
        Flow("Rheinwerk wholesale", 1003, 10031, 210, "Europe/Berlin", business, 0.52, 105,
             (("DE", .62), ("PL", .08), ("IT", .06), ("NL", .05), ("FR", .05), ("ES", .04),
              ("GB", .04), ("UA", .03), ("US", .03)), .5, _PER_SECOND, markup=1.18),
        Flow("Lumière entreprise", 1004, 10041, 100, "Europe/Paris", business, 0.60, 100,
             (("FR", .80), ("DE", .04), ("ES", .05), ("IT", .04), ("GB", .04), ("US", .03)),
             .45, _PER_MINUTE, markup=1.4, dial_prefix="+"),
        Flow("Lumière résidentiel", 1004, 10042, 80, "Europe/Paris", residential, 0.55, 160,
             (("FR", .72), ("ES", .06), ("IT", .05), ("PL", .04), ("US", .04), ("GB", .04),
              ("IN", .05)), .6, _PER_MINUTE, markup=1.6, dial_prefix="+"),
        Flow("Dnipro trunk", 1005, 10051, 120, "Europe/Kyiv", business, 0.50, 120,
             (("UA", .70), ("PL", .14), ("DE", .08), ("IT", .04), ("GB", .04)), .75,
             _PER_SECOND, markup=1.2, dial_prefix="00", node_id=2),
        Flow("Pacific Dial retail", 1006, 10061, 90, "America/Los_Angeles", residential, 0.58,
             170, (("US", .80), ("CA", .06), ("MX", .08), ("PH", .03), ("IN", .03)), .0,
             _PER_MINUTE, markup=1.7),
        Flow("Pacific Dial wholesale", 1006, 10062, 150, "America/New_York", business, 0.50,
             115, (("US", .55), ("CA", .10), ("MX", .20), ("GB", .05), ("DE", .03),
                   ("PH", .07)), .3, _PER_SECOND, markup=1.15),
        Flow("Pacific Dial India routes", 1006, 10063, 110, "Asia/Kolkata", residential, 0.42,
             185, (("IN", .94), ("PH", .06)), .8, _PER_SECOND, markup=1.2),
    )


def demo_world() -> World:
    """The operator the demo serves and `callstats simulate` feeds."""
    return World(
        customers=_customers(),
        vendors=_vendors(),
        countries=COUNTRIES,
        nodes=NODES,
        flows=_flows(),
        demo_customer_id=1001,
        home_country="GB",
    )
