"""Tenancy (SPEC 4.1, 4.2): which accounts a request may read. A report's `account-id`
is resolved here, against the authenticated principal, before any store is asked; the
JSON:API resources list and check accounts with the same rule (`Principal.may_use`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from callstats.http.customer_auth import Principal
from callstats.http.services import Services
from callstats.metadata.store import Account


def account_resolver(services: Services, principal: Principal) -> Callable[[object], object]:
    """The check of a report's `account-id`: the account's id when the caller may use it,
    else ValueError (400 `invalid value account-id`, the same for a foreign and an unknown
    account, so nothing tells them apart)."""

    def resolve(account_uuid: object) -> object:
        account = services.metadata.find_account_by_uuid(str(account_uuid))
        if account is None or not principal.may_use(account):
            raise ValueError("not this customer's account")
        return account.id

    return resolve


def usable_accounts(services: Services, principal: Principal) -> list[Account]:
    """Every account the principal may use: its login's or dynamic token's `account_ids`,
    else all of its customer's."""
    return [a for a in services.metadata.list_accounts(principal.customer_id)
            if principal.may_use(a)]


def usable_account(services: Services, principal: Principal, key: str) -> Account | None:
    """The account with this uuid (any letter case) if the principal may use it; None for
    an unknown, a foreign and a malformed one alike."""
    try:
        account = services.metadata.find_account_by_uuid(str(uuid.UUID(key)))
    except ValueError:
        return None
    return account if account is not None and principal.may_use(account) else None
