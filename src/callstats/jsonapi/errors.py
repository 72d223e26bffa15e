"""JSON:API error objects with jsonapi-resources' codes, titles and details, so a yeti
client shows the same message. An error carries its HTTP status; the HTTP layer renders
`{"errors": [...]}` with the status of the first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorObject:
    title: str
    detail: str
    code: str
    status: int
    pointer: str | None = None  # source.pointer into a create body

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"title": self.title, "detail": self.detail,
                                   "code": self.code}
        if self.pointer is not None:
            body["source"] = {"pointer": self.pointer}
        body["status"] = str(self.status)
        return body


class JsonApiError(Exception):
    """The request cannot be answered: one or more error objects."""

    def __init__(self, *errors: ErrorObject):
        super().__init__("; ".join(e.detail for e in errors))
        self.errors = errors

    @property
    def status(self) -> int:
        return self.errors[0].status

    def document(self) -> dict[str, object]:
        return {"errors": [e.as_dict() for e in self.errors]}


def invalid_resource(type_name: str) -> ErrorObject:
    return ErrorObject("Invalid resource", f"{type_name} is not a valid resource.", "101", 400)


def filter_not_allowed(name: str) -> ErrorObject:
    return ErrorObject("Filter not allowed", f"{name} is not allowed.", "102", 400)


def invalid_filter_value(name: str, value: str) -> ErrorObject:
    return ErrorObject("Invalid filter value", f"{value} is not a valid value for {name}.",
                       "103", 400)


def invalid_key(value: str) -> ErrorObject:
    return ErrorObject("Invalid field value", f"{value} is not a valid value for id.",
                       "103", 400)


def invalid_field(type_name: str, name: str) -> ErrorObject:
    return ErrorObject("Invalid field", f"{name} is not a valid field for {type_name}.",
                       "104", 400)


def param_not_allowed(name: str) -> ErrorObject:
    return ErrorObject("Param not allowed", f"{name} is not allowed.", "105", 400)


def param_missing(name: str) -> ErrorObject:
    return ErrorObject("Missing Parameter", f"The required parameter, {name}, is missing.",
                       "106", 400)


def invalid_sort(type_name: str, criteria: str) -> ErrorObject:
    return ErrorObject("Invalid sort criteria",
                       f"{criteria} is not a valid sort criteria for {type_name}", "114", 400)


def type_mismatch(type_name: str) -> ErrorObject:
    return ErrorObject("Type Mismatch", f"{type_name} is not a valid type for this operation.",
                       "116", 400)


def invalid_page(name: str, value: str, detail: str = "") -> ErrorObject:
    return ErrorObject("Invalid page value",
                       detail or f"{value} is not a valid value for {name} page parameter.",
                       "118", 400)


def invalid_document(detail: str = "Data must be a hash.") -> ErrorObject:
    return ErrorObject("Invalid data format", detail, "122", 400)


def record_not_found(key: str) -> ErrorObject:
    return ErrorObject("Record not found",
                       f"The record identified by {key} could not be found.", "404", 404)


def invalid_value(name: str, message: str, pointer: str) -> ErrorObject:
    """A create body's value that cannot be used (422, as a model validation error)."""
    detail = f"{name} - {message}" if name else message
    return ErrorObject(message, detail, "100", 422, pointer)


def body_too_large(limit: int) -> ErrorObject:
    return ErrorObject("Request body too large", f"The body is over {limit} bytes.", "413", 413)
