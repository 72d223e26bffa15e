"""Tenancy (SPEC 4.1, 4.2): which accounts a request may read. A report's `account-id`
is resolved here, against the authenticated principal, before any store is asked."""

from __future__ import annotations

from collections.abc import Callable

from callstats.http.customer_auth import Principal
from callstats.http.services import Services


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
