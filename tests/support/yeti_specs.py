"""Fixtures written from yeti-web's request specs of the customer API's accounts
(spec/requests/api/rest/customer/v1/accounts_spec.rb and the shared examples it uses:
json_api_customer_v1_check_authorization, json_api_check_pagination,
jsonapi_filters_by_string_field, jsonapi_filters_by_uuid_field). Each context becomes a
case: who asks, the accounts that exist, the request, and what yeti answers. Where SPEC
decides otherwise (a token without `exp`), the case says so and expects SPEC's answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Customer:
    """A customer of the replay and its accounts' names, created in this order."""

    id: int
    accounts: tuple[str, ...]


def _numbered(count: int) -> tuple[str, ...]:
    return tuple(f"account {i:02d}" for i in range(1, count + 1))


# `let!(:accounts) { create_list :account, records_qty, contractor: customer }` for each
# records_qty the spec uses, each its own customer here; customer 9 is the spec's
# `create_list :account, 1` of someone else, present in every context.
CUSTOMERS = (
    Customer(1, _numbered(2)),  # records_qty 2
    Customer(2, _numbered(4)),  # `with account_ids`: 4 accounts, the first 2 allowed
    Customer(3, _numbered(12)),  # pagination size 10
    Customer(4, _numbered(51)),  # default page size
    Customer(5, ("str", "string", "other")),  # jsonapi_filters_by_string_field's records
    Customer(9, ("not mine",)),
)


@dataclass(frozen=True)
class IndexCase:
    context: str
    customer: int
    params: dict[str, str] = field(default_factory=dict)
    allowed: tuple[int, ...] = ()  # account_ids of the token (positions in the customer's list)
    dynamic: bool = False
    expect: tuple[int, ...] = ()  # positions of the records expected (data ids, any order)
    total: int | None = None  # meta.total-count when the spec checks it


INDEX = (
    IndexCase("account_ids is empty: returns records of this customer", 1, expect=(0, 1)),
    IndexCase("with dynamic auth: returns records of this customer", 1, dynamic=True,
              expect=(0, 1)),
    IndexCase("with account_ids: returns only Accounts listed in account_ids", 2,
              allowed=(0, 1), expect=(0, 1)),
    IndexCase("with dynamic auth with account_ids: only those", 2, dynamic=True,
              allowed=(0, 1), expect=(0, 1)),
    IndexCase("with pagination page 1 size 10", 3, {"page[number]": "1", "page[size]": "10"},
              expect=tuple(range(10)), total=12),
    IndexCase("with pagination page 2 size 10: 2 records from 12 total", 3,
              {"page[number]": "2", "page[size]": "10"}, expect=(10, 11), total=12),
    IndexCase("with pagination page 1 size default: 50 records from 51 total", 4,
              {"page[number]": "1"}, expect=tuple(range(50)), total=51),
    IndexCase("with pagination page default size default: 50 records from 51 total", 4,
              expect=tuple(range(50)), total=51),
)

# jsonapi_filters_by_string_field :name — (filter, value, includes, excludes) by name.
STRING_FILTERS = (
    ("name_start", "str", ("string",), ("other",)),
    ("name_end", "ing", ("string",), ("other",)),
    ("name_cont", "string", ("string",), ("other",)),
    ("name_eq", "str", ("str",), ("string",)),
    ("name_not_eq", "str", ("string",), ("str",)),
    ("name_in", "str,str2", ("str",), ("string",)),
    ("name_not_in", "string,str2", ("str",), ("string",)),
    ("name_cont_any", "string,val", ("string",), ("other",)),
)

# jsonapi_filters_by_uuid_field :uuid — "suitable" and "other" records, and a random uuid.
UUID_FILTERS = (
    ("uuid_eq", "{suitable}", "suitable", "other"),
    ("uuid_not_eq", "{other}", "suitable", "other"),
    ("uuid_in", "{suitable},{random}", "suitable", "other"),
    ("uuid_not_in", "{other},{random}", "suitable", "other"),
)


@dataclass(frozen=True)
class AuthCase:
    context: str
    credentials: str  # header, cookie, dynamic-header, dynamic-cookie, …
    status: int
    sets_cookie: bool = False
    note: str = ""


# json_api_customer_v1_check_authorization (success_status 200 for GET).
AUTH = (
    AuthCase("with valid Authorization header", "header", 200),
    AuthCase("when Authorization header has no expiration", "header-no-exp", 401,
             note="yeti answers 200; SPEC 4.1: a token without exp is a 401"),
    AuthCase("with valid Authorization header, dynamic auth", "dynamic-header", 200),
    AuthCase("with invalid Authorization header", "invalid-header", 401),
    AuthCase("without Authorization header", "none", 401),
    AuthCase("with expired Authorization header", "expired-header", 401),
    AuthCase("with Authorization header for non-existed customer", "unknown-header", 401),
    AuthCase("with valid Cookie header", "cookie", 200, sets_cookie=True),
    AuthCase("with valid Cookie header, dynamic auth", "dynamic-cookie", 200,
             sets_cookie=True),
    AuthCase("with invalid token in Cookie header", "invalid-cookie", 401),
    AuthCase("with expired Cookie header", "expired-cookie", 401),
    AuthCase("with Cookie header for non-existed customer", "unknown-cookie", 401),
    AuthCase("when valid Cookie header passed along with invalid Authorization header",
             "cookie-and-invalid-header", 401),
    AuthCase("with logout Cookie header", "logout-cookie", 401),
)
