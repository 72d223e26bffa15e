"""Prices up to DECIMAL(18, 6)'s limit sum exactly on every store (a per-row scaling to
micro-units would overflow from a million up), in the buckets and the totals."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.times import SECOND, us
from tests.support.wire import V1

NOW = us("2024-05-01T00:00:00Z")
UUID = "0c0c0c0c-1111-4222-8333-444455556666"
PRICES = ["999999999999.999999", "999999999999.999999", "1000000.5", "-999999999999.999999",
          "0.000001"]


def test_large_prices_sum_exactly(make_api) -> None:  # type: ignore[no-untyped-def]
    api: Api = make_api(NOW / SECOND)
    api.customer("c", 1)
    api.account(1, id=1, uuid=UUID)
    start = us("2024-04-30T10:00:00Z")
    api.cdrs([{"id": i + 1, "time_start": start + i * 60 * SECOND, "duration": 10,
               "customer_acc_id": 1, "vendor_acc_id": 1, "customer_price": p,
               "vendor_price": p} for i, p in enumerate(PRICES)])
    token = api.token(api.login(1, "big"))
    for side in ("origination", "termination"):
        body = api.get(V1 + f"/{side}-statistics", token=token, params={
            "account-id": UUID, "from-time": "2024-04-30", "sampling": "minute"}).json()
        assert body["data"]["total_price"] == ["1000000000000.0", "1000000000000.0",
                                               "1000000.5", "-1000000000000.0", "0.0"]
        assert body["totals"]["total_price"] == "1000001000000.5"
