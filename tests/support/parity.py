"""The same app on every store kind at once, fed identically and asked identically.

`Apps` wraps one `Api` (tests/api/api_helpers) per kind of STORE_KINDS and turns every
request into one request per store whose answers must be the same bytes: status,
content-type, ETag and body. Ingestion answers (received/inserted/duplicates) are compared
the same way, so duplicate handling is part of the parity too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from callstats.reports.definitions import Report
from callstats.reports.params import BOOLEAN, DECIMAL, INTEGER, TEXT, Role
from tests.support.api import ADMIN_TOKEN, Api, wire
from tests.support.api_reference import FilterParam
from tests.support.bodies import ADMIN, NDJSON, ndjson
from tests.support.times import SECOND

COMPARED_HEADERS = ("content-type", "etag")


def account_uuid(account_id: int) -> str:
    """The same account UUID on every store's metadata (derived from the id, not random)."""
    return f"{account_id:08x}-0000-4000-8000-{account_id:012x}"


@dataclass(frozen=True)
class Case:
    """One GET as a customer sends it, at a given server clock."""

    path: str
    params: tuple[tuple[str, str], ...] = ()
    token: str | None = None
    now_us: int = 0
    headers: tuple[tuple[str, str], ...] = field(default=())

    def __str__(self) -> str:
        extra = "".join(f" [{k}: {v}]" for k, v in self.headers)
        return f"{self.path}?{urlencode(self.params)}{extra}"


class Apps:
    """One app per store kind with one clock, one set of tenants and one data history."""

    def __init__(self, apis: dict[str, Api]):
        assert len(apis) >= 2, "parity needs DuckDB and at least one ClickHouse store"
        self.apis = apis

    @property
    def first(self) -> Api:
        return next(iter(self.apis.values()))

    def close(self) -> None:
        for api in self.apis.values():
            api.close()

    # --- the operator's side: identical on every store ---------------------------------

    def _same(self, answers: dict[str, object], what: str) -> object:
        values = list(answers.values())
        assert all(v == values[0] for v in values), f"{what}: {answers}"
        return values[0]

    def admin(self, method: str, path: str, payload: object = None) -> object:
        return self._same({k: a.admin(method, path, payload) for k, a in self.apis.items()},
                          f"{method} {path}")

    def customer(self, id: int) -> None:
        self.admin("POST", "/customers", {"name": f"customer {id}", "id": id})

    def account(self, customer_id: int, id: int) -> str:
        uuid = account_uuid(id)
        self.admin("POST", "/accounts", {"customer_id": customer_id, "name": f"acc {id}",
                                         "id": id, "uuid": uuid})
        return uuid

    def dynamic_token(self, customer_id: int, account_ids: list[int] | None = None) -> str:
        return self.first.dynamic_token(customer_id, account_ids)

    def _post(self, path: str, body: bytes) -> dict:
        answers = {}
        for kind, api in self.apis.items():
            response = api.request("POST", ADMIN + path, content=body, headers={
                **NDJSON, "Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert response.status_code == 200, f"{kind}: {response.text}"
            answers[kind] = response.json()
        return self._same(answers, f"POST {path}")  # type: ignore[return-value]

    def cdrs(self, rows: Sequence[dict]) -> dict:
        """Post one batch everywhere; the ingestion counts (duplicates too) must agree."""
        return self._post("/cdrs", ndjson([wire(r) for r in rows]))  # type: ignore[arg-type]

    def snapshots(self, envelopes: Sequence[dict]) -> dict:
        return self._post("/active-calls", ndjson([wire(e) for e in envelopes]))  # type: ignore[arg-type]

    def compact(self) -> None:
        for api in self.apis.values():
            api.services.store.compact()  # type: ignore[attr-defined]

    # --- the customer's side: every answer the same bytes ------------------------------

    def ask(self, case: Case) -> dict[str, httpx.Response]:
        answers = {}
        for kind, api in self.apis.items():
            api.clock.now = case.now_us / SECOND
            answers[kind] = api.get(case.path, params=list(case.params), token=case.token,
                                    headers=dict(case.headers))
        return answers

    def get(self, case: Case) -> httpx.Response:
        """The answer every store gives to `case`, failing when any two differ."""
        answers = self.ask(case)
        difference = describe_difference(case, answers)
        assert difference is None, difference
        return next(iter(answers.values()))

    def check_all(self, cases: Sequence[Case]) -> list[httpx.Response]:
        """Ask every case; fail once at the end, naming the first few that differ (all
        differences of a battery at once say more than the first alone)."""
        first_answers, differences = [], []
        for case in cases:
            answers = self.ask(case)
            difference = describe_difference(case, answers)
            if difference:
                differences.append(difference)
            first_answers.append(next(iter(answers.values())))
        assert not differences, (f"{len(differences)} of {len(cases)} requests differ "
                                 "between stores:\n\n" + "\n\n".join(differences[:5]))
        return first_answers


def describe_difference(case: Case, answers: dict[str, httpx.Response]) -> str | None:
    """None when every answer equals the first; else the request, the two stores, and the
    bodies around the first byte where they part."""
    (base_kind, base), *others = answers.items()
    for kind, other in others:
        status = (base.status_code, other.status_code)
        headers = [(h, base.headers.get(h), other.headers.get(h)) for h in COMPARED_HEADERS]
        if status[0] == status[1] and all(a == b for _, a, b in headers) \
                and base.content == other.content:
            continue
        at = next((i for i, (a, b) in enumerate(zip(base.content, other.content, strict=False))
                   if a != b), min(len(base.content), len(other.content)))
        window = slice(max(0, at - 300), at + 300)
        return (f"GET {case} at clock {case.now_us}: {base_kind} vs {kind}\n"
                + "; ".join([f"  status {status[0]} vs {status[1]}",
                             *(f"{h} {a!r} vs {b!r}" for h, a, b in headers if a != b)])
                + f"\n  bodies ({len(base.content)} vs {len(other.content)} bytes) first "
                f"differ at byte {at}:\n"
                f"  {base_kind}: {base.content[window]!r}\n  {kind}: {other.content[window]!r}")
    return None


# --- the filter params, derived from the report definitions -------------------------------

_KINDS = ((TEXT, "text"), (INTEGER, "int"), (DECIMAL, "decimal"), (BOOLEAN, "bool"))


def filter_params(report: Report) -> list[FilterParam]:
    """Every filter param of `report`, in the shape tests/api/strategies.py draws values
    for. A filter of a value type not listed here fails loudly rather than go untested."""
    params = []
    for param in report.params:
        if param.role is not Role.FILTER:
            continue
        kind = next((name for value_type, name in _KINDS if value_type is param.type), None)
        assert kind is not None, f"{param.name}: no parity probes for its value type"
        assert param.column is not None
        params.append(FilterParam(param.name, param.column, param.op.value, kind))
    return params
