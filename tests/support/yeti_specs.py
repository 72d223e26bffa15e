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


# --- the CDR lists -------------------------------------------------------------------------
# Written from yeti-web's spec/requests/api/rest/customer/v1/cdrs_controller_spec.rb and
# incoming_cdrs_controller_spec.rb, with the shared examples json_api_check_pagination,
# jsonapi_filters_by_{number,datetime,boolean,string,inet}_field. Every context: CDRs of
# someone else (2) and 2 non-last CDRs of the caller's account exist besides its own.
# Ages are hours before the clock. yeti's `:with_id_and_uuid` ransack filter on `id`
# is left out (the records' ids are the factory's); yeti's extra attributes (pai_in,
# destination_reverse_billing, customer_acc_vat, …) are not SPEC 9.3 columns.

@dataclass(frozen=True)
class WindowCase:
    context: str
    params: dict[str, str]  # {"filter[…]": "<ago 48>"}: `48.hours.ago.strftime('%F %T')`
    included: tuple[float, ...]  # ages of the CDRs expected
    excluded: tuple[float, ...]  # ages of the CDRs that must not show


WINDOW = (
    WindowCase("with default filters (time_start_gteq)", {}, (0, 23), (25, 35)),
    WindowCase("with time_start_gteq filter", {"filter[time_start_gteq]": "<ago 48>"},
               (0, 23, 47), (49, 2400)),
    WindowCase("with time_start_gt filter", {"filter[time_start_gt]": "<ago 48>"},
               (0, 23, 47), (49, 2400)),
)

# json_api_check_pagination over `records_qty` CDRs, newest first (records_ids are ordered
# by time_start desc): (context, records_qty, params, slice of records_ids expected).
PAGINATION = (
    ("with pagination page 1 size 10", 12, {"page[number]": "1", "page[size]": "10"},
     (0, 10)),
    ("with pagination page 2 size 10", 12, {"page[number]": "2", "page[size]": "10"},
     (10, 12)),
    ("with pagination page 1 size default", 51, {"page[number]": "1"}, (0, 50)),
    ("with pagination page default size default", 51, {}, (0, 50)),
)

# `with filters by account`: the caller's `account` holds 2 CDRs; `another` (and
# `another2`, empty) are the customer's too; one CDR of `another` is the expected record.
ACCOUNT_FILTERS = (
    ("account_id_eq", "{another}"),
    ("account_id_not_eq", "{account}"),
    ("account_id_in", "{another},{another2}"),
    ("account_id_not_in", "{account},{another2}"),
)

# jsonapi_filters_by_number_field: records with smaller 1 and greater 2.
NUMBER_FILTERS = (
    ("eq", "{smaller}", "smaller", "greater"), ("not_eq", "{smaller}", "greater", "smaller"),
    ("lt", "{greater}", "smaller", "greater"), ("lteq", "{smaller}", "smaller", "greater"),
    ("gt", "{smaller}", "greater", "smaller"), ("gteq", "{greater}", "greater", "smaller"),
    ("in", "{greater},999", "greater", "smaller"),
    ("not_in", "{smaller},999", "greater", "smaller"),
)
# jsonapi_filters_by_datetime_field: smaller `Date.yesterday`, greater `Date.today` (as
# `YYYY-MM-DD`, midnight UTC), and `DateTime.now` in the lists.
DATETIME_FILTERS = (
    ("eq", "{smaller}", "smaller", "greater"), ("not_eq", "{smaller}", "greater", "smaller"),
    ("lt", "{greater}", "smaller", "greater"), ("lteq", "{smaller}", "smaller", "greater"),
    ("gt", "{smaller}", "greater", "smaller"), ("gteq", "{greater}", "greater", "smaller"),
    ("in", "{greater},{now}", "greater", "smaller"),
    ("not_in", "{smaller},{now}", "greater", "smaller"),
)
BOOLEAN_FILTERS = (("eq", "true", "true", "false"), ("not_eq", "true", "false", "true"))
# jsonapi_filters_by_inet_field: records 0.0.0.0 (suitable) and 1.1.1.1 (other).
INET_FILTERS = (
    ("eq", "0.0.0.0", "suitable", "other"), ("not_eq", "1.1.1.1", "suitable", "other"),
    ("in", "0.0.0.0,2.2.2.2", "suitable", "other"),
    ("not_in", "1.1.1.1,2.2.2.2", "suitable", "other"),
)

# The attributes each list's spec filters, by shared example.
CDR_FILTERED = {
    "cdrs": {
        "number": ("duration", "lega_disconnect_code", "auth_orig_transport_protocol_id",
                   "auth_orig_port", "destination_initial_rate", "destination_next_rate",
                   "destination_fee", "destination_initial_interval",
                   "destination_next_interval", "customer_price", "customer_duration"),
        "datetime": ("time_start", "time_connect", "time_end"),
        "boolean": ("success",),
        "string": ("lega_disconnect_reason", "dst_prefix_in", "src_prefix_in", "src_name_in",
                   "src_prefix_routing", "dst_prefix_routing", "diversion_in",
                   "orig_call_id", "local_tag", "destination_prefix", "ruri_domain",
                   "to_domain", "from_domain"),
        "inet": ("auth_orig_ip",),
    },
    "incoming-cdrs": {
        "number": ("duration", "legb_disconnect_code", "dialpeer_initial_rate",
                   "dialpeer_next_rate", "dialpeer_fee", "dialpeer_initial_interval",
                   "dialpeer_next_interval", "vendor_price", "vendor_duration"),
        "datetime": ("time_start", "time_connect", "time_end"),
        "boolean": ("success",),
        "string": ("legb_disconnect_reason", "dst_prefix_out", "src_prefix_out",
                   "src_name_out", "src_prefix_routing", "dst_prefix_routing",
                   "diversion_out", "local_tag", "dialpeer_prefix", "legb_user_agent"),
    },
}

# `returns record with expected attributes` of GET /cdrs/{id} and /incoming-cdrs/{id}:
# every attribute key, each the record's value as Rails writes it, `rec` false (no
# recording profile). yeti's show writes `relationships.account.links`; SPEC 9.1 decides
# on `relationships.account.data`, which the index's `include account` context checks.
SHOW_KEYS = {
    "cdrs": ("time-start", "time-connect", "time-end", "duration", "success",
             "destination-initial-interval", "destination-initial-rate",
             "destination-next-interval", "destination-next-rate", "destination-fee",
             "customer-price", "customer-duration", "src-name-in", "src-prefix-in",
             "from-domain", "dst-prefix-in", "to-domain", "ruri-domain", "diversion-in",
             "local-tag", "orig-call-id", "lega-disconnect-code", "lega-disconnect-reason",
             "auth-orig-transport-protocol-id", "auth-orig-ip", "auth-orig-port",
             "src-prefix-routing", "dst-prefix-routing", "destination-prefix",
             "lega-user-agent", "rec"),
    "incoming-cdrs": ("time-start", "time-connect", "time-end", "duration", "success",
                      "dialpeer-initial-interval", "dialpeer-initial-rate",
                      "dialpeer-next-interval", "dialpeer-next-rate", "dialpeer-fee",
                      "dialpeer-prefix", "vendor-price", "vendor-duration", "src-name-out",
                      "src-prefix-out", "dst-prefix-out", "src-prefix-routing",
                      "dst-prefix-routing", "diversion-out", "local-tag",
                      "legb-disconnect-code", "legb-disconnect-reason", "sign-term-ip",
                      "sign-term-port", "sign-term-transport-protocol-id", "term-call-id",
                      "legb-user-agent", "rec"),
}
