"""The tenants of the isolation suites (SPEC 7): two customers, three accounts, and a
different number of calls on each account, so any count a response shows names exactly
the accounts it was computed from."""

from __future__ import annotations

A1, A2, B1 = 101, 102, 201
CALLS = {A1: 1, A2: 2, B1: 4}
OWNER = {A1: 1, A2: 1, B1: 2}  # account → customer
UUIDS = {A1: "a1a1a1a1-0000-4000-8000-000000000101",
         A2: "a2a2a2a2-0000-4000-8000-000000000102",
         B1: "b1b1b1b1-0000-4000-8000-000000000201"}
ALLOWED_IP = "10.1.1.1"  # the one client address of the IP-limited login
