"""A JSON:API create body, `{"data": {"type", "attributes", "relationships"}}`, read against
a resource's writable attributes. A malformed document is a 400 (jsonapi-resources'
codes); a value that cannot be used is a 422 naming its attribute (`source.pointer`),
reported with the resource's own validations, all at once."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from callstats.jsonapi import errors
from callstats.jsonapi.model import Resource
from callstats.jsonapi.query import underscore


@dataclass(frozen=True)
class CreateRequest:
    attributes: dict[str, object]  # writable attribute name → parsed value (absent: missing)
    account: str | None  # relationships.account.data.id as sent (None: not given)
    invalid: tuple[errors.ErrorObject, ...] = ()  # values that cannot be used (422 each)


def parse_create(resource: Resource, body: bytes) -> CreateRequest:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.JsonApiError(errors.invalid_document("The body is not valid JSON.")
                                  ) from None
    if not isinstance(document, dict) or "data" not in document:
        raise errors.JsonApiError(errors.param_missing("data"))
    data = document["data"]
    if not isinstance(data, dict):
        raise errors.JsonApiError(errors.invalid_document())
    if data.get("type") != resource.type:
        raise errors.JsonApiError(errors.type_mismatch(str(data.get("type"))))
    given = data.get("attributes", {})
    relationships = data.get("relationships", {})
    given = {} if given is None else given
    relationships = {} if relationships is None else relationships
    if not isinstance(given, dict) or not isinstance(relationships, dict):
        raise errors.JsonApiError(errors.invalid_document())
    writable = resource.writable
    values: dict[str, object] = {}
    invalid: list[errors.ErrorObject] = []
    for key, value in given.items():
        name = underscore(key)
        if name not in writable:
            raise errors.JsonApiError(errors.param_not_allowed(key))
        if value is None:
            continue  # null: the attribute's default
        attribute = writable[name]
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            values[name] = attribute.type.parse(value)
        except ValueError:
            invalid.append(errors.invalid_value(attribute.key, "is invalid",
                                                f"/data/attributes/{attribute.key}"))
    unknown = [k for k in relationships if k != "account"]
    if unknown:
        raise errors.JsonApiError(errors.param_not_allowed(unknown[0]))
    return CreateRequest(values, _account(relationships.get("account")), tuple(invalid))


def _account(linkage: object) -> str | None:
    """The id of `{"data": {"type": "accounts", "id": …}}`; anything else is no account."""
    if not isinstance(linkage, dict) or not isinstance(linkage.get("data"), dict):
        return None
    data = linkage["data"]
    if data.get("type") != "accounts" or not isinstance(data.get("id"), str):
        return None
    return str(data["id"])
