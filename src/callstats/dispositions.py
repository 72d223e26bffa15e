"""What a SIP disconnect code says about a call (SPEC 5's classes), declared once for the
PBX summaries, the quality reports' NER and the disconnect-code table (SPEC 9.4, 9.5).

The stores write these codes into their SQL as constants (they are ours, never a
client's); the reports label codes with `code_class`.
"""

from __future__ import annotations

ANSWERED_CODE = 200  # the code SPEC 9.5 gives an answered CDR (duration > 0)
BUSY_CODES = (486, 600)
REJECTED_CODES = (603, 607)
NOT_ANSWERED_CODES = (408, 480, 487)
# The codes the PBX summary names; any other code (or none) of an unanswered CDR is "failed".
KNOWN_CODES = BUSY_CODES + REJECTED_CODES + NOT_ANSWERED_CODES
# ITU-T E.411's network-effective outcomes: the network delivered the call, whatever the
# called party did with it. A code outside these (or none) is a network failure (NER).
NETWORK_EFFECTIVE_CODES = (ANSWERED_CODE, *KNOWN_CODES)

CLASSES = ("answered", "busy", "rejected", "not answered", "failed")
_CLASS_OF = ({ANSWERED_CODE: "answered"} | dict.fromkeys(BUSY_CODES, "busy")
             | dict.fromkeys(REJECTED_CODES, "rejected")
             | dict.fromkeys(NOT_ANSWERED_CODES, "not answered"))


def code_class(code: int | None) -> str:
    """The class of a disconnect code (SPEC 9.5: 200 answered; no code, or one SPEC 5 does
    not name, failed)."""
    return "failed" if code is None else _CLASS_OF.get(code, "failed")
