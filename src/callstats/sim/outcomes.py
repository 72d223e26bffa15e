"""How a call leg ends: its SIP codes, whether it rang, how long until the final answer.

Codes follow yeti's CDR: legb = the terminating side's final response, lega = what we sent
the caller, internal = the switch's own reason. 0 means not set. A leg that failed over to
another vendor never reached the caller, so it has no lega code; a ring timeout or an
unroutable number is the switch's decision and may carry only the internal code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Leg(IntEnum):
    ANSWERED = 0
    CALLER_CANCELLED = 1
    BUSY = 2
    BUSY_EVERYWHERE = 3
    RING_TIMEOUT = 4
    UNAVAILABLE = 5
    DECLINED = 6
    UNWANTED = 7
    NOT_FOUND = 8
    NO_ROUTE = 9
    BAD_GATEWAY = 10
    VENDOR_UNAVAILABLE = 11
    FAILOVER_503 = 12
    FAILOVER_500 = 13
    FAILOVER_480 = 14
    FAILOVER_TIMEOUT = 15
    ANSWERED_ELSEWHERE = 16
    QUEUE_ABANDONED = 17
    REDIRECTED = 18


@dataclass(frozen=True)
class Outcome:
    legb: int
    lega: int
    internal: int
    rang: bool  # a 180/183 came first, so the leg has a post-dial delay
    hold: tuple[float, float]  # seconds after ringing (else after start) to the final reply


OUTCOMES: dict[Leg, Outcome] = {
    Leg.ANSWERED: Outcome(200, 200, 0, True, (1.5, 28.0)),  # hold = ring time
    Leg.CALLER_CANCELLED: Outcome(487, 487, 0, True, (2.0, 45.0)),
    Leg.BUSY: Outcome(486, 486, 0, False, (0.2, 2.5)),
    Leg.BUSY_EVERYWHERE: Outcome(600, 600, 0, False, (0.2, 2.0)),
    Leg.RING_TIMEOUT: Outcome(0, 0, 408, True, (58.0, 60.0)),
    Leg.UNAVAILABLE: Outcome(480, 480, 0, True, (1.0, 25.0)),
    Leg.DECLINED: Outcome(603, 603, 0, True, (2.0, 18.0)),
    Leg.UNWANTED: Outcome(607, 607, 0, True, (1.0, 10.0)),
    Leg.NOT_FOUND: Outcome(404, 404, 0, False, (0.3, 1.5)),
    Leg.NO_ROUTE: Outcome(0, 503, 503, False, (0.005, 0.05)),
    Leg.BAD_GATEWAY: Outcome(502, 502, 0, False, (0.1, 2.0)),
    Leg.VENDOR_UNAVAILABLE: Outcome(503, 503, 0, False, (0.1, 3.0)),
    Leg.FAILOVER_503: Outcome(503, 0, 0, False, (0.05, 1.5)),
    Leg.FAILOVER_500: Outcome(500, 0, 0, False, (0.1, 1.5)),
    Leg.FAILOVER_480: Outcome(480, 0, 0, True, (0.5, 6.0)),
    Leg.FAILOVER_TIMEOUT: Outcome(0, 0, 408, False, (3.0, 8.0)),
    # Queue forks: cancelled when an agent picked up, or when the caller gave up waiting.
    Leg.ANSWERED_ELSEWHERE: Outcome(487, 0, 0, True, (1.0, 30.0)),
    Leg.QUEUE_ABANDONED: Outcome(487, 487, 0, True, (5.0, 90.0)),
    # The extension's phone answered 302: forwarded to its follow-me number.
    Leg.REDIRECTED: Outcome(302, 0, 0, True, (0.3, 20.0)),
}

# Why an unanswered call ended, outbound to the PSTN ...
UNANSWERED_OUTBOUND: dict[Leg, float] = {
    Leg.CALLER_CANCELLED: 0.30,
    Leg.BUSY: 0.22,
    Leg.UNAVAILABLE: 0.15,
    Leg.RING_TIMEOUT: 0.11,
    Leg.DECLINED: 0.09,
    Leg.UNWANTED: 0.03,
    Leg.BUSY_EVERYWHERE: 0.02,
    # Network failures: with the others, NER (ITU-T E.411) lands near 95%.
    Leg.NOT_FOUND: 0.03,
    Leg.NO_ROUTE: 0.02,
    Leg.BAD_GATEWAY: 0.015,
    Leg.VENDOR_UNAVAILABLE: 0.015,
}
# ... and inbound to a PBX extension.
UNANSWERED_INBOUND: dict[Leg, float] = {
    Leg.CALLER_CANCELLED: 0.34,
    Leg.UNAVAILABLE: 0.28,
    Leg.BUSY: 0.24,
    Leg.DECLINED: 0.09,
    Leg.NOT_FOUND: 0.03,  # a number the PBX no longer routes
    Leg.VENDOR_UNAVAILABLE: 0.02,  # the PBX unreachable: 503
}
# Why an attempt failed over to the next vendor.
FAILOVER: dict[Leg, float] = {
    Leg.FAILOVER_503: 0.50,
    Leg.FAILOVER_TIMEOUT: 0.20,
    Leg.FAILOVER_500: 0.15,
    Leg.FAILOVER_480: 0.15,
}
